"""Shared by the render tests: a private copy of the example repository, and the command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gitopsctl.cli.main import cli
from gitopsctl.pipeline import load_and_render
from gitopsctl.render.rendering import Rendering

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLE_DIRS = ("sources", "charts", "applications", "rendered", "infrastructure")
OUTPUT_DIRS = ("applications", "rendered")


@pytest.fixture(autouse=True)
def _own_user_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test its own user cache folder (the chart cache, stored renderings): nothing of the
    machine's own is read or filled, and no test sees what another stored."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))


@pytest.fixture
def caches_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caches are used wherever the test runs (CI, which turns them off, included)."""
    from gitopsctl.render import cache

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(cache.DISABLED_BY, raising=False)


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """The example's sources, charts and committed output, copied into ``tmp_path``."""
    for name in EXAMPLE_DIRS:
        shutil.copytree(PROJECT / name, tmp_path / name)
    return tmp_path


@cache
def project_rendering() -> Rendering:
    """The example rendered in memory once per session (read-only: do not modify it)."""
    return load_and_render(PROJECT)


def run_cli(
    repo: Path,
    *args: str,
    cwd: Path = PROJECT,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``render.py --repo REPO ARGS...`` as a real process, from ``cwd`` (the project root unless
    told), with ``env`` added to this process's environment."""
    return subprocess.run(
        [sys.executable, str(PROJECT / "render.py"), "--repo", str(repo), *args],
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def invoke_cli(repo: Path, *args: str) -> Result:
    """The same command line in this process (fast, and monkeypatches apply)."""
    return CliRunner().invoke(cli, ["--repo", str(repo), *args], catch_exceptions=False)


def output_snapshot(repo: Path) -> dict[str, bytes]:
    """Every file under applications/ and rendered/ (hidden and temporary ones included)."""
    return {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for top in OUTPUT_DIRS
        for path in sorted((repo / top).rglob("*"))
        if path.is_file()
    }
