"""Writing the output: a failure before the commit point changes nothing; pruning; hand-written
files."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from gitopsctl.pipeline import load_and_render
from gitopsctl.render import journal
from tests.conftest import OUTPUT_DIRS, invoke_cli, output_snapshot
from tests.support import delete_environment, edit

HAND_WRITTEN = b"# Notes for the on-call engineer; not generated.\nkind: ConfigMap\n"
HAND_WRITTEN_ERROR = (
    "error: {path}: a hand-written file is where the renderer must write: move it, "
    "or delete it if it is an old output\n"
)
NEW_APP = "chart:\n  path: charts/cluster-issuer\nnamespace: reports\nvalues:\n  name: reports\n"


def _folders(repo: Path) -> list[str]:
    return sorted(
        path.relative_to(repo).as_posix()
        for top in OUTPUT_DIRS
        for path in (repo / top).rglob("*")
        if path.is_dir()
    )


def _change_revision(repo: Path) -> None:
    """Every Application of every environment names the revision."""
    edit(repo, "sources/platform.yaml", "  revision: main\n", "  revision: release-2\n")


def _add_app_in_new_folders(repo: Path) -> None:
    """A new app in dev: two new files, one of them in a new folder."""
    (repo / "sources/apps/reports.yaml").write_text(NEW_APP, encoding="utf-8")
    dev = repo / "sources/environments/dev.yaml"
    dev.write_text(dev.read_text(encoding="utf-8") + "  reports:\n", encoding="utf-8")


def _failing(module: object, name: str, calls: int) -> Callable[[pytest.MonkeyPatch], None]:
    """``module.name`` fails with a full disk on its ``calls``-th call, and works before it."""

    def patch(monkeypatch: pytest.MonkeyPatch) -> None:
        real = getattr(module, name)
        called: list[object] = []

        def failing(*args: object) -> object:
            called.append(args)
            if len(called) == calls:
                raise OSError(28, "No space left on device")
            return real(*args)

        monkeypatch.setattr(module, name, failing)

    return patch


@pytest.mark.parametrize(
    ("edit", "failure"),
    [
        pytest.param(_change_revision, _failing(journal, "_write_new", 1), id="first-file"),
        pytest.param(_change_revision, _failing(journal, "_write_new", 3), id="third-file"),
        pytest.param(_change_revision, _failing(journal, "_flush", 1), id="flush-of-staged-files"),
        pytest.param(_change_revision, _failing(os, "fsync", 1), id="journal-fsync"),
        pytest.param(_change_revision, _failing(os, "replace", 1), id="journal-rename"),
        pytest.param(
            _add_app_in_new_folders, _failing(journal, "_write_new", 2), id="file-in-new-folder"
        ),
    ],
)
def test_a_failed_write_changes_nothing(
    example_repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit: Callable[[Path], None],
    failure: Callable[[pytest.MonkeyPatch], None],
) -> None:
    monkeypatch.setenv("GITOPSCTL_NO_CACHE", "1")  # the failures are the journal's own calls
    edit(example_repo)
    before, folders = output_snapshot(example_repo), _folders(example_repo)
    failure(monkeypatch)

    result = invoke_cli(example_repo, "render")

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: could not write the rendered output, nothing changed: "
        "[Errno 28] No space left on device\n"
    )
    assert output_snapshot(example_repo) == before
    assert _folders(example_repo) == folders
    assert sorted(path.name for path in (example_repo / ".gitopsctl").iterdir()) == [
        ".gitignore",
        "lock",
    ]


def _remove_app_block(repo: Path, env_file: str, app: str) -> None:
    path = repo / env_file
    text, count = re.subn(rf"(?m)^  {app}:\n(?:    .*\n)*", "", path.read_text(encoding="utf-8"))
    assert count == 1
    path.write_text(text, encoding="utf-8")


def _disable_retool_in_prod(repo: Path) -> None:
    _remove_app_block(repo, "sources/environments/prod.yaml", "retool")


def _delete_staging(repo: Path) -> None:
    delete_environment(repo, "staging")


@pytest.mark.parametrize(
    ("edit", "hand_written", "pruned", "rewritten", "gone_folders"),
    [
        pytest.param(
            _disable_retool_in_prod,
            "applications/prod/NOTES.yaml",
            {
                "applications/prod/retool.yaml",
                "applications/prod/retool-db.yaml",
                "applications/prod/retool-secrets.yaml",
                "rendered/prod/retool/values.yaml",
                "rendered/prod/retool-db/values.yaml",
                "rendered/prod/retool-secrets/values.yaml",
            },
            # retool's chart repository leaves the AppProject's sourceRepos
            {"applications/prod/project.yaml"},
            ["rendered/prod/retool", "rendered/prod/retool-db", "rendered/prod/retool-secrets"],
            id="app-removed-from-environment",
        ),
        pytest.param(
            _delete_staging,
            "applications/staging/NOTES.yaml",
            None,
            set(),
            ["rendered/staging"],
            id="environment-deleted",
        ),
    ],
)
def test_render_prunes_exactly_the_generated_files_of_what_was_removed(
    example_repo: Path,
    edit: Callable[[Path], None],
    hand_written: str,
    pruned: set[str] | None,
    rewritten: set[str],
    gone_folders: list[str],
) -> None:
    (example_repo / hand_written).write_bytes(HAND_WRITTEN)
    before, folders = output_snapshot(example_repo), _folders(example_repo)
    edit(example_repo)
    rendering = load_and_render(example_repo)
    wanted = {path: text.encode() for path, text in rendering.files.items()}
    expected_pruned = pruned or {path for path in before if "/staging/" in path} - {hand_written}

    result = invoke_cli(example_repo, "render")

    assert (result.exit_code, result.stderr) == (0, "")
    after = output_snapshot(example_repo)
    assert set(before) - set(after) == expected_pruned
    assert {path for path in after if after[path] != before[path]} == rewritten
    assert after == {**wanted, hand_written: HAND_WRITTEN}
    assert result.stdout == (
        f"rendered {len(wanted)} files in {len(rendering.environments)} "
        f"environments: {len(rewritten)} written, {len(expected_pruned)} pruned\n"
    )
    assert _folders(example_repo) == [
        folder
        for folder in folders
        if not any(folder == gone or folder.startswith(f"{gone}/") for gone in gone_folders)
    ]


@pytest.mark.parametrize(
    "args",
    [pytest.param(("render",), id="render"), pytest.param(("render", "--check"), id="check")],
)
def test_a_hand_written_file_where_the_renderer_writes_stops_everything(
    example_repo: Path, args: tuple[str, ...]
) -> None:
    edit(
        example_repo,
        "sources/environments/dev.yaml",
        "domain: dev.platform.example.com\n",
        "domain: dev2.platform.example.com\n",
    )
    (example_repo / "applications/dev/retool.yaml").write_bytes(HAND_WRITTEN)
    before = output_snapshot(example_repo)

    result = invoke_cli(example_repo, *args)

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == HAND_WRITTEN_ERROR.format(path="applications/dev/retool.yaml")
    assert output_snapshot(example_repo) == before


# --- the output as the results cache's digests read it --------------------------------------------

GENERATED = b"# Generated by render.py\n"


def _write(name: str, content: bytes) -> Callable[[Path], None]:
    def write(repo: Path) -> None:
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    return write


def _stale(repo: Path) -> None:
    edit(repo, "rendered/prod/retool/values.yaml", "replicaCount: 3", "replicaCount: 4")


def _missing(repo: Path) -> None:
    (repo / "applications/dev/retool.yaml").unlink()


def _crlf(repo: Path) -> None:
    path = repo / "rendered/dev/retool/values.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda repo: None, id="current"),
        pytest.param(_stale, id="stale"),
        pytest.param(_missing, id="missing"),
        pytest.param(_write("rendered/qa/retool/values.yaml", GENERATED), id="extra"),
        pytest.param(_write("rendered/dev/notes.md", b"# notes\n"), id="hand-written"),
        pytest.param(_write("rendered/dev/.retool.yaml.abcd1234.tmp", b""), id="empty-temporary"),
        pytest.param(
            _write("applications/dev/.retool.yaml.abcd1234.tmp", GENERATED), id="temporary"
        ),
        pytest.param(
            _write("applications/dev/.retool.yaml.abcd1234.tmp", b"mine\n"), id="not-ours"
        ),
        pytest.param(_write("rendered/dev/.hidden.yaml", GENERATED), id="dot-file"),
        pytest.param(_write("rendered/.old/values.yaml", GENERATED), id="dot-folder"),
        pytest.param(_write("rendered/dev/latin1.yaml", GENERATED + b"caf\xe9\n"), id="not-utf8"),
        pytest.param(_write("rendered/dev/cr.yaml", GENERATED + b"a: 1\rb: 2\r"), id="cr"),
        pytest.param(_crlf, id="crlf"),
    ],
)
@pytest.mark.parametrize("envs", [None, ["dev"]], ids=["all", "dev"])
def test_the_output_as_digested_plans_as_the_output_read_again(
    example_repo: Path, change: Callable[[Path], None], envs: list[str] | None
) -> None:
    from gitopsctl.render import digests, output

    change(example_repo)
    files = load_and_render(example_repo, envs or ()).files
    inputs = digests.read_inputs(example_repo)
    assert inputs is not None

    planned = output.plan(example_repo, files, envs, inputs.output)

    assert planned == output.plan(example_repo, files, envs)
    assert sorted(inputs.output) == sorted(output_snapshot(example_repo))
