"""SIGINT and SIGTERM during a render: an exception before a switch, held back during one.

Until a switch is committed, an interruption raises :class:`Interrupted` and what was staged is
removed. A committed switch runs to its end first (the output must never stay half switched), and
the interruption is raised after it. The command line turns :class:`Interrupted` into exit code
128 + the signal's number (130 for SIGINT, 143 for SIGTERM), without a traceback.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A signal stopped the command; ``switched`` when a switch was finished before stopping."""

    def __init__(self, signum: int, switched: bool = False) -> None:
        super().__init__(signum)
        self.signum = signum
        self.switched = switched

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


@dataclass
class _Holding:
    active: bool = False
    signum: int | None = None


_HOLDING = _Holding()


def _handle(signum: int, frame: FrameType | None) -> None:
    if _HOLDING.active:
        _HOLDING.signum = _HOLDING.signum or signum
        return
    raise Interrupted(signum)


@contextmanager
def raising() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _handle) for number in SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def held(switched: bool) -> Iterator[None]:
    """A block no signal interrupts; one that arrived is raised when the block has ended."""
    if _HOLDING.active:
        yield
        return
    _HOLDING.active = True
    try:
        yield
    finally:
        _HOLDING.active = False
        signum, _HOLDING.signum = _HOLDING.signum, None
    if signum is not None:
        raise Interrupted(signum, switched)
