"""Independent work shared among processes forked from this one, on the machine's cores.

Checking one environment needs nothing from another's, and a check of many environments is
CPU-bound Python: `shared_out(work, items)` gives each of `jobs` processes every `jobs`-th item.
(Rendering is not shared out: its workers would fill again the caches the parent's rendering
fills, and the files must come back; measured, it gained nothing.)
The workers are forks of this process, so they start with everything it has read and built (no
interpreter start, nothing sent to them); each sends back its results, pickled through a pipe,
and this process does its own share meanwhile. The results come back in the order of the items,
so the outcome is the same with any number of processes.

An exception in a worker is raised again here, with the worker's traceback as a note (shown by
`--debug`); a worker that dies without an answer is an internal error. Workers are forked only
on Linux (on macOS, fork after system frameworks are loaded is unsafe), only from a process
without other threads, and never more than the processes this one may run on.
`GITOPSCTL_JOBS=1` keeps all the work in this process.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import TypeVar

JOBS_VARIABLE = "GITOPSCTL_JOBS"
# Workers are forked one after another, each a few milliseconds, and one environment is little
# work: past a few processes, forking costs more than it shares (more only when asked for).
DEFAULT_MOST = 4
Item = TypeVar("Item")
Result = TypeVar("Result")


class WorkerLost(RuntimeError):
    """A worker process ended without sending its results."""


def jobs() -> int:
    """How many processes share the work: `GITOPSCTL_JOBS` when it is a positive number (at most
    the usable cores), else the usable cores up to `DEFAULT_MOST`; 1 where workers are not
    forked."""
    if sys.platform != "linux" or threading.active_count() > 1:
        return 1
    cores = len(os.sched_getaffinity(0))
    wanted = os.environ.get(JOBS_VARIABLE, "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return min(int(wanted), cores)
    return min(cores, DEFAULT_MOST)


def shared_out(
    work: Callable[[Item], list[Result]], items: Sequence[Item], processes: int | None = None
) -> list[Result]:
    """``work(item)`` for every item, concatenated in the order of the items, the items shared
    among ``processes`` processes (default: `jobs()`)."""
    count = min(jobs() if processes is None else processes, len(items))
    if count <= 1:
        return [result for item in items for result in work(item)]
    shares = [list(range(index, len(items), count)) for index in range(count)]
    workers: list[_Worker] = []
    try:
        if not _forked(workers, work, items, shares[1:]):
            return [result for item in items for result in work(item)]
        by_index = {index: work(items[index]) for index in shares[0]}
        for worker, share in zip(workers, shares[1:], strict=True):
            by_index.update(zip(share, _results(worker), strict=True))
    finally:
        for worker in workers:
            worker.stop()
    return [result for index in range(len(items)) for result in by_index[index]]


def _forked(
    workers: list[_Worker],
    work: Callable[[Item], list[Result]],
    items: Sequence[Item],
    shares: list[list[int]],
) -> bool:
    """A worker forked into ``workers`` for each share; False when no process could be had (a
    limit reached: the work is then done here), the workers already forked stopped."""
    gc.freeze()  # no collection in a worker touches (and so copies) the objects it shares
    try:
        for share in shares:
            workers.append(_fork(work, items, share))
    except OSError:
        for worker in workers:
            worker.stop()
        return False
    finally:
        gc.unfreeze()
    return True


class _Worker:
    def __init__(self, pid: int, pipe: int) -> None:
        self.pid, self.pipe, self.reaped = pid, pipe, False

    def answer(self) -> bytes:
        with os.fdopen(self.pipe, "rb", closefd=True) as stream:
            self.pipe = -1
            data = stream.read()
        os.waitpid(self.pid, 0)
        self.reaped = True
        return data

    def stop(self) -> None:
        """Kill and reap a worker whose answer was not read (this process is failing)."""
        if self.pipe >= 0:
            os.close(self.pipe)
            self.pipe = -1
        if not self.reaped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.reaped = True


def _fork(work: Callable[[Item], list[Result]], items: Sequence[Item], share: list[int]) -> _Worker:
    sys.stdout.flush()
    sys.stderr.flush()
    read, write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the worker: never returns
        os.close(read)
        _die_with(parent)
        _serve(write, work, items, share)
    os.close(write)
    return _Worker(pid, read)


def _die_with(parent: int) -> None:
    """Ask Linux to kill this worker when the process that forked it ends (killed, say), so no
    worker outlives its command; if that process is already gone, end now."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # without it, a worker only finishes its share and exits on the closed pipe
    if os.getppid() != parent:
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _serve(
    pipe: int, work: Callable[[Item], list[Result]], items: Sequence[Item], share: list[int]
) -> None:
    try:
        try:
            answer: tuple[bool, object] = (True, [work(items[index]) for index in share])
        except BaseException as error:  # every failure goes back to the parent
            trace = "".join(traceback.format_exception(error)).rstrip("\n")
            error.add_note(f"in a worker process:\n{trace}")
            answer = (False, error)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # an answer that does not pickle is a bug
            lost = WorkerLost(f"a worker's answer could not be sent: {error}")
            data = pickle.dumps((False, lost), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(pipe, "wb") as stream:
            stream.write(data)
    finally:
        os._exit(0)  # no cleanup of the parent's: its files, locks and buffers are its own


def _results(worker: _Worker) -> list[list[Result]]:
    data = worker.answer()
    if not data:
        raise WorkerLost(f"a worker process (pid {worker.pid}) ended without its results")
    done, payload = pickle.loads(data)
    if not done:
        assert isinstance(payload, BaseException)
        raise payload
    assert isinstance(payload, list)
    return payload
