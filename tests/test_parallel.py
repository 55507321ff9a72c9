"""Environments checked in processes forked from the command's: the same findings, in the same
order, with any number of processes; a failure in a worker is the command's failure."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench import generate
from gitopsctl import parallel
from gitopsctl.errors import InputError
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Environment
from tests.conftest import run_cli


def squares(item: int) -> list[int]:
    return [item, item * item]


@pytest.mark.parametrize("processes", [1, 2, 3, 7])
def test_results_come_in_the_order_of_the_items(processes: int) -> None:
    items = list(range(5))
    assert parallel.shared_out(squares, items, processes) == [0, 0, 1, 1, 2, 4, 3, 9, 4, 16]


def test_work_is_done_in_another_process() -> None:
    pids = parallel.shared_out(lambda item: [os.getpid()], [0, 1], 2)
    assert pids[0] == os.getpid()
    assert pids[1] != os.getpid()


def test_an_exception_in_a_worker_is_raised_here_with_its_traceback() -> None:
    def work(item: int) -> list[int]:
        if item == 1:
            raise InputError(f"item {item} is bad")
        return [item]

    with pytest.raises(InputError, match="item 1 is bad") as raised:
        parallel.shared_out(work, [0, 1, 2], 2)
    (note,) = raised.value.__notes__
    assert note.startswith("in a worker process:\nTraceback (most recent call last):\n")
    assert "raise InputError" in note


def test_a_worker_that_dies_is_a_lost_worker() -> None:
    def work(item: int) -> list[int]:
        if item == 1:
            os._exit(9)
        return [item]

    with pytest.raises(parallel.WorkerLost, match="ended without its results"):
        parallel.shared_out(work, [0, 1], 2)


def test_an_answer_that_does_not_pickle_is_an_error() -> None:
    with pytest.raises(parallel.WorkerLost, match="could not be sent"):
        parallel.shared_out(lambda item: [lambda: item], [0, 1], 2)


def test_a_failure_here_stops_the_workers() -> None:
    def work(item: int) -> list[int]:
        if item == 0:
            raise ValueError("here")
        return [item]

    with pytest.raises(ValueError, match="here"):
        parallel.shared_out(work, [0, 1], 2)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every worker was reaped


def test_jobs_follow_the_variable_and_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "1")
    assert parallel.jobs() == 1
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "500")
    assert parallel.jobs() == cores
    for ignored in ("0", "two", ""):
        monkeypatch.setenv(parallel.JOBS_VARIABLE, ignored)
        assert parallel.jobs() == min(cores, parallel.DEFAULT_MOST)


def test_by_default_a_few_processes_at_most(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.JOBS_VARIABLE, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    assert parallel.jobs() == 4
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "16")
    assert parallel.jobs() == 16


def test_no_worker_is_forked_beside_other_threads() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert parallel.jobs() == 1
        assert parallel.shared_out(lambda item: [os.getpid()], [0, 1]) == [os.getpid()] * 2
    finally:
        stop.set()
        thread.join()


@pytest.fixture(scope="module")
def many_environments(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("wide") / "repo"
    generate.generate(repo, 6, 4)
    assert run_cli(repo, "render").returncode == 0
    return repo


@pytest.mark.parametrize("output", ["text", "json", "sarif"])
def test_validate_reports_the_same_bytes_with_any_number_of_processes(
    many_environments: Path, output: str
) -> None:
    runs = {
        jobs: run_cli(
            many_environments,
            "validate",
            "--format",
            output,
            env={parallel.JOBS_VARIABLE: str(jobs), "GITOPSCTL_NO_CACHE": "1"},
        )
        for jobs in (1, 2)
    }
    serial, shared = runs[1], runs[2]
    assert (shared.returncode, shared.stdout, shared.stderr) == (0, serial.stdout, serial.stderr)
    # Findings of environments each process checked (dev, prod, staging: one; the others: two).
    for env in ("dev", "dev-2", "prod", "prod-2", "staging", "staging-2"):
        assert f"{env}/" in serial.stdout


@pytest.mark.parametrize("debug", [False, True])
def test_a_bug_in_a_worker_is_exit_3(
    many_environments: Path, monkeypatch: pytest.MonkeyPatch, debug: bool
) -> None:
    from click.testing import CliRunner

    from gitopsctl.cli.main import cli
    from gitopsctl.rules import RULES

    here = os.getpid()
    rule = RULES["ingress-class"]
    original = rule.check

    def check_in_workers_only(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
        if os.getpid() != here:
            raise KeyError("spec")
        return original(env, options)

    monkeypatch.setitem(RULES, rule.id, replace(rule, check=check_in_workers_only))
    monkeypatch.setenv("GITOPSCTL_NO_CACHE", "1")
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "2")
    options = ["--debug"] if debug else []
    args = [*options, "--repo", str(many_environments), "validate"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert (result.exit_code, result.stdout) == (3, "")
    if debug:
        assert "in a worker process:\nTraceback (most recent call last):\n" in result.stderr
        assert result.stderr.endswith("KeyError: 'spec'\n")
    else:
        assert result.stderr == (
            "internal error: KeyError: 'spec' (rerun with --debug for the traceback)\n"
        )


def test_no_worker_outlives_a_killed_command(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    pids = tmp_path / "worker.pid"
    program = f"""
