"""Compare rendered files with the repository, and switch the repository to them atomically.

Only files that start with the generated-file header are ever replaced or pruned; a hand-written
file in the way stops the render before anything is written. So does a symbolic link (or another
file system's mount point) anywhere the renderer reads or writes output (see containment). The
switch itself is all or nothing, whatever interrupts it (see journal).
"""

from __future__ import annotations

import difflib
import os
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from gitopsctl.errors import InputError, Problem
from gitopsctl.render import journal
from gitopsctl.render.containment import (
    OUTPUT_DIRS,
    SYMLINK,
    check_folders,
    folder_problems,
    parents,
)
from gitopsctl.render.journal import TEMPORARY, Leftover
from gitopsctl.render.rendering import GENERATED_MARKER

# What earlier versions staged next to each target: `.<name>.<8 random characters>.tmp`.
TEMPORARY_FILE = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


@dataclass(frozen=True)
class Plan:
    """What a render changes: files to write (new or different), generated files to prune, and
    what interrupted renders left behind."""

    writes: dict[str, str]
    prunes: tuple[str, ...]
    missing: tuple[str, ...]
    leftovers: tuple[Leftover, ...] = ()
    on_disk: Mapping[str, str] = field(default_factory=dict)  # the generated files as read

    @property
    def clean(self) -> bool:
        return not self.writes and not self.prunes and not self.leftovers


def plan(
    repo: Path,
    files: Mapping[str, str],
    envs: Sequence[str] | None,
    snapshot: Mapping[str, bytes] | None = None,
) -> Plan:
    """Compare wanted files with what is on disk, within the environments' folders.

    ``snapshot``: every file under the output folders with its bytes, as the results cache's
    digests just read them (only real files and folders: any link makes the inputs
    uncacheable); the files are then not read again.
    """
    check_folders(repo, parents(files))
    scan = _scan(repo, envs, snapshot)
    _refuse_hand_written(repo, files, scan.generated)
    existing = scan.generated
    writes = {path: text for path, text in files.items() if existing.get(path) != text}
    missing = tuple(path for path in writes if path not in existing)
    prunes = tuple(sorted(path for path in existing if path not in files))
    leftovers = (*journal.stagings(repo), *scan.temporary)
    return Plan(writes, prunes, missing, leftovers, existing)


def generated_on_disk(repo: Path, envs: Sequence[str] | None) -> dict[str, str]:
    """Every generated file under the output folders (of ``envs`` only, when given)."""
    return _scan(repo, envs).generated


@dataclass
class _Scan:
    generated: dict[str, str] = field(default_factory=dict)
    temporary: list[Leftover] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _scan(
    repo: Path, envs: Sequence[str] | None, snapshot: Mapping[str, bytes] | None = None
) -> _Scan:
    """The output folders' files, never following a link: a link found is an input error."""
    scopes = _scopes(envs)
    scan = _Scan(problems=folder_problems(repo, scopes))
    if not scan.problems and snapshot is not None:
        within = tuple(f"{scope}/" for scope in scopes)
        for name in sorted(path for path in snapshot if path.startswith(within)):
            _add(scan, name, partial(_text, snapshot[name]))
    elif not scan.problems:
        for scope in scopes:
            if (repo / scope).is_dir():
                _walk(repo, scope, scan)
    if scan.problems:
        raise InputError(scan.problems)
    return scan


def _scopes(envs: Sequence[str] | None) -> list[str]:
    if envs is None:
        return list(OUTPUT_DIRS)
    return [f"{top}/{env}" for top in OUTPUT_DIRS for env in envs]


def _walk(repo: Path, folder: str, scan: _Scan) -> None:
    """``folder`` (relative to the repository) and below; names are built as strings, since
    path objects for thousands of files cost more than reading them."""
    with os.scandir(repo / folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        name = f"{folder}/{entry.name}"
        if entry.is_symlink():
            scan.problems.append(Problem(SYMLINK, name))
        elif entry.is_dir(follow_symlinks=False):
            _walk(repo, name, scan)
        else:
            _add(scan, name, partial(_read, entry.path))


def _add(scan: _Scan, name: str, read: Callable[[], str | None]) -> None:
    """A file of the output folders: a temporary file of ours (empty, interrupted before
    writing, or a generated file), a generated file, or a file the renderer leaves alone."""
    base = posixpath.basename(name)
    if TEMPORARY_FILE.fullmatch(base):
        text = read()
        if text is not None and (text == "" or text.startswith(GENERATED_MARKER)):
            scan.temporary.append(Leftover(name, TEMPORARY))
            return
    if not base.startswith("."):
        text = read()
        if text is not None and text.startswith(GENERATED_MARKER):
            scan.generated[name] = text


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError):
        return None


def _text(content: bytes) -> str | None:
    """Bytes as `_read` gives a file's text: UTF-8, with universal newlines."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _refuse_hand_written(
    repo: Path, files: Mapping[str, str], generated: Mapping[str, str]
) -> None:
    problems = [
        Problem(
            "a hand-written file is where the renderer must write: move it, "
            "or delete it if it is an old output",
            path,
        )
        for path in files
        if path not in generated and os.path.lexists(repo / path)
    ]
    if problems:
        raise InputError(problems)


def diff(repo: Path, plan_: Plan) -> str:
    """A unified diff of every stale, missing and extra file, then what interrupted renders left."""
    chunks = []
    for path, text in sorted(plan_.writes.items()):
        before = "" if path in plan_.missing else (repo / path).read_text(encoding="utf-8")
        label = "missing" if path in plan_.missing else "stale"
        chunks.append(_unified(path, label, before, text))
    for path in plan_.prunes:
        chunks.append(_unified(path, "extra", (repo / path).read_text(encoding="utf-8"), ""))
    chunks.extend(f"{leftover.reported()}\n" for leftover in plan_.leftovers)
    return "".join(chunks)


def _unified(path: str, label: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path} (committed)",
        tofile=f"b/{path} (rendered)",
    )
    return f"{label}: {path}\n" + "".join(lines)


def apply(repo: Path, plan_: Plan) -> list[Leftover]:
    """Switch the output to the plan's in one change (see journal), then remove the temporary
    files interrupted renders left in the output folders; returns what was removed."""
    if plan_.writes or plan_.prunes:
        journal.switch(repo, plan_.writes, plan_.prunes)
    removed = [leftover for leftover in plan_.leftovers if leftover.kind is TEMPORARY]
    for leftover in removed:
        (repo / leftover.path).unlink(missing_ok=True)
    return removed
