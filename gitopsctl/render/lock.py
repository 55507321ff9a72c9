"""One render of a repository at a time: an flock(2) on `.gitopsctl/lock`.

A render holds the lock exclusively from before it finishes an interrupted switch until its own
switch is done; `render --check` holds it shared, so it never reads a switch half-way. Either waits
a bounded time for the holder, then stops with exit 2 naming it: the holder writes its pid and
command line into the file. The kernel releases the lock when its holder dies, even by SIGKILL.
The file itself stays: deleting a lock file lets two processes lock two different files.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from gitopsctl.errors import InputError, Problem
from gitopsctl.render import workspace

LOCK = "lock"
FIRST_POLL = 0.005
LONGEST_POLL = 0.1

OnWait = Callable[[str], None]


@contextmanager
def exclusive(repo: Path, timeout: float, on_wait: OnWait) -> Iterator[None]:
    """Hold the repository's lock alone for the block; ``on_wait(holder)`` if it must wait."""
    path = workspace.create(repo) / LOCK
    descriptor = _open(repo, path, os.O_RDWR | os.O_CREAT)
    try:
        _acquire(repo, descriptor, fcntl.LOCK_EX, timeout, on_wait)
        _write_holder(descriptor)
        try:
            yield
        finally:
            os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)


@contextmanager
def shared(repo: Path, timeout: float, on_wait: OnWait) -> Iterator[None]:
    """Hold the lock shared for reading. The lock file is made when missing: a render that
    starts at the same moment as the first check must not be seen half done."""
    path = workspace.create(repo) / LOCK
    descriptor = _open(repo, path, os.O_RDWR | os.O_CREAT)
    try:
        _acquire(repo, descriptor, fcntl.LOCK_SH, timeout, on_wait)
        yield
    finally:
        os.close(descriptor)


def holder(repo: Path) -> str:
    """Who holds the lock, as the holder wrote it."""
    try:
        text = (repo / workspace.WORKSPACE / LOCK).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        text = ""
    return text or "a process that did not say which (a `render --check`, or one starting)"


def _open(repo: Path, path: Path, flags: int) -> int:
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as error:
        message = f"cannot open the render lock: {error.strerror}"
        raise InputError(Problem(message, workspace.relative(repo, path))) from None


def _acquire(repo: Path, descriptor: int, mode: int, timeout: float, on_wait: OnWait) -> None:
    if _try_lock(descriptor, mode):
        return
    on_wait(holder(repo))
    deadline = time.monotonic() + timeout
    pause = FIRST_POLL
    while not _try_lock(descriptor, mode):
        left = deadline - time.monotonic()
        if left <= 0:
            raise InputError(_busy(repo, timeout))
        time.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_POLL)


def _try_lock(descriptor: int, mode: int) -> bool:
    try:
        fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _busy(repo: Path, timeout: float) -> Problem:
    message = (
        f"another render of this repository holds the lock ({holder(repo)}); "
        f"gave up after waiting {timeout:g} s"
    )
    return Problem(message, f"{workspace.WORKSPACE}/{LOCK}")


def _write_holder(descriptor: int) -> None:
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"pid {os.getpid()}: {shlex.join(sys.orig_argv)}\n".encode(), 0)
