"""A render's switch from the old output to the new: all of it or none of it, whatever stops it.

1. Stage: each new file is written into `.gitopsctl/staging-<id>/`, numbered, one folder per
   output folder it goes to (`rendered/dev`: all of an environment's values), no fsync. A few
   threads write the folders side by side: a file system creates files in one folder one at a
   time, and on a slow disk (0.5 ms a file) creating 2,000 files is most of a render.
2. Flush: one syncfs(2) of the repository's file system makes them durable (on Linux; elsewhere
   an fsync per file). An fsync per file costs a file-system journal commit each.
3. Commit: `journal.json` beside them lists which staged file replaces which output file and
   which files are pruned; it is fsynced, then renamed into place: its presence is the commit
   point.
4. Switch: the missing output folders are made (by the same threads, one environment each),
   each staged file is renamed over its target and the pruned files are removed; a second flush
   makes that durable before the staging folder and its journal are removed.

Nothing outside the staging folder changes before the commit point, so a render that finds a
staging folder (it holds the lock: the folder's writer is gone) removes it when it has no journal
(roll back), and otherwise finishes its switch (roll forward: renaming what is still staged is
idempotent, so an interruption of the roll forward itself is finished the same way).
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from gitopsctl.errors import InputError, Problem
from gitopsctl.render import interrupts, workspace
from gitopsctl.render.containment import OUTPUT_DIRS, Folders, parents

JOURNAL = "journal.json"
STAGED_NAME = re.compile(r"(?:[0-9]+/)?[0-9]+")  # folder/file, or a file alone (older renders)
STAGING = "staging-"
VERSION = 1
T = TypeVar("T")
WRITERS = 4  # threads creating files and folders: they wait on the disk, not on the processor
NOT_WRITTEN = "could not write the rendered output, nothing changed: {error}"
NOT_FINISHED = (
    "the switch to the new output is committed but not finished ({journal}); "
    "run `render` again to finish it"
)


class LeftoverKind(NamedTuple):
    label: str  # how `render --check` lists it
    description: str
    recovered: str  # what `render` did with it


TEMPORARY = LeftoverKind(
    "leftover", "a temporary file of an interrupted render", "removed a temporary file"
)
STAGED = LeftoverKind(
    "leftover",
    "the staging of an interrupted render, never committed",
    "removed the staging of an interrupted render",
)
UNFINISHED = LeftoverKind(
    "unfinished",
    "the committed switch of an interrupted render: the output is part old, part new",
    "finished the committed switch of an interrupted render",
)


class Leftover(NamedTuple):
    """Something an interrupted render left, at its path in the repository."""

    path: str
    kind: LeftoverKind

    def reported(self) -> str:
        return f"{self.kind.label}: {self.path} ({self.kind.description})"

    def recovered(self) -> str:
        return f"{self.kind.recovered}: {self.path}"


@dataclass(frozen=True)
class Switch:
    """What a journal records: (staged file, output file) pairs, and output files to prune."""

    moves: tuple[tuple[str, str], ...]
    prunes: tuple[str, ...]


def switch(repo: Path, writes: Mapping[str, str], prunes: Sequence[str]) -> None:
    """Write ``writes`` and remove ``prunes`` as one change, in the steps described above."""
    staging = _new_staging(repo)
    try:
        planned = Switch(_stage(staging, writes), tuple(prunes))
    except BaseException as error:
        # A staging that cannot be removed stays uncommitted: the next render removes it.
        with contextlib.suppress(OSError):
            _discard(staging)
        if isinstance(error, OSError):
            raise InputError(NOT_WRITTEN.format(error=error)) from None
        raise
    with interrupts.held(switched=True):
        try:
            _commit(staging, planned)
        except OSError as error:
            _discard(staging)
            raise InputError(NOT_WRITTEN.format(error=error)) from None
        _finish(repo, staging, planned)


def stagings(repo: Path) -> list[Leftover]:
    """The staging folders interrupted renders left, committed ones marked unfinished."""
    folder = workspace.existing(repo)
    if folder is None:
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(STAGING):
            kind = UNFINISHED if _is_real_file(path / JOURNAL) else STAGED
            found.append(Leftover(workspace.relative(repo, path), kind))
    return found


def _is_real_file(path: Path) -> bool:
    """A regular file reached through no link (a link is never followed, only removed)."""
    return (
        path.parent.is_dir()
        and not path.parent.is_symlink()
        and path.is_file()
        and not path.is_symlink()
    )


def recover(repo: Path) -> list[Leftover]:
    """Finish each committed switch that was interrupted and remove every uncommitted staging.

    The caller holds the lock, so no render that is still running owns any of them.
    """
    found = stagings(repo)
    for leftover in found:
        staging = repo / leftover.path
        with interrupts.held(switched=leftover.kind is UNFINISHED):
            if leftover.kind is UNFINISHED:
                _finish(repo, staging, _read(repo, staging / JOURNAL))
            else:
                _discard(staging)
    return found


# --- the steps ----------------------------------------------------------------------------------


def _new_staging(repo: Path) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=STAGING, dir=workspace.create(repo)))
    except OSError as error:
        raise InputError(NOT_WRITTEN.format(error=error)) from None


def _stage(staging: Path, writes: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Write each file as ``<folder number>/<file number>``; the (staged, output) pairs."""
    staged: list[list[tuple[str, str]]] = []  # the moves of each staging folder
    first = 0  # files are numbered across folders, in the order of their paths
    for folder, paths in enumerate(_grouped(sorted(writes)).values()):
        os.mkdir(staging / f"{folder:03d}")
        staged.append([(f"{folder:03d}/{first + n:06d}", path) for n, path in enumerate(paths)])
        first += len(paths)

    def write(moves: list[tuple[str, str]]) -> None:
        for name, path in moves:
            _write_new(staging / name, writes[path])

    _each(write, staged)
    moves = tuple(move for folder in staged for move in folder)
    folders = [staging / f"{folder:03d}" for folder in range(len(staged))]
    _flush(staging, [*(staging / name for name, _ in moves), *folders, staging, staging.parent])
    return moves


