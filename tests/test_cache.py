"""The results cache (`.gitopsctl/cache/`): a result is given again only for the very inputs it
was computed from; any edit, a corrupt entry or an input changing mid-run means computing it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import NoReturn

import pytest

from gitopsctl.findings import Finding, Severity, as_record, from_record
from gitopsctl.pipeline import remembered_validation
from gitopsctl.render import cache, digests
from tests.conftest import invoke_cli, run_cli
from tests.support import copy_example

CACHE = Path(".gitopsctl/cache")
TODAY = date(2026, 12, 4)
Mutate = Callable[[Path], None]


pytestmark = pytest.mark.usefixtures("caches_on")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo")


def _computing_is_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(*args: object) -> NoReturn:
        raise AssertionError("computed although the inputs did not change")

    monkeypatch.setattr("gitopsctl.pipeline.usable_rendering", bug)
    monkeypatch.setattr("gitopsctl.pipeline.load_and_render", bug)


def _computed(repo: Path, *args: str) -> tuple[int, str]:
    """The command's exit code and output without any cache."""
    done = run_cli(repo, *args, env={cache.DISABLED_BY: "1"})
    return done.returncode, done.stdout


def _outcome(repo: Path, *args: str) -> tuple[int, str]:
    result = invoke_cli(repo, *args)
    return result.exit_code, result.stdout


# --- a result given again ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_validate_gives_the_same_report_again_without_computing_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    first = _outcome(repo, "validate", "--format", fmt)
    assert (repo / CACHE / "validate.json").is_file()
    _computing_is_a_bug(monkeypatch)
    assert (
        _outcome(repo, "validate", "--format", fmt)
        == first
        == _computed(repo, "validate", "--format", fmt)
    )


@pytest.mark.parametrize("first", [[], ["render"]], ids=["validate", "render-then-validate"])
def test_render_check_passes_again_after_validate_found_no_drift(
    repo: Path, monkeypatch: pytest.MonkeyPatch, first: list[str]
) -> None:
    for command in first:
        invoke_cli(repo, command)
    invoke_cli(repo, "validate")
    _computing_is_a_bug(monkeypatch)
    assert _outcome(repo, "render", "--check") == (0, "up to date: 96 files\n")


def test_a_remembered_verdict_does_not_load_the_renderer(repo: Path) -> None:
    import subprocess
    import sys

    invoke_cli(repo, "validate")
    program = (
        "import sys; from gitopsctl.cli.main import cli\n"
        "try: cli(['--repo', sys.argv[1], 'render', '--check'])\n"
        "except SystemExit: print('gitopsctl.render.rendering' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, str(repo)], capture_output=True, text=True, check=True
    )
    assert done.stdout == "up to date: 96 files\nFalse\n"


def test_render_check_remembers_only_a_current_output(repo: Path) -> None:
    _append("rendered/dev/retool/values.yaml")(repo)
    assert _outcome(repo, "render", "--check")[0] == 1
    assert not (repo / CACHE / "render-check.json").exists()
    assert _outcome(repo, "render", "--check") == _computed(repo, "render", "--check")


def test_a_stale_output_found_by_validate_is_no_passing_check(repo: Path) -> None:
    _append("rendered/dev/retool/values.yaml")(repo)
    assert _outcome(repo, "validate")[0] == 1
    assert _outcome(repo, "render", "--check")[0] == 1


# --- any edit to an input is a new key ----------------------------------------------------------


def _append(name: str) -> Mutate:
    def mutate(repo: Path) -> None:
        with open(repo / name, "a", encoding="utf-8") as stream:
            stream.write("\n")

    return mutate


def _add(name: str) -> Mutate:
    def mutate(repo: Path) -> None:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("# notes\n", encoding="utf-8")

    return mutate


def _remove(name: str) -> Mutate:
    return lambda repo: (repo / name).unlink()


def _rename(old: str, new: str) -> Mutate:
    def mutate(repo: Path) -> None:
        (repo / old).rename(repo / new)

    return mutate


