"""Renderings kept between commands: what one command rendered, the next takes as it is.

`render` reads and renders every source; `validate` and `render --check` right after it would do
the same work again. The first of them to render some inputs stores the rendering here, and the
others load it instead (a tenth of the time). An entry is found by the digest of everything a
rendering depends on: the repository's path, its `sources/`, `charts/` and `infrastructure/`
(every file's name and bytes), the environments asked for, and this tool (see digests). It is
stored only when those inputs did not change while it was rendered.

An entry is a pickle, and reading a pickle can run code: entries live in the user's own cache,
`$XDG_CACHE_HOME/gitopsctl/renderings/` (else `~/.cache/...`), never in a repository, whose
files nobody has to have reviewed. A folder or an entry that another user owns or can write is
not read, nor a folder inside the repository. The newest few entries are kept. The same
switches as the results cache turn it off: `GITOPSCTL_NO_CACHE`, and `CI`.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import stat
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gitopsctl.render import cache
from gitopsctl.render.chartcache import default_cache

if TYPE_CHECKING:
    from gitopsctl.render.digests import Inputs
    from gitopsctl.render.rendering import Rendering

FOLDER = "renderings"
FORMAT = 1
KEEP = 6  # entries: a few repositories or branches of one, each a few MB for 1,000 apps
SUFFIX = ".pickle"
ABANDONED_NS = 10 * 60 * 10**9  # a temporary file this old was left by a killed command


def folder() -> Path:
    """`renderings/` beside the chart cache, in the user's cache folder."""
    return default_cache().parent / FOLDER


def load(inputs: Inputs, envs: Sequence[str]) -> Rendering | None:
    """The rendering stored for these inputs; None when there is none or it cannot be used."""
    from gitopsctl.render.rendering import Rendering

    place = _usable_folder(inputs.repo)
    if place is None:
        return None
    path = place / _name(inputs, envs)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    with open(descriptor, "rb") as stream:
        if not _own(os.fstat(stream.fileno())):
            return None
        data = stream.read()
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of new objects, none of them in a cycle to collect
    try:
        found = pickle.loads(data)
    except Exception:  # any damage to an entry only costs the rendering again
        return None
    finally:
        if collecting:
            gc.enable()
    return found if isinstance(found, Rendering) else None


def store(inputs: Inputs, envs: Sequence[str], rendering: Rendering) -> None:
    """Keep ``rendering`` for these inputs, when they did not change while it was made."""
    place = _usable_folder(inputs.repo, create=True)
    if place is None or not inputs.unchanged():
        return
    try:
        data = pickle.dumps(rendering, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an object pickle refuses (TypeError, ...): only costs a later command
        return
    try:
        cache.replace_file(place / _name(inputs, envs), data)
        _prune(place)
    except OSError:
        return  # a cache that cannot be written only costs a later command its time


def _name(inputs: Inputs, envs: Sequence[str]) -> str:
    key = "\n".join([str(FORMAT), inputs.rendering, *envs])
    return hashlib.sha256(key.encode()).hexdigest() + SUFFIX


def _usable_folder(repo: Path, create: bool = False) -> Path | None:
    if not cache.enabled():
        return None
    place = folder()
    try:
        if create:
            place.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(place)
        inside = os.path.commonpath([os.path.realpath(place), os.path.realpath(repo)])
    except (OSError, ValueError):
        return None
    usable = stat.S_ISDIR(info.st_mode) and _own(info)
    return place if usable and inside != os.path.realpath(repo) else None


def _own(info: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else."""
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _prune(place: Path) -> None:
    """Keep the KEEP newest entries; remove what a killed command left half written."""
    entries, abandoned = [], time.time_ns() - ABANDONED_NS
    for entry in os.scandir(place):
        if not entry.is_file(follow_symlinks=False):
            continue
        modified = entry.stat(follow_symlinks=False).st_mtime_ns
        if entry.name.endswith(SUFFIX):
            entries.append((modified, entry.name))
        elif entry.name.endswith(cache.TEMPORARY) and modified < abandoned:
            (place / entry.name).unlink(missing_ok=True)
    for _, name in sorted(entries, reverse=True)[KEEP:]:
        (place / name).unlink(missing_ok=True)
