"""Renderings kept between commands (`$XDG_CACHE_HOME/gitopsctl/renderings/`): `validate` and
`render --check` take what `render` rendered from the very same inputs, and nothing else."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest

from bench import generate
from gitopsctl.pipeline import load_and_render
from gitopsctl.render import cache, renderings
from gitopsctl.render.rendering import Rendering
from tests.conftest import invoke_cli, run_cli
from tests.support import copy_example, edit

pytestmark = pytest.mark.usefixtures("caches_on")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo")


def _entries() -> list[str]:
    folder = renderings.folder()
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def _renders(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The repositories rendered from their sources from now on (not taken as stored)."""
    rendered: list[Path] = []

    def counted(repo: Path, envs: Sequence[str] = ()) -> Rendering:
        rendered.append(repo)
        return load_and_render(repo, envs)

    monkeypatch.setattr("gitopsctl.pipeline.load_and_render", counted)
    return rendered


def _validated(repo: Path) -> tuple[int, str]:
    result = invoke_cli(repo, "validate", "--format", "json")
    return result.exit_code, result.stdout


def _computed(repo: Path) -> tuple[int, str]:
    """`validate` with no cache at all, in a process of its own."""
    done = run_cli(repo, "validate", "--format", "json", env={cache.DISABLED_BY: "1"})
    return done.returncode, done.stdout


def test_validate_after_render_takes_the_stored_rendering_and_reports_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a generated repository with hundreds of findings, each located in a source or an output file
    repo = tmp_path / "generated"
    generate.generate(repo, 3, 20)
    assert invoke_cli(repo, "render").exit_code == 0
    assert len(_entries()) == 1
    rendered = _renders(monkeypatch)

    found = _validated(repo)

    assert rendered == []
    assert found == _computed(repo)
    assert found[0] == 1
    assert found[1].count('"rule": ') > 100