def _staging_left(repo: Path) -> None:
    (repo / ".gitopsctl/staging-1234").mkdir(parents=True)


EDITS = [
    pytest.param(_append("sources/platform.yaml"), id="platform"),
    pytest.param(_append("sources/environments/dev.yaml"), id="environment"),
    pytest.param(_append("sources/apps/retool.yaml"), id="app"),
    pytest.param(_append("sources/profiles/retool.yaml"), id="chart-profile"),
    pytest.param(_append("charts/cnpg-cluster/values.schema.json"), id="chart-schema"),
    pytest.param(_append("charts/cnpg-cluster/templates/cluster.yaml"), id="chart-template"),
    pytest.param(_append("applications/dev/retool.yaml"), id="committed-application"),
    pytest.param(_append("rendered/dev/retool/values.yaml"), id="committed-values"),
    pytest.param(_add("rendered/dev/notes.md"), id="file-added"),
    pytest.param(_add("sources/apps/new/empty"), id="folder-added"),
    pytest.param(_remove("rendered/dev/retool/values.yaml"), id="file-removed"),
    pytest.param(
        _rename("charts/cnpg-cluster/values.yaml", "charts/cnpg-cluster/x.yaml"), id="ren"
    ),
]


@pytest.mark.parametrize("mutate", EDITS)
def test_any_edit_to_an_input_changes_the_key(repo: Path, mutate: Mutate) -> None:
    before = digests.read_inputs(repo)
    mutate(repo)
    after = digests.read_inputs(repo)
    assert before is not None and after is not None
    assert before.digest != after.digest
    assert not before.unchanged()


def test_the_tool_itself_is_an_input(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = digests.read_inputs(repo)
    monkeypatch.setattr(digests, "code_identity", lambda: "another version")
    after = digests.read_inputs(repo)
    assert before is not None and after is not None and before.digest != after.digest


def test_options_and_the_date_are_part_of_the_key(repo: Path) -> None:
    inputs = digests.read_inputs(repo)
    assert inputs is not None
    keys = {
        inputs.key("validate", "2026-12-04"),
        inputs.key("validate", "2026-12-05"),
        inputs.key("validate", "2026-12-04", "dev"),
        inputs.key("render-check"),
        inputs.key("render-check", "dev"),
    }
    assert len(keys) == 5


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(_append("sources/environments/prod.yaml"), id="source"),
        pytest.param(_append("rendered/prod/monitoring/values.yaml"), id="committed-output"),
        pytest.param(_remove("applications/staging/retool.yaml"), id="committed-file-removed"),
        pytest.param(_staging_left, id="interrupted-render"),
    ],
)
def test_after_an_edit_validate_reports_what_it_computes(repo: Path, mutate: Mutate) -> None:
    invoke_cli(repo, "validate")
    mutate(repo)
    assert _outcome(repo, "validate") == _computed(repo, "validate")
    assert _outcome(repo, "render", "--check")[0] == _computed(repo, "render", "--check")[0]


def test_a_finding_that_expires_is_computed_on_the_next_day(repo: Path) -> None:
    first = remembered_validation(repo, [], TODAY)
    stored = json.loads((repo / CACHE / "validate.json").read_text(encoding="utf-8"))
    remembered_validation(repo, [], date(2026, 12, 5))
    again = json.loads((repo / CACHE / "validate.json").read_text(encoding="utf-8"))
    assert first == remembered_validation(repo, [], date(2026, 12, 5))
    assert stored["key"] != again["key"]


# --- never trusted blindly ----------------------------------------------------------------------


