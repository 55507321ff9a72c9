"""Compare rendered files with the repository, and write them atomically.

Only files that start with the generated-file header are ever replaced or pruned; a hand-written
file in the way stops the render before anything is written.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitopsctl.errors import InputError, Problem
from gitopsctl.render.rendering import GENERATED_MARKER

OUTPUT_DIRS = ("applications", "rendered")


@dataclass(frozen=True)
class Plan:
    """What a render changes: files to write (new or different) and generated files to prune."""

    writes: dict[str, str]
    prunes: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not self.writes and not self.prunes


def plan(repo: Path, files: Mapping[str, str], envs: Sequence[str] | None) -> Plan:
    """Compare wanted files with what is on disk, within the environments' folders."""
    existing = generated_on_disk(repo, envs)
    _refuse_hand_written(repo, files)
    writes = {path: text for path, text in files.items() if existing.get(path) != text}
    missing = tuple(path for path in writes if path not in existing)
    prunes = tuple(sorted(path for path in existing if path not in files))
    return Plan(writes, prunes, missing)


def generated_on_disk(repo: Path, envs: Sequence[str] | None) -> dict[str, str]:
    """Every generated file under the output folders (of ``envs`` only, when given)."""
    found: dict[str, str] = {}
    for top in _scopes(repo, envs):
        for path in sorted(top.rglob("*")):
            text = _generated_text(path)
            if text is not None:
                found[path.relative_to(repo).as_posix()] = text
    return found


def _scopes(repo: Path, envs: Sequence[str] | None) -> list[Path]:
    if envs is None:
        return [repo / top for top in OUTPUT_DIRS]
    return [repo / top / env for top in OUTPUT_DIRS for env in envs]


def _generated_text(path: Path) -> str | None:
    if not path.is_file() or path.name.startswith("."):
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text if text.startswith(GENERATED_MARKER) else None


def _refuse_hand_written(repo: Path, files: Mapping[str, str]) -> None:
    problems = [
        Problem(
            "a hand-written file is where the renderer must write: move it, "
            "or delete it if it is an old output",
            path,
        )
        for path in files
        if (repo / path).exists() and _generated_text(repo / path) is None
    ]
    if problems:
        raise InputError(problems)


def diff(repo: Path, plan_: Plan) -> str:
    """A unified diff of every stale, missing and extra file."""
    chunks = []
    for path, text in sorted(plan_.writes.items()):
        before = "" if path in plan_.missing else (repo / path).read_text(encoding="utf-8")
        label = "missing" if path in plan_.missing else "stale"
        chunks.append(_unified(path, label, before, text))
    for path in plan_.prunes:
        chunks.append(_unified(path, "extra", (repo / path).read_text(encoding="utf-8"), ""))
    return "".join(chunks)


def _unified(path: str, label: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path} (committed)",
        tofile=f"b/{path} (rendered)",
    )
    return f"{label}: {path}\n" + "".join(lines)


def apply(repo: Path, plan_: Plan) -> None:
    """Write every changed file, then prune: stage all first so a failure leaves the old output."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in plan_.writes.items():
            staged.append((_stage(repo / path, text), repo / path))
    except OSError as error:
        _discard(staged)
        for path in plan_.writes:  # and the folders staging created for new files
            _remove_empty_parents(repo, (repo / path).parent)
        raise InputError(f"could not write the rendered output, nothing changed: {error}") from None
    for temporary, target in staged:
        os.replace(temporary, target)
    for path in plan_.prunes:
        (repo / path).unlink()
        _remove_empty_parents(repo, (repo / path).parent)


def _stage(target: Path, text: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _discard(staged: list[tuple[Path, Path]]) -> None:
    for temporary, _ in staged:
        temporary.unlink(missing_ok=True)


def _remove_empty_parents(repo: Path, folder: Path) -> None:
    tops = {repo / top for top in OUTPUT_DIRS}
    while folder not in tops and folder != repo and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