import os, time
from gitopsctl import parallel
def work(item):
    if os.getpid() != parent:
        open({str(pids)!r}, "w").write(str(os.getpid()))
    time.sleep(60)
    return [item]
parent = os.getpid()
parallel.shared_out(work, [0, 1], 2)
"""
    command = subprocess.Popen([sys.executable, "-c", program])
    try:
        deadline = time.monotonic() + 30
        while not (pids.exists() and pids.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        worker = int(pids.read_text())
        os.kill(command.pid, signal.SIGKILL)
        command.wait()
        deadline = time.monotonic() + 10
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker)
    finally:
        command.kill()
        command.wait()


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its reaper does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_without_a_process_to_fork_the_work_is_done_here(monkeypatch: pytest.MonkeyPatch) -> None:
    forks = []
    real_fork = os.fork

    def limited_fork() -> int:
        forks.append(1)
        if len(forks) > 1:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real_fork()

    monkeypatch.setattr(os, "fork", limited_fork)
    assert parallel.shared_out(squares, [0, 1, 2, 3], 3) == [0, 0, 1, 1, 2, 4, 3, 9]
    assert len(forks) == 2
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # the one worker forked was stopped and reaped


def test_ctrl_c_while_workers_check_is_exit_130_and_leaves_no_process(
    many_environments: Path, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys
    import time

    started = tmp_path / "started"
    program = f"""
import os, sys, time
from dataclasses import replace
from gitopsctl.cli.main import main
from gitopsctl.rules import RULES
rule = RULES["ingress-class"]
def slow(env, options):
    open({str(started)!r} + str(os.getpid()), "w").close()
    time.sleep(60)
    return iter(())
RULES[rule.id] = replace(rule, check=slow)
sys.argv = ["render.py", "--repo", {str(many_environments)!r}, "validate"]
main()
"""
    env = {**os.environ, "GITOPSCTL_NO_CACHE": "1", parallel.JOBS_VARIABLE: "2"}
    command = subprocess.Popen(
        [sys.executable, "-c", program],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("started*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = [int(path.name.removeprefix("started")) for path in tmp_path.glob("started*")]
        assert command.pid in workers and len(workers) == 2  # the command and one worker
        os.killpg(command.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        stdout, stderr = command.communicate(timeout=30)
    finally:
        command.kill()
    assert (command.returncode, stdout, stderr) == (130, "", "interrupted by SIGINT\n")
    assert not any(_alive(pid) for pid in workers)