def _entry(repo: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((repo / CACHE / "validate.json").read_bytes())
    return loaded


def _forged(payload: str) -> Callable[[dict[str, object]], dict[str, object]]:
    def forge(entry: dict[str, object]) -> dict[str, object]:
        return {**entry, "payload": payload, "sha256": cache._checksum(payload)}

    return forge


CORRUPTIONS = [
    pytest.param(lambda entry: {**entry, "payload": "[]"}, id="payload-not-its-digest"),
    pytest.param(lambda entry: {**entry, "format": 0}, id="other-format"),
    pytest.param(lambda entry: {**entry, "key": "0" * 64}, id="other-key"),
    pytest.param(lambda entry: [entry], id="not-an-entry"),
    pytest.param(_forged("{}"), id="payload-not-a-list"),
    pytest.param(_forged('[["ha-replicas"]]'), id="short-record"),
    pytest.param(
        _forged('[["r","fatal",null,null,"f",1,1,"m",null,false]]'), id="unknown-severity"
    ),
    pytest.param(_forged('[["r","error",null,null,"f","1",1,"m",null,false]]'), id="text-line"),
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_a_corrupt_entry_is_ignored_and_replaced(
    repo: Path, corrupt: Callable[[dict[str, object]], object]
) -> None:
    expected = _outcome(repo, "validate")
    good = _entry(repo)
    (repo / CACHE / "validate.json").write_text(json.dumps(corrupt(good)), encoding="utf-8")
    assert _outcome(repo, "validate") == expected
    assert _entry(repo) == good


@pytest.mark.parametrize("text", ["", "{", "\x00" * 10, '{"format": 1', "[" * 100_000])
def test_an_unreadable_entry_is_ignored_and_replaced(repo: Path, text: str) -> None:
    expected = _outcome(repo, "validate")
    good = _entry(repo)
    (repo / CACHE / "validate.json").write_text(text, encoding="utf-8")
    assert _outcome(repo, "validate") == expected
    assert _entry(repo) == good


def test_an_entry_reached_through_a_link_is_not_read(repo: Path, tmp_path: Path) -> None:
    expected = _outcome(repo, "validate")
    entry = repo / CACHE / "validate.json"
    outside = tmp_path / "elsewhere.json"
    entry.rename(outside)
    entry.symlink_to(outside)
    assert cache.load(repo, "validate", _entry_key(outside)) is None
    assert _outcome(repo, "validate") == expected


def _entry_key(path: Path) -> str:
    key: str = json.loads(path.read_bytes())["key"]
    return key


def test_a_result_computed_while_an_input_changed_is_not_stored(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitopsctl import pipeline

    real = pipeline.usable_rendering

    def editing_meanwhile(*args: object, **kwargs: object) -> object:
        _append("sources/apps/retool.yaml")(repo)
        return real(repo, [])

    monkeypatch.setattr(pipeline, "usable_rendering", editing_meanwhile)
    remembered_validation(repo, [], TODAY)
    assert not (repo / CACHE / "validate.json").exists()


def test_findings_survive_their_record() -> None:
    finding = Finding("r", Severity.WARNING, "dev", None, "f.yaml", 3, 5, "m", "x", True)
    assert from_record(json.loads(json.dumps(as_record(finding)))) == finding


# --- when there is no cache ---------------------------------------------------------------------


def test_a_link_in_the_inputs_is_never_cached(repo: Path) -> None:
    os.symlink("retool.yaml", repo / "sources/apps/alias.txt")
    assert digests.read_inputs(repo) is None
    assert _outcome(repo, "validate") == _computed(repo, "validate")
    # Only the Terraform folder's node groups are kept: the link is not among their inputs.
    assert sorted(os.listdir(repo / CACHE)) == ["node-groups.json"]


@pytest.mark.parametrize("variable", [cache.DISABLED_BY, "CI"])
def test_the_cache_can_be_turned_off(
    repo: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "true")
    assert _outcome(repo, "validate") == _computed(repo, "validate")
    assert _outcome(repo, "render", "--check")[0] == 0
    assert not (repo / CACHE).exists()


def test_a_read_only_workspace_only_costs_time(repo: Path) -> None:
    (repo / ".gitopsctl").write_text("not a folder\n", encoding="utf-8")
    assert _outcome(repo, "validate") == _computed(repo, "validate")
