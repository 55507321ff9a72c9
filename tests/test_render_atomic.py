"""The switch to new output is all or nothing under any interruption, one render of a repository
runs at a time, and output is read and written only through real folders of the repository.

The interruption tests run real processes on a synthetic repository (bench/generate.py, 3
environments and 20 apps: 198 files) whose sources were changed so that every output file
changes. After a SIGKILL at any moment, `render --check` reports (and never crashes), recovery
alone leaves exactly the old output or exactly the new, and the next `render` leaves exactly the
new output and nothing else. Some kills land at chosen steps (the driver below kills its own
process at the n-th call of a function), the rest at random moments of a render.
"""

from __future__ import annotations

import fcntl
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench import generate
from gitopsctl.pipeline import load_and_render
from gitopsctl.render import journal, lock, output
from tests.conftest import PROJECT, invoke_cli, output_snapshot, run_cli
from tests.support import edit, rerender

Snapshot = dict[str, bytes]
AT_REST = [".gitignore", "lock"]
SYMLINK = (
    "a symbolic link: the renderer reads and writes only real folders and files inside the "
    "repository"
)
SUMMARY = (
    "rendered output is out of date: {stale} stale, 0 missing, 0 extra{left}; "
    "run `make render` (or `python render.py render`) and commit\n"
)
LEFT = ", 1 left over by an interrupted render"
STALE_SUMMARY = re.compile(
    re.escape(SUMMARY).replace(r"\{stale\}", r"\d+").replace(r"\{left\}", f"(?:{re.escape(LEFT)})?")
)
STAGING = re.compile(r"\.gitopsctl/staging-\w+")

# Runs render.py after replacing MODULE.NAME with a function that sends SIGNAL to its own
# process at its CALLS-th call: python -c DRIVER MODULE NAME CALLS SIGNAL render.py-arguments...
DRIVER = """
import os, signal, sys
from gitopsctl.render import journal
from gitopsctl.cli.main import main

module_name, name, calls, signal_name = sys.argv[1:5]
module = {"os": os, "journal": journal}[module_name]
real = getattr(module, name)
count = [0]

def stopping(*args, **kwargs):
    count[0] += 1
    if count[0] == int(calls):
        os.kill(os.getpid(), getattr(signal, signal_name))
    return real(*args, **kwargs)

setattr(module, name, stopping)
sys.argv = ["render.py", *sys.argv[5:]]
main()
"""


# --- a synthetic repository whose every output file changes -------------------------------------


@dataclass(frozen=True)
class Scenario:
    """New sources over old output (``base``); the old output, and the output they render."""

    base: Path
    old: Snapshot
    new: Snapshot


def _change_every_source(repo: Path) -> None:
    """A new repository URL (every Application and AppProject names it) and a new value in every
    app and in the database chart's profile (every values file)."""
    edit(repo, "sources/platform.yaml", "platform-gitops.git", "platform-gitops-2.git")
    for app in sorted((repo / "sources/apps").glob("*.yaml")):
        edit(repo, app.relative_to(repo).as_posix(), "\nvalues:\n", "\nvalues:\n  generation: 2\n")
    edit(repo, "sources/profiles/cnpg-cluster.yaml", "\ndefaults:\n", "\ndefaults:\n  gen: 2\n")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    base = tmp_path_factory.mktemp("synthetic") / "repo"
    generate.generate(base, 3, 20)
    rerender(base)
    shutil.rmtree(base / ".gitopsctl")
    old = output_snapshot(base)
    _change_every_source(base)
    new = {path: text.encode() for path, text in load_and_render(base).files.items()}
    assert len(old) == 198
    assert sorted(old) == sorted(new)
    assert [path for path in old if old[path] == new[path]] == []
    return Scenario(base, old, new)


