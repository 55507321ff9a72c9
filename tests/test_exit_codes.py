"""Exit codes: 0 success, 1 findings, 2 unusable input or options, 3 an internal error (a bug),
shown as one line unless `--debug` asks for the traceback."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pytest
from click.testing import CliRunner

from gitopsctl.cli import main as cli_main
from gitopsctl.cli.main import cli
from tests.conftest import PROJECT

ONE_LINE = "internal error: KeyError: 'spec' (rerun with --debug for the traceback)\n"


def _bug(*args: object, **kwargs: object) -> NoReturn:
    raise KeyError("spec")


@pytest.fixture(autouse=True)
def _computed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command computes its result: one remembered in the cache would call no bug."""
    monkeypatch.setenv("GITOPSCTL_NO_CACHE", "1")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("target", "args"),
    [
        pytest.param("gitopsctl.pipeline.validate_repository", ["validate"], id="validate"),
        pytest.param("gitopsctl.pipeline.load_and_render", ["render", "--check"], id="render"),
        pytest.param("gitopsctl.report.catalog.listing", ["rules"], id="rules"),
    ],
)
def test_an_unexpected_exception_is_exit_3_in_one_line(
    monkeypatch: pytest.MonkeyPatch, target: str, args: list[str]
) -> None:
    monkeypatch.setattr(target, _bug)
    assert invoke("--repo", str(PROJECT), *args) == (3, "", ONE_LINE)


def test_debug_prints_the_traceback_and_still_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gitopsctl.pipeline.validate_repository", _bug)
    code, stdout, stderr = invoke("--debug", "--repo", str(PROJECT), "validate")
    lines = stderr.splitlines()
    assert (code, stdout, lines[0], lines[-1]) == (
        3,
        "",
        "Traceback (most recent call last):",
        "KeyError: 'spec'",
    )
    assert "internal error" not in stderr


def test_a_message_over_several_lines_is_shown_on_one(monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(*args: object) -> NoReturn:
        raise ValueError("first\nsecond")

    monkeypatch.setattr("gitopsctl.pipeline.validate_repository", bug)
    assert invoke("--repo", str(PROJECT), "validate") == (
        3,
        "",
        "internal error: ValueError: first second (rerun with --debug for the traceback)\n",
    )


def test_unusable_input_is_still_exit_2(tmp_path: Path) -> None:
    assert invoke("--repo", str(tmp_path), "render") == (
        2,
        "",
        f"error: no sources/ folder in {tmp_path.resolve()}: run from a repository root or pass "
        "--repo DIR\n",
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["render.py", "rules"], ONE_LINE, id="without-debug"),
        pytest.param(["render.py", "--debug", "rules"], "Traceback", id="with-debug"),
    ],
)
def test_main_catches_what_escapes_before_a_command(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    expected: str,
) -> None:
    monkeypatch.setattr(cli_main, "cli", _bug)
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as exited:
        cli_main.main()
    assert (exited.value.code, capsys.readouterr().err.startswith(expected)) == (3, True)


def test_help_names_the_environment_variables_the_tool_reads() -> None:
    from gitopsctl import parallel
    from gitopsctl.render import cache, chartcache

    code, stdout, stderr = invoke("--help")
    assert (code, stderr) == (0, "")
    epilog = stdout[stdout.index("Environment variables:") :]
    names = [line.split()[0].split("=")[0] for line in epilog.splitlines()[1:] if line[4:5] != " "]
    assert names == [cache.DISABLED_BY, parallel.JOBS_VARIABLE, "XDG_CACHE_HOME"]
    assert "CI is set" in epilog
    assert chartcache.CACHE_SUBDIR.as_posix() in epilog


def _interrupt(*args: object, **kwargs: object) -> NoReturn:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("target", "args"),
    [
        pytest.param("gitopsctl.pipeline.validate_repository", ["validate"], id="validate"),
        pytest.param("gitopsctl.report.catalog.listing", ["rules"], id="rules"),
        pytest.param(
            "gitopsctl.pipeline.load_and_render",
            ["explain", "--env", "dev", "--app", "retool"],
            id="explain",
        ),
    ],
)
def test_ctrl_c_is_exit_130_never_the_findings_code(
    monkeypatch: pytest.MonkeyPatch, target: str, args: list[str]
) -> None:
    monkeypatch.setattr(target, _interrupt)
    assert invoke("--repo", str(PROJECT), *args) == (130, "", "interrupted by SIGINT\n")


# `render.py` ends its process at once (os._exit) once the command has returned.
EXITING = """
import sys
from gitopsctl.cli import main as cli_main

def command(**kwargs):
    print("what the command printed", end="")
    sys.exit(EXIT)

cli_main.cli = command
cli_main.main_and_exit()
print("never here")
"""


@pytest.mark.parametrize(
    ("code", "status", "stderr"),
    [
        pytest.param("1", 1, "", id="findings"),
        pytest.param("None", 0, "", id="success"),
        pytest.param("'a message'", 1, "a message\n", id="message"),
    ],
)
def test_the_process_ends_with_the_command_s_code_and_all_of_its_output(
    code: str, status: int, stderr: str
) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", EXITING.replace("EXIT", code)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (done.returncode, done.stdout, done.stderr) == (
        status,
        "what the command printed",
        stderr,
    )


def test_a_profiler_still_gets_to_write_its_report(tmp_path: Path) -> None:
    import pstats
    import subprocess
    import sys

    report = tmp_path / "profile"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(report), "render.py", "rules"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert pstats.Stats(str(report)).total_calls > 0  # type: ignore[attr-defined]
