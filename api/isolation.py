"""Solves in a child process with its own memory limit, so a solve can never take the API down.

A CP-SAT model grows with its input; a solve that needs more memory than the machine has used to
take the whole API (or worker) process with it. `run_isolated` runs the work in a child process
started by multiprocessing's "forkserver" (never a fork of the threaded API process with OR-Tools
in it), which caps its own address space (``RLIMIT_AS``, `AppSettings.solve_memory_mb`) before it
starts. The parent only waits: progress comes over a pipe and is handed on (to the job's
heartbeat, which keeps beating in the parent), the result comes back pickled, and a child that
dies — a `MemoryError`, an abort in the solver when an allocation fails, a kill — fails the job
with a Danish message instead of the process.

A child whose parent dies (a worker killed with SIGKILL) notices its pipe closing and exits, so no
solve is left running for nobody. A child still busy after `deadline` seconds is killed.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Protocol, TypeVar

log = logging.getLogger("moedeplan.isolation")

T = TypeVar("T")

_OUT_OF_MEMORY = 86
"""the child's exit code when even reporting its MemoryError failed"""

# The forkserver is a clean process that imports the solver once; each solve is a fork of it.
# The holidays package imports a country's module lazily: imported under the child's memory
# limit, an allocation that fails there surfaced as a bare SystemError instead of MemoryError.
_PRELOAD = ["api.jobs", "scheduler.replan", "holidays.countries.denmark"]
_context: Any = None
_context_lock = threading.Lock()


class SolveFailed(Exception):
    """The child could not finish; the message is Danish and is what the job's error says."""


class Reporter(Protocol):
    """What the work is given to report progress with (in the parent: the job's heartbeat)."""

    def report(self, progress: Any) -> None: ...


class _PipeReporter:
    """In the child: progress goes over the pipe; the parent hands it to its reporter."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self._lock = threading.Lock()  # the solver reports from its own thread

    def report(self, progress: Any) -> None:
        self.send(("progress", progress))

    def send(self, message: tuple[str, Any]) -> None:
        with self._lock:
            self._conn.send(message)


def memory_message(memory_mb: int) -> str:
    return f"løsningen brugte mere hukommelse end tilladt ({memory_mb} MB, MOEDEPLAN_SOLVE_MEMORY_MB)"


def _start_method() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            _context = multiprocessing.get_context(method)
            if method == "forkserver":
                _context.set_forkserver_preload(_PRELOAD)
        return _context


def _exit_with_parent(conn: Connection) -> None:
    """The parent never writes; the pipe closing means it is gone, and so is the reason to solve."""
    with contextlib.suppress(Exception):
        conn.recv()
    os._exit(1)


def _limit_address_space(memory_mb: int) -> None:
    limit = memory_mb * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        resource.setrlimit(
            resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard)
        )
    except (ValueError, OSError):  # a system without address-space limits: solve, but say so
        log.warning("could not limit the solve's address space to %s MB", memory_mb)


def _out_of_memory(exc: BaseException) -> bool:
    """Whether an error in the child means its address space ran out: a MemoryError anywhere in
    the chain, C code (OR-Tools, protobuf) whose allocation failed without setting one, which
    Python reports as "SystemError: error return without exception set", or a thread CP-SAT
    could not start because its stack did not fit under the cap (EAGAIN from pthread_create,
    "RuntimeError: Resource temporarily unavailable": what 256 MB gives once the forkserver
    preloads the BAL modules too)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, MemoryError):
            return True
        if isinstance(seen, SystemError) and "without exception set" in str(seen):
            return True
        if isinstance(seen, RuntimeError) and os.strerror(errno.EAGAIN) in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _child(conn: Connection, memory_mb: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    # The watcher first: a thread needs memory to start, and one that cannot start hangs start().
    threading.Thread(target=_exit_with_parent, args=(conn,), daemon=True).start()
    reporter = _PipeReporter(conn)
    reply: tuple[str, Any]
    try:
        _limit_address_space(memory_mb)
        reply = ("result", fn(*args, reporter))
    except BaseException as exc:  # the work's own error goes back to the parent as it was
        reply = ("memory", None) if _out_of_memory(exc) else ("error", exc)
    try:
        reporter.send(reply)
    except MemoryError:
        os._exit(_OUT_OF_MEMORY)
    except Exception:  # not picklable: its type and text
        reporter.send(("error", RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))
    conn.close()


def _death(exitcode: int | None, memory_mb: int) -> SolveFailed:
    if exitcode == _OUT_OF_MEMORY:
        return SolveFailed(memory_message(memory_mb))
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else str(-exitcode)
        return SolveFailed(
            f"løsningen stoppede uventet ({name}); den brugte måske mere hukommelse end tilladt "
            f"({memory_mb} MB, MOEDEPLAN_SOLVE_MEMORY_MB)"
        )
    return SolveFailed(f"løsningen stoppede uventet (afslutningskode {exitcode})")


def run_isolated(
    fn: Callable[..., T],
    *args: Any,
    memory_mb: int,
    reporter: Reporter | None = None,
    deadline: float | None = None,
) -> T:
    """`fn(*args, child_reporter)` in a child process with at most `memory_mb` of address space.

    `child_reporter.report(x)` in the child calls `reporter.report(x)` here. The result, or the
    exception `fn` raised, comes back as if `fn` had run here; a child that dies or passes
    `deadline` seconds raises `SolveFailed` with a Danish message.
    """
    context = _start_method()
    mine, theirs = context.Pipe(duplex=True)
    child = context.Process(
        target=_child, args=(theirs, memory_mb, fn, args), name="moedeplan-solve", daemon=True
    )
    child.start()
    theirs.close()
    give_up = time.monotonic() + deadline if deadline is not None else None
    try:
        while True:
            if mine.poll(0.2):
                try:
                    kind, value = mine.recv()
                except (EOFError, OSError):
                    break  # the child died
                if kind == "progress":
                    if reporter is not None:
                        reporter.report(value)
                elif kind == "result":
                    return value  # type: ignore[no-any-return]
                elif kind == "memory":
                    raise SolveFailed(memory_message(memory_mb))
                else:
                    raise value
            elif not child.is_alive() and not mine.poll():
                break
            if give_up is not None and time.monotonic() > give_up:
                raise SolveFailed(
                    f"løsningen blev stoppet efter {deadline:.0f} s (MOEDEPLAN_SOLVE_MAX_SECONDS)"
                )
        child.join(10)
        raise _death(child.exitcode, memory_mb)
    finally:
        mine.close()
        if child.is_alive():
            child.kill()
        child.join(10)
