"""The renderer reads and writes output only through real folders and files of the repository.

A symbolic link anywhere on the way to an output file (`applications/`, `rendered/<env>`, ...)
could send a write outside the repository, and a mount point would make the final rename of a
staged file fail half-way through a switch; both stop a render before anything is written.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterable
from pathlib import Path

from gitopsctl.errors import InputError, Problem

OUTPUT_DIRS = ("applications", "rendered")

SYMLINK = (
    "a symbolic link: the renderer reads and writes only real folders and files inside the "
    "repository"
)
NOT_A_FOLDER = "not a folder, but the renderer writes output inside it"
MOUNT_POINT = (
    "another file system mounted here: the renderer writes only to the repository's own file system"
)


def folder_problem(path: Path, device: int) -> str | None:
    """Why ``path`` cannot hold output, or None when it is a real folder (or does not exist)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return SYMLINK
    if not stat.S_ISDIR(info.st_mode):
        return NOT_A_FOLDER
    return MOUNT_POINT if info.st_dev != device else None


def ancestors(folder: str) -> list[str]:
    """``folder`` and every folder above it, top first: a/b/c -> a, a/b, a/b/c."""
    parts = folder.split("/") if folder else []
    return ["/".join(parts[: end + 1]) for end in range(len(parts))]


def folder_problems(repo: Path, folders: Iterable[str]) -> list[Problem]:
    """A problem for each folder on the way to ``folders`` (themselves included) that cannot
    hold output; folders that do not exist yet are fine."""
    device = os.lstat(repo).st_dev
    checked: dict[str, Problem | None] = {}
    for folder in sorted(set(folders)):
        for step in ancestors(folder):
            if step not in checked:
                problem = folder_problem(repo / step, device)
                checked[step] = None if problem is None else Problem(problem, step)
            if checked[step] is not None:
                break  # nothing below it is looked at
    return [problem for problem in checked.values() if problem is not None]


def check_folders(repo: Path, folders: Iterable[str]) -> None:
    """Stop with every problem of :func:`folder_problems`, before anything is written."""
    problems = folder_problems(repo, folders)
    if problems:
        raise InputError(problems)


def parents(paths: Iterable[str]) -> set[str]:
    return {posixpath.dirname(path) for path in paths}


class Folders:
    """Folders made on the way to output files while switching: each checked once, and only
    ever created, never followed through a link."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.device = os.lstat(repo).st_dev
        self.real: set[str] = {""}
        self.created: list[str] = []

    def make(self, folder: str) -> None:
        """Create ``folder`` and the folders above it that are missing; refuse a link or a file."""
        if folder in self.real:
            return
        self.make(posixpath.dirname(folder))
        try:
            os.mkdir(self.repo / folder)
            self.created.append(folder)
        except FileExistsError:
            problem = folder_problem(self.repo / folder, self.device)
            if problem is not None:
                raise InputError(Problem(problem, folder)) from None
        self.real.add(folder)

    def check(self, folder: str) -> None:
        """Refuse to touch anything under ``folder`` unless it is a real folder all the way."""
        if folder not in self.real:
            check_folders(self.repo, [folder])
            self.real.update(ancestors(folder))