def _grouped(paths: Iterable[str]) -> dict[str, list[str]]:
    """``paths`` by the output folder they are under, one per environment (``rendered/dev``),
    in order."""
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault("/".join(path.split("/", 2)[:2]), []).append(path)
    return groups


def _each(work: Callable[[T], object], items: Sequence[T]) -> None:
    """``work`` on every item, on a few threads when there are several. It returns or raises
    once every thread has stopped: nothing is written after an interruption was raised."""
    if len(items) < 2:
        for item in items:
            work(item)
        return
    pool = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="gitopsctl-writer")
    try:
        # An interruption raised while a thread starts would leave that thread out of the
        # pool's own list, still writing after `shutdown` returned: none is raised before all
        # the work is handed out.
        with interrupts.held(switched=False):
            futures = [pool.submit(work, item) for item in items]
        for future in futures:
            future.result()
    finally:
        with interrupts.held(switched=False):
            pool.shutdown(wait=True, cancel_futures=True)


def _write_new(path: Path, text: str) -> None:
    # "x" creates the file with the usual 0666 & ~umask, as any editor would.
    with open(path, "x", encoding="utf-8", newline="\n") as stream:
        stream.write(text)


def _commit(staging: Path, planned: Switch) -> None:
    record = {"version": VERSION, "moves": planned.moves, "prunes": planned.prunes}
    temporary = staging / f"{JOURNAL}.tmp"
    with open(temporary, "x", encoding="utf-8") as stream:
        json.dump(record, stream, indent=0)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, staging / JOURNAL)
    _fsync(staging)


def _finish(repo: Path, staging: Path, planned: Switch) -> None:
    try:
        _roll_forward(repo, staging, planned)
    except (OSError, InputError) as error:
        problems = error.problems if isinstance(error, InputError) else [Problem(str(error))]
        journal = workspace.relative(repo, staging / JOURNAL)
        raise InputError([*problems, Problem(NOT_FINISHED.format(journal=journal))]) from None