def test_render_check_after_render_takes_the_stored_rendering(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")
    assert invoke_cli(repo, "render").exit_code == 0
    rendered = _renders(monkeypatch)

    result = invoke_cli(repo, "render", "--check")

    assert (result.exit_code, result.stdout, rendered) == (0, "up to date: 96 files\n", [])


def test_a_rendering_is_stored_only_by_the_first_command_that_renders_its_inputs(
    repo: Path,
) -> None:
    assert invoke_cli(repo, "validate").exit_code == 0
    stored = _entries()
    assert len(stored) == 1
    first = (renderings.folder() / stored[0]).stat().st_mtime_ns
    assert invoke_cli(repo, "render").exit_code == 0
    assert invoke_cli(repo, "render", "--check").exit_code == 0
    assert _entries() == stored
    assert (renderings.folder() / stored[0]).stat().st_mtime_ns == first


@pytest.mark.parametrize(
    "name", ["sources/apps/retool.yaml", "sources/platform.yaml", "infrastructure/main.tf"]
)
def test_an_edit_of_what_the_rendering_depends_on_renders_again(
    repo: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    assert invoke_cli(repo, "render").exit_code == 0
    with open(repo / name, "a", encoding="utf-8") as stream:
        stream.write("# an edit\n")
    rendered = _renders(monkeypatch)

    assert _validated(repo) == _computed(repo)
    assert (rendered, len(_entries())) == ([repo], 2)


def test_an_edit_of_the_output_only_takes_the_stored_rendering(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke_cli(repo, "render").exit_code == 0
    line = edit(repo, "rendered/prod/retool/values.yaml", "replicaCount: 3", "replicaCount: 4")
    rendered = _renders(monkeypatch)

    result = invoke_cli(repo, "validate")

    assert (result.exit_code, rendered) == (1, [])
    assert f"rendered/prod/retool/values.yaml:{line}:" in result.stdout
    assert "render-drift" in result.stdout


def test_a_rendering_of_other_environments_is_not_taken(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke_cli(repo, "render", "--env", "dev").exit_code == 0
    rendered = _renders(monkeypatch)

    result = invoke_cli(repo, "render", "--check")

    assert (result.exit_code, result.stdout) == (0, "up to date: 96 files\n")
    assert (rendered, len(_entries())) == ([repo], 2)


def test_a_damaged_entry_is_rendered_again_and_replaced(repo: Path) -> None:
    assert invoke_cli(repo, "render").exit_code == 0
    (entry,) = _entries()
    (renderings.folder() / entry).write_bytes(b"\x80\x05not a pickle")

    assert _validated(repo) == _computed(repo)
    assert (renderings.folder() / entry).read_bytes()[:2] == b"\x80\x05"
    assert (renderings.folder() / entry).stat().st_size > 10_000


@pytest.mark.parametrize("mode", [0o770, 0o707], ids=["group-writable", "world-writable"])
def test_a_folder_others_can_write_is_neither_read_nor_written(
    repo: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    assert invoke_cli(repo, "render").exit_code == 0
    renderings.folder().chmod(mode)
    before = _entries()
    rendered = _renders(monkeypatch)

    edit(repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")
    assert invoke_cli(repo, "render").exit_code == 0
    edit(repo, "sources/platform.yaml", "  revision: v2\n", "  revision: main\n")
    assert invoke_cli(repo, "render").exit_code == 0

    assert (rendered, _entries()) == ([repo, repo], before)


def test_an_entry_others_can_write_is_not_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke_cli(repo, "render").exit_code == 0
    (entry,) = _entries()
    (renderings.folder() / entry).chmod(0o622)
    rendered = _renders(monkeypatch)

    assert invoke_cli(repo, "render", "--check").exit_code == 0

    assert rendered == [repo]


def test_a_user_cache_inside_the_repository_is_not_used(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(repo / ".cache"))
    edit(repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")

    assert invoke_cli(repo, "render").exit_code == 0

    assert _entries() == []


@pytest.mark.parametrize("variable", [cache.DISABLED_BY, "CI"])
def test_nothing_is_stored_with_the_caches_off(
    repo: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "1")

    assert invoke_cli(repo, "render").exit_code == 0
    assert invoke_cli(repo, "validate").exit_code == 0

    assert _entries() == []


def test_the_newest_entries_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copies = [copy_example(tmp_path / f"repo-{number}") for number in range(renderings.KEEP + 1)]
    for copy in copies:
        assert invoke_cli(copy, "validate").exit_code == 0
        shutil.rmtree(copy / ".gitopsctl/cache")  # its verdict would spare `render --check`
    rendered = _renders(monkeypatch)

    assert invoke_cli(copies[0], "render", "--check").exit_code == 0
    assert invoke_cli(copies[-1], "render", "--check").exit_code == 0

    assert (rendered, len(_entries())) == ([copies[0]], renderings.KEEP)


def test_what_a_killed_command_left_half_written_goes_when_it_is_old(repo: Path) -> None:
    folder = renderings.folder()
    folder.mkdir(parents=True, mode=0o700)
    old, recent = folder / ".abandoned.tmp", folder / ".being-written.tmp"
    for path in (old, recent):
        path.write_bytes(b"\x80\x05")
    hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(old, ns=(hour_ago, hour_ago))

    assert invoke_cli(repo, "render").exit_code == 0

    assert [name for name in _entries() if name.startswith(".")] == [recent.name]
    assert len(_entries()) == 2


def test_a_cache_folder_that_cannot_be_written_only_costs_time(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() == 0:
        monkeypatch.setattr("tempfile.mkstemp", _read_only)
    else:
        renderings.folder().mkdir(parents=True, mode=0o500)
    edit(repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")

    result = invoke_cli(repo, "render")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.endswith(" 48 written, 0 pruned\n")
    assert [name for name in _entries() if name.endswith(renderings.SUFFIX)] == []


def _read_only(*args: object, **kwargs: object) -> NoReturn:
    raise OSError(30, "Read-only file system")


def test_a_rendering_pickle_refuses_only_costs_time(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise TypeError("cannot pickle '_thread.lock' object")

    monkeypatch.setattr("pickle.dumps", refuse)

    result = invoke_cli(repo, "render")

    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "rendered 96 files in 3 environments: 0 written, 0 pruned\n",
        "",
    )
    assert _entries() == []


def test_outside_the_repository_only_the_user_cache_is_written(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, scratch = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    scratch.mkdir()
    monkeypatch.delenv("XDG_CACHE_HOME")
    environment = {"HOME": str(home), "TMPDIR": str(scratch)}
    edit(repo, "sources/platform.yaml", "  revision: main\n", "  revision: v2\n")

    for command in (["render"], ["validate"], ["render", "--check"]):
        done = run_cli(repo, *command, env=environment)
        assert (done.returncode, done.stderr) == (0, ""), command

    written = sorted(
        path.relative_to(tmp_path).as_posix() for top in (home, scratch) for path in top.rglob("*")
    )
    stored = "home/.cache/gitopsctl/renderings"
    assert written[:3] == ["home/.cache", "home/.cache/gitopsctl", stored]
    assert [name.removeprefix(stored + "/")[-7:] for name in written[3:]] == [".pickle"]