@pytest.fixture
def repo(scenario: Scenario, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(scenario.base, copy)
    return copy


def _start(repo: Path, *args: str) -> subprocess.Popen[str]:
    # A generous lock wait: on a loaded machine six serialized renders can outlast the default.
    return subprocess.Popen(
        [sys.executable, str(PROJECT / "render.py"), "--repo", str(repo), *args],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GITOPSCTL_LOCK_TIMEOUT": "120"},
    )


def _driven(repo: Path, stop: tuple[str, str, int, str]) -> subprocess.CompletedProcess[str]:
    module, name, calls, signal_name = stop
    driver = [sys.executable, "-c", DRIVER, module, name, str(calls), signal_name]
    return subprocess.run(
        [*driver, "--repo", str(repo), "render"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GITOPSCTL_NO_CACHE": "1"},  # the calls counted are the journal's own
    )


def _workspace(repo: Path) -> list[str]:
    """The working folder's entries but the results cache (`render --check` may store one)."""
    return sorted(path.name for path in (repo / ".gitopsctl").iterdir() if path.name != "cache")


def _hidden_output(repo: Path) -> list[str]:
    return sorted(
        path.relative_to(repo).as_posix()
        for top in ("applications", "rendered")
        for path in (repo / top).rglob(".*")
    )


def _assert_next_render_finishes(repo: Path, scenario: Scenario, written: int) -> None:
    result = run_cli(repo, "render")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[-1] == (
        f"rendered 198 files in 3 environments: {written} written, 0 pruned"
    )
    assert output_snapshot(repo) == scenario.new
    assert (_workspace(repo), _hidden_output(repo)) == (AT_REST, [])


# --- SIGKILL --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stop", "kind", "moved"),
    [
        pytest.param(("journal", "_write_new", 100, "SIGKILL"), journal.STAGED, 0, id="staging"),
        pytest.param(("os", "fsync", 1, "SIGKILL"), journal.STAGED, 0, id="writing-journal"),
        pytest.param(("os", "replace", 1, "SIGKILL"), journal.STAGED, 0, id="before-commit"),
        pytest.param(("os", "replace", 2, "SIGKILL"), journal.UNFINISHED, 0, id="after-commit"),
        pytest.param(("os", "replace", 100, "SIGKILL"), journal.UNFINISHED, 98, id="mid-switch"),
        pytest.param(
            ("journal", "_discard", 1, "SIGKILL"), journal.UNFINISHED, 198, id="before-cleanup"
        ),
    ],
)
def test_sigkill_at_each_step_leaves_the_old_output_or_a_switch_recovery_finishes(
    repo: Path,
    scenario: Scenario,
    stop: tuple[str, str, int, str],
    kind: journal.LeftoverKind,
    moved: int,
) -> None:
    killed = _driven(repo, stop)
    assert killed.returncode == -signal.SIGKILL

    check = run_cli(repo, "render", "--check")
    assert check.returncode == 1
    assert check.stderr == SUMMARY.format(stale=198 - moved, left=LEFT)
    assert check.stdout.count("\nstale: ") + check.stdout.startswith("stale: ") == 198 - moved
    assert STAGING.sub("STAGING", check.stdout.splitlines()[-1]) == (
        f"{kind.label}: STAGING ({kind.description})"
    )

    assert [leftover.kind for leftover in journal.recover(repo)] == [kind]
    committed = kind is journal.UNFINISHED
    assert output_snapshot(repo) == (scenario.new if committed else scenario.old)
    _assert_next_render_finishes(repo, scenario, written=0 if committed else 198)


def test_sigkill_at_random_moments_leaves_the_old_or_the_new_output(
    scenario: Scenario, tmp_path: Path
) -> None:
    timed = tmp_path / "timed"
    shutil.copytree(scenario.base, timed)
    started = time.monotonic()
    assert run_cli(timed, "render").returncode == 0
    duration = time.monotonic() - started
    randomly = random.Random(20261204)
    for run in range(15):
        delay = duration * (run + randomly.random()) / 15
        repo = tmp_path / f"run-{run}"
        shutil.copytree(scenario.base, repo)
        process = _start(repo, "render")
        time.sleep(delay)
        process.kill()
        process.communicate()

        check = run_cli(repo, "render", "--check")
        where = f"run {run}, killed after {delay:.3f} s"
        if check.returncode == 0:
            assert (check.stdout, check.stderr) == ("up to date: 198 files\n", ""), where
        else:
            assert check.returncode == 1, where
            assert STALE_SUMMARY.fullmatch(check.stderr), (where, check.stderr)
        journal.recover(repo)
        assert output_snapshot(repo) in (scenario.old, scenario.new), where
        result = run_cli(repo, "render")
        assert (result.returncode, result.stderr) == (0, ""), where
        assert output_snapshot(repo) == scenario.new, where
        assert (_workspace(repo), _hidden_output(repo)) == (AT_REST, []), where


# --- SIGINT and SIGTERM ---------------------------------------------------------------------------

UNCHANGED = "interrupted by {signal}: the output is unchanged\n"
FINISHED = "interrupted by {signal}: the switch in progress was finished first\n"


@pytest.mark.parametrize(("signal_name", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
@pytest.mark.parametrize(
    ("stop", "message", "switched"),
    [
        # the first file: threads are still being started to write the others
        pytest.param(("journal", "_write_new", 1), UNCHANGED, False, id="staging-first-file"),
        pytest.param(("journal", "_write_new", 50), UNCHANGED, False, id="staging"),
        pytest.param(("os", "replace", 50), FINISHED, True, id="switching"),
    ],
)
def test_sigint_and_sigterm_clean_up_or_finish_the_switch_then_exit_128_plus_the_signal(
    repo: Path,
    scenario: Scenario,
    signal_name: str,
    code: int,
    stop: tuple[str, str, int],
    message: str,
    switched: bool,
) -> None:
    result = _driven(repo, (*stop, signal_name))

    assert (result.returncode, result.stdout) == (code, "")
    assert result.stderr == message.format(signal=signal_name)
    assert output_snapshot(repo) == (scenario.new if switched else scenario.old)
    assert (_workspace(repo), _hidden_output(repo)) == (AT_REST, [])


@contextmanager
def _holding_the_lock(repo: Path, holder: str) -> Iterator[None]:
    """The lock held by this process, which says it is ``holder``."""
    (repo / ".gitopsctl").mkdir(exist_ok=True)
    with open(repo / ".gitopsctl/lock", "w", encoding="utf-8") as stream:
        fcntl.flock(stream, fcntl.LOCK_EX)
        stream.write(f"{holder}\n")
        stream.flush()
        yield


HOLDER = "pid 4242: python render.py render"
WAITING = "waiting up to {wait} s for another render of this repository ({holder})\n"


@pytest.mark.parametrize(("signal_name", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_while_waiting_for_the_lock_exits_at_once_writing_nothing(
    example_repo: Path, signal_name: str, code: int
) -> None:
    edit(example_repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")
    before = output_snapshot(example_repo)
    with _holding_the_lock(example_repo, HOLDER):
        process = _start(example_repo, "render", "--lock-timeout", "60")
        assert process.stderr is not None
        waiting = process.stderr.readline()
        process.send_signal(getattr(signal, signal_name))
        stdout, stderr = process.communicate()

    assert waiting == WAITING.format(wait=60, holder=HOLDER)
    assert (process.returncode, stdout) == (code, "")
    assert stderr == UNCHANGED.format(signal=signal_name)
    assert output_snapshot(example_repo) == before


# --- the lock -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [pytest.param(("render",), id="render"), pytest.param(("render", "--check"), id="check")],
)
def test_a_held_lock_is_waited_for_then_exit_2_names_its_holder(
    example_repo: Path, args: tuple[str, ...]
) -> None:
    edit(example_repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")
    before = output_snapshot(example_repo)
    with _holding_the_lock(example_repo, HOLDER):
        started = time.monotonic()
        result = run_cli(example_repo, *args, env={"GITOPSCTL_LOCK_TIMEOUT": "0.5"})
        waited = time.monotonic() - started

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == WAITING.format(wait=0.5, holder=HOLDER) + (
        f"error: .gitopsctl/lock: another render of this repository holds the lock ({HOLDER}); "
        "gave up after waiting 0.5 s\n"
    )
    assert waited >= 0.5
    assert output_snapshot(example_repo) == before


def test_the_holder_writes_its_pid_and_command_line_while_it_holds_the_lock(
    example_repo: Path,
) -> None:
    path = example_repo / ".gitopsctl/lock"
    with lock.exclusive(example_repo, 0, lambda holder: None):
        held = path.read_text(encoding="utf-8")
    assert held == f"pid {os.getpid()}: {shlex.join(sys.orig_argv)}\n"
    assert path.read_text(encoding="utf-8") == ""


def test_concurrent_renders_and_checks_wait_their_turn_and_none_crashes(
    example_repo: Path,
) -> None:
    """Before the lock, two renders at once crashed pruning a file the other had pruned."""
    edit(example_repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")
    edit(example_repo, "sources/environments/dev.yaml", "  retool:\n", "")
    rendering = load_and_render(example_repo)
    planned = output.plan(example_repo, rendering.files, None)
    wanted = {path: text.encode() for path, text in rendering.files.items()}
    commands = [("render",)] * 4 + [("render", "--check")] * 2
    processes = [_start(example_repo, *args) for args in commands]
    results = [(process, *process.communicate()) for process in processes]

    changes = []
    for args, (process, stdout, stderr) in zip(commands, results, strict=True):
        assert "Traceback" not in stderr
        assert stderr.replace(_waiting_lines(stderr), "") in ("", _stale_summary(planned))
        if args == ("render",):
            assert process.returncode == 0, stderr
            found = RENDERED.fullmatch(stdout)
            assert found, stdout
            changes.append((int(found["written"]), int(found["pruned"])))
        else:
            assert (process.returncode, stdout.startswith("stale: ")) in ((0, False), (1, True))
    assert sorted(changes) == [(0, 0), (0, 0), (0, 0), (len(planned.writes), len(planned.prunes))]
    assert len(planned.writes) > 0 and len(planned.prunes) > 0
    assert output_snapshot(example_repo) == wanted
    assert (_workspace(example_repo), _hidden_output(example_repo)) == (AT_REST, [])


RENDERED = re.compile(
    r"rendered \d+ files in 3 environments: (?P<written>\d+) written, (?P<pruned>\d+) pruned\n"
)


def _waiting_lines(stderr: str) -> str:
    return "".join(line for line in stderr.splitlines(keepends=True) if line.startswith("waiting"))


def _stale_summary(planned: output.Plan) -> str:
    stale = len(planned.writes) - len(planned.missing)
    return SUMMARY.format(stale=stale, left="").replace(
        "0 missing, 0 extra", f"{len(planned.missing)} missing, {len(planned.prunes)} extra"
    )


# --- containment ----------------------------------------------------------------------------------


def _link_to_outside(where: str) -> Callable[[Path, Path], None]:
    """Replace the folder ``where`` with a link to the empty folder ``outside``."""

    def setup(repo: Path, outside: Path) -> None:
        shutil.rmtree(repo / where)
        (repo / where).symlink_to(outside, target_is_directory=True)

    return setup


def _link_inside(repo: Path, outside: Path) -> None:
    """A link that stays inside the repository is refused all the same."""
    (repo / "applications/prod").rename(repo / "prod-applications")
    (repo / "applications/prod").symlink_to(repo / "prod-applications")


def _link_to_an_outside_file(repo: Path, outside: Path) -> None:
    (outside / "values.yaml").write_bytes((repo / "rendered/dev/retool/values.yaml").read_bytes())
    (repo / "rendered/dev/retool/values.yaml").unlink()
    (repo / "rendered/dev/retool/values.yaml").symlink_to(outside / "values.yaml")


def _file_for_a_folder(repo: Path, outside: Path) -> None:
    shutil.rmtree(repo / "rendered/dev")
    (repo / "rendered/dev").write_text("not a folder\n", encoding="utf-8")


def _linked_workspace(repo: Path, outside: Path) -> None:
    (repo / ".gitopsctl").symlink_to(outside, target_is_directory=True)


@pytest.mark.parametrize(
    ("setup", "message", "args"),
    [
        pytest.param(
            _link_to_outside("applications"), f"applications: {SYMLINK}", ("render",), id="top"
        ),
        pytest.param(
            _link_to_outside("rendered/dev"), f"rendered/dev: {SYMLINK}", ("render",), id="env"
        ),
        pytest.param(
            _link_to_outside("rendered/dev/retool"),
            f"rendered/dev/retool: {SYMLINK}",
            ("render",),
            id="app-folder",
        ),
        pytest.param(
            _link_to_outside("rendered/dev"),
            f"rendered/dev: {SYMLINK}",
            ("render", "--check"),
            id="env-check",
        ),
        pytest.param(
            _link_to_outside("rendered/dev"),
            f"rendered/dev: {SYMLINK}",
            ("validate",),
            id="env-validate",
        ),
        pytest.param(
            _link_to_outside("rendered/dev"),
            f"rendered/dev: {SYMLINK}",
            ("render", "--env", "dev"),
            id="env-only-that-env",
        ),
        pytest.param(_link_inside, f"applications/prod: {SYMLINK}", ("render",), id="inside"),
        pytest.param(
            _link_to_an_outside_file,
            f"rendered/dev/retool/values.yaml: {SYMLINK}",
            ("render",),
            id="file",
        ),
        pytest.param(
            _file_for_a_folder,
            "rendered/dev: not a folder, but the renderer writes output inside it",
            ("render",),
            id="file-for-a-folder",
        ),
        pytest.param(_linked_workspace, f".gitopsctl: {SYMLINK}", ("render",), id="workspace"),
    ],
)
def test_a_link_on_the_way_to_output_is_exit_2_and_nothing_is_written_anywhere(
    example_repo: Path,
    tmp_path_factory: pytest.TempPathFactory,
    setup: Callable[[Path, Path], None],
    message: str,
    args: tuple[str, ...],
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    setup(example_repo, outside)
    edit(example_repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")
    before = sorted(path.name for path in outside.iterdir())
    outside_bytes = {path.name: path.read_bytes() for path in outside.iterdir()}

    result = run_cli(example_repo, *args)

    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert sorted(path.name for path in outside.iterdir()) == before
    assert {path.name: path.read_bytes() for path in outside.iterdir()} == outside_bytes
    assert _hidden_output(example_repo) == []


# --- what interrupted renders leave, reported by --check and cleared by render -------------------

TEMPORARY = "applications/dev/.retool.yaml.k2j4h6g8.tmp"


def _temporary_file(repo: Path) -> str:
    """A file an earlier version staged next to its target, interrupted before writing it."""
    (repo / TEMPORARY).write_bytes(b"")
    return TEMPORARY


def _uncommitted_staging(repo: Path) -> str:
    (repo / ".gitopsctl/staging-test").mkdir(parents=True)
    (repo / ".gitopsctl/staging-test/000000").write_text("# Generated by render.py\n", "utf-8")
    return ".gitopsctl/staging-test"


def _unfinished_switch(repo: Path) -> str:
    """A committed journal whose one move (a values file the sources do not render) was never
    made: finishing it writes that file, and the render after it writes it back."""
    staging = repo / ".gitopsctl/staging-test"
    staging.mkdir(parents=True)
    values = repo / "rendered/dev/retool/values.yaml"
    (staging / "000000").write_bytes(values.read_bytes() + b"replicaCount: 9\n")
    record = (
        '{"version": 1, "moves": [["000000", "rendered/dev/retool/values.yaml"]], "prunes": []}'
    )
    (staging / "journal.json").write_text(record, encoding="utf-8")
    return ".gitopsctl/staging-test"


@pytest.mark.parametrize(
    ("leave", "kind", "written"),
    [
        pytest.param(_temporary_file, journal.TEMPORARY, 0, id="temporary-file"),
        pytest.param(_uncommitted_staging, journal.STAGED, 0, id="uncommitted-staging"),
        pytest.param(_unfinished_switch, journal.UNFINISHED, 1, id="unfinished-switch"),
    ],
)
def test_check_reports_what_an_interrupted_render_left_and_render_clears_it(
    example_repo: Path, leave: Callable[[Path], str], kind: journal.LeftoverKind, written: int
) -> None:
    path = leave(example_repo)

    check = invoke_cli(example_repo, "render", "--check")
    assert (check.exit_code, check.stdout, check.stderr) == (
        1,
        f"{kind.label}: {path} ({kind.description})\n",
        SUMMARY.format(stale=0, left=LEFT),
    )

    result = invoke_cli(example_repo, "render")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"{kind.recovered}: {path}\n"
        f"rendered 96 files in 3 environments: {written} written, 0 pruned\n"
    )
    assert output_snapshot(example_repo) == output_snapshot(PROJECT)
    assert (_workspace(example_repo), _hidden_output(example_repo)) == (AT_REST, [])


def test_a_journal_naming_a_file_outside_the_output_is_exit_2_and_is_not_followed(
    example_repo: Path,
) -> None:
    staging = example_repo / ".gitopsctl/staging-test"
    staging.mkdir(parents=True)
    (staging / "000000").write_text("# Generated by render.py\n", encoding="utf-8")
    (staging / "journal.json").write_text(
        '{"version": 1, "moves": [["000000", "rendered/../../outside.yaml"]], "prunes": []}',
        encoding="utf-8",
    )

    result = run_cli(example_repo, "render")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: .gitopsctl/staging-test/journal.json: a journal this renderer cannot finish "
        "(not an output file: 'rendered/../../outside.yaml'); remove its folder to give the "
        "switch up, then check the output with `render --check`\n"
    )
    assert not (example_repo.parent / "outside.yaml").exists()
    assert output_snapshot(example_repo) == output_snapshot(PROJECT)


# --- a failure after the commit point, durability, file modes -------------------------------------


def test_a_failure_after_the_commit_point_is_finished_by_the_next_render(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITOPSCTL_NO_CACHE", "1")  # the calls counted are the journal's own
    edit(example_repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")
    wanted = {path: text.encode() for path, text in load_and_render(example_repo).files.items()}
    real, calls = os.replace, []

    def replace(source: str, target: str) -> None:
        calls.append(target)
        if len(calls) == 3:  # the journal, one file, then a full disk
            raise OSError(28, "No space left on device")
        real(source, target)

    monkeypatch.setattr(os, "replace", replace)
    failed = invoke_cli(example_repo, "render")
    monkeypatch.undo()

    assert (failed.exit_code, failed.stdout) == (2, "")
    assert STAGING.sub("STAGING", failed.stderr) == (
        "error: [Errno 28] No space left on device\n"
        "error: the switch to the new output is committed but not finished "
        "(STAGING/journal.json); run `render` again to finish it\n"
    )
    assert invoke_cli(example_repo, "render", "--check").stderr == SUMMARY.format(
        stale=47, left=LEFT
    )
    result = invoke_cli(example_repo, "render")
    assert STAGING.sub("STAGING", result.stdout) == (
        "finished the committed switch of an interrupted render: STAGING\n"
        "rendered 96 files in 3 environments: 0 written, 0 pruned\n"
    )
    assert output_snapshot(example_repo) == wanted


def test_durability_costs_two_file_system_flushes_and_the_journal_fsyncs(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(example_repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")
    calls: list[str] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        calls.append("fsync")
        real_fsync(descriptor)

    monkeypatch.setattr(journal, "_syncfs", lambda: lambda descriptor: calls.append("syncfs"))
    monkeypatch.setattr(os, "fsync", fsync)

    result = invoke_cli(example_repo, "render")

    assert (result.exit_code, result.stderr) == (0, "")
    # the staged files; the journal and its folder (the commit point); the switch
    assert calls == ["syncfs", "fsync", "fsync", "syncfs"]


def test_without_syncfs_each_staged_file_and_each_changed_folder_is_fsynced(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(example_repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real_fsync(descriptor)

    monkeypatch.setattr(journal, "_syncfs", lambda: None)
    monkeypatch.setattr(os, "fsync", fsync)

    result = invoke_cli(example_repo, "render")

    assert (result.exit_code, result.stderr) == (0, "")
    names = [STAGING.sub("STAGING", str(Path(path).relative_to(example_repo))) for path in synced]
    # staged in one folder per output folder: applications/dev, applications/prod, ...staging
    assert names == [
        *(f"STAGING/{index // 16:03d}/{index:06d}" for index in range(48)),
        *(f"STAGING/{folder:03d}" for folder in range(3)),
        "STAGING",
        ".gitopsctl",
        "STAGING/journal.json.tmp",
        "STAGING",
        "applications/dev",
        "applications/prod",
        "applications/staging",
    ]


def test_rendered_files_get_the_usual_mode(example_repo: Path) -> None:
    edit(example_repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")
    umask = os.umask(0o022)
    os.umask(umask)

    assert run_cli(example_repo, "render").returncode == 0

    assert (example_repo / "applications/dev/retool.yaml").stat().st_mode & 0o777 == 0o666 & ~umask