def _roll_forward(repo: Path, staging: Path, planned: Switch) -> None:
    folders = Folders(repo)
    touched: set[str] = set()
    # what was renamed into place before an interruption is not staged any more
    moves = [(name, target) for name, target in planned.moves if os.path.lexists(staging / name)]
    needed = _grouped(sorted(parents(target for _, target in moves)))

    def make(group: list[str]) -> None:
        for folder in group:
            folders.make(folder)

    _each(make, list(needed.values()))
    for name, target in moves:
        os.replace(staging / name, repo / target)
    for target in planned.prunes:
        folders.check(posixpath.dirname(target))
        (repo / target).unlink(missing_ok=True)
        touched.update(_remove_empty_folders(repo, posixpath.dirname(target)))
    touched |= parents(target for _, target in planned.moves) | parents(folders.created)
    _flush(staging, (repo / folder for folder in sorted(touched)))
    _discard(staging)


def _remove_empty_folders(repo: Path, folder: str) -> set[str]:
    """Remove ``folder`` and the folders above it that are empty, up to the output folders;
    returns the folders whose entries changed."""
    changed = {folder}
    while folder and folder not in OUTPUT_DIRS:
        try:
            os.rmdir(repo / folder)
        except OSError:  # not empty, or already gone
            break
        folder = posixpath.dirname(folder)
        changed.add(folder)
    return changed


def _discard(staging: Path) -> None:
    with interrupts.held(switched=False):
        if staging.is_symlink() or not staging.is_dir():
            staging.unlink(missing_ok=True)
        else:
            shutil.rmtree(staging)


# --- reading a journal --------------------------------------------------------------------------


def _read(repo: Path, path: Path) -> Switch:
    try:
        return _switch_of(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        message = (
            f"a journal this renderer cannot finish ({error}); remove its folder to give the "
            "switch up, then check the output with `render --check`"
        )
        raise InputError(Problem(message, workspace.relative(repo, path))) from None


def _switch_of(record: Any) -> Switch:
    if not isinstance(record, dict) or record.get("version") != VERSION:
        raise ValueError(f"not version {VERSION}")
    moves = tuple(_pair(move) for move in _list(record.get("moves")))
    prunes = tuple(_output_path(path) for path in _list(record.get("prunes")))
    return Switch(moves, prunes)


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("moves and prunes must be lists")
    return value


def _pair(move: Any) -> tuple[str, str]:
    if not (isinstance(move, list) and len(move) == 2 and isinstance(move[0], str)):
        raise ValueError(f"not a move: {move!r}")
    if not STAGED_NAME.fullmatch(move[0]):
        raise ValueError(f"not a staged file: {move[0]!r}")
    return move[0], _output_path(move[1])


def _output_path(path: Any) -> str:
    """Only files under the output folders: a journal never names anything else."""
    parts = path.split("/") if isinstance(path, str) else []
    if len(parts) < 3 or parts[0] not in OUTPUT_DIRS or {"", ".", ".."} & set(parts):
        raise ValueError(f"not an output file: {path!r}")
    return str(path)


# --- durability ---------------------------------------------------------------------------------


def _flush(anchor: Path, paths: Iterable[Path]) -> None:
    """Make what was written so far durable before the next step relies on it."""
    syncfs = _syncfs()
    if syncfs is not None:
        descriptor = os.open(anchor, os.O_RDONLY)
        try:
            syncfs(descriptor)
        finally:
            os.close(descriptor)
        return
    for path in paths:
        _fsync(path)


def _fsync(path: Path) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # a folder pruned since
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@cache
def _syncfs() -> Callable[[int], None] | None:
    """syncfs(2) through libc: flush the one file system holding a descriptor (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int

    def syncfs(descriptor: int) -> None:
        if function(descriptor) != 0:
            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number))

    return syncfs
