"""`.gitopsctl/`: the renderer's working folder at the repository's root.

It holds the render lock (`lock`), the results of earlier runs (`cache/`, see cache) and, only
while a render switches the output or after one was interrupted, its staging folders
(`staging-<id>/`). A `.gitignore` of `*` inside keeps it out of
git without any setup, as pytest does for `.pytest_cache/`.
"""

from __future__ import annotations

import os
from pathlib import Path

from gitopsctl.errors import InputError, Problem
from gitopsctl.render.containment import folder_problem

WORKSPACE = ".gitopsctl"
CACHE = "cache"
GITIGNORE = "# The renderer's working folder (gitopsctl): never committed.\n*\n"


def create(repo: Path) -> Path:
    """The working folder, made (with its .gitignore) when missing."""
    folder = repo / WORKSPACE
    try:
        folder.mkdir(exist_ok=True)
        _check(repo, folder)
        _write_gitignore(folder / ".gitignore")
    except OSError as error:
        message = f"cannot create the renderer's working folder: {error}"
        raise InputError(Problem(message, WORKSPACE)) from None
    return folder


def existing(repo: Path) -> Path | None:
    """The working folder if there is one; nothing is created."""
    folder = repo / WORKSPACE
    if not os.path.lexists(folder):
        return None
    _check(repo, folder)
    return folder


def relative(repo: Path, path: Path) -> str:
    return path.relative_to(repo).as_posix()


def _check(repo: Path, folder: Path) -> None:
    problem = folder_problem(folder, os.lstat(repo).st_dev)
    if problem is not None:
        raise InputError(Problem(problem, WORKSPACE))


def _write_gitignore(path: Path) -> None:
    try:
        with open(path, "x", encoding="utf-8") as stream:
            stream.write(GITIGNORE)
    except FileExistsError:
        pass
