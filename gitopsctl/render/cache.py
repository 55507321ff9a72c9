"""Results of earlier runs in `.gitopsctl/cache/`, one entry per command, found by their key.

A key is the content digest of every input of the command (see digests): an entry whose key is
not the one asked for is simply not used, so any edit to a source, a chart, the output, this
tool or its dependencies makes the next run compute its result again (and store it). An entry
is never trusted blindly: one that cannot be read, is not what this module writes, or whose
payload does not match its own digest is ignored and replaced. Entries are written to a
temporary file and renamed into place, so a reader sees a whole entry or none; a cache that
cannot be written (a read-only checkout) only costs the next run its time.

The cache is not used when `GITOPSCTL_NO_CACHE` is set, nor when `CI` is (a CI runner checks out
changes nobody reviewed yet, and files forced into `.gitopsctl/` would be among them).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from gitopsctl.errors import InputError
from gitopsctl.render import workspace
from gitopsctl.render.workspace import CACHE

FORMAT = 1
TEMPORARY = ".tmp"  # the suffix of an entry being written
DISABLED_BY = "GITOPSCTL_NO_CACHE"
NOT_SET = ("", "0", "false")


def enabled() -> bool:
    return all(os.environ.get(name, "").lower() in NOT_SET for name in (DISABLED_BY, "CI"))


def load(repo: Path, name: str, key: str) -> Any:
    """The payload stored under ``name`` for ``key``; None when there is none or it is unusable."""
    if not enabled():
        return None
    try:
        folder = workspace.existing(repo)  # a real folder of the repository, never a link
    except InputError:
        return None
    if folder is None:
        return None
    try:
        entry = json.loads(_read(folder / CACHE, f"{name}.json"))
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            return None
        payload = entry.get("payload")
        if entry.get("key") != key or not isinstance(payload, str):
            return None
        return json.loads(payload) if entry.get("sha256") == _checksum(payload) else None
    except (OSError, ValueError, RecursionError):
        return None


def _read(folder: Path, name: str) -> bytes:
    """The entry's bytes, read through no link (nothing outside the repository is read)."""
    if not stat.S_ISDIR(os.lstat(folder).st_mode):
        raise OSError(f"{folder} is not a folder")
    with open(os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW), "rb") as stream:
        return stream.read()


def store(repo: Path, name: str, key: str, payload: Any) -> None:
    """Keep ``payload`` (plain JSON data) under ``name`` for ``key``, replacing what was there."""
    if not enabled():
        return
    text = json.dumps(payload, separators=(",", ":"))
    entry = {"format": FORMAT, "key": key, "sha256": _checksum(text), "payload": text}
    try:
        replace_file(_folder(repo) / f"{name}.json", json.dumps(entry).encode())
    except OSError:
        return  # a cache is an optimisation: not writing it is never an error


def replace_file(target: Path, data: bytes) -> None:
    """``target`` replaced by ``data`` in one step: written to a temporary file beside it
    (`.<name>.<random>.tmp`), then renamed into place, so a reader sees all of it or none; the
    temporary file never stays. Raises OSError."""
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=TEMPORARY, dir=target.parent
    )
    try:
        with open(descriptor, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _folder(repo: Path) -> Path:
    """`.gitopsctl/cache/`, made when missing, as a plain folder inside the working folder."""
    try:
        folder = workspace.create(repo) / CACHE
    except InputError as error:
        raise OSError(str(error)) from None
    if folder.is_symlink():
        raise OSError(f"{folder} is a link")
    folder.mkdir(exist_ok=True)
    return folder


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
