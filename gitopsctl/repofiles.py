"""The repository's own files are read only where they are: never through a symbolic link that
leads out of the repository.

A link under `sources/` or `charts/` to a file elsewhere (`/etc/passwd`, another checkout) would
have this tool read, and quote in its messages, something nobody reviewed in the repository. Such
a link is unusable input, named, and its target is never opened. Links inside the repository are
fine.
"""

from __future__ import annotations

import os
from pathlib import Path

from gitopsctl.errors import Problem


def escaping_link(repo: Path, name: str) -> Problem | None:
    """A problem when a link on the way from the repository to ``name`` (a path relative to it,
    itself included) leads outside the repository; None when the way stays inside."""
    root = os.path.realpath(repo)
    step = Path(repo)
    for part in Path(name).parts:
        step = step / part
        if step.is_symlink() and not _inside(root, os.path.realpath(step)):
            return _problem(step, step.relative_to(repo).as_posix())
    return None


def escaping_links(repo: Path, folder: str) -> list[Problem]:
    """A problem for the folder itself, or for each link below it, that leads outside the
    repository; links are not followed on the way."""
    problem = escaping_link(repo, folder)
    if problem is not None:
        return [problem]
    root = os.path.realpath(repo)
    found: list[Problem] = []
    for top, folders, files in os.walk(Path(repo) / folder):
        for entry in sorted([*folders, *files]):
            path = Path(top) / entry
            if path.is_symlink() and not _inside(root, os.path.realpath(path)):
                found.append(_problem(path, path.relative_to(repo).as_posix()))
    return found


def _inside(root: str, target: str) -> bool:
    return os.path.commonpath([root, target]) == root


def _problem(link: Path, name: str) -> Problem:
    return outside_link(name, "folder" if link.is_dir() else "file")


def outside_link(name: str, what: str = "file") -> Problem:
    """The problem of the link ``name`` to a file (or folder) outside the repository."""
    return Problem(
        f"is a symlink to a {what} outside the repository: it is not read "
        "(copy what it points to into the repository)",
        name,
    )
