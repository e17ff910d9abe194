"""Python's cyclic garbage collector paused while a plan is built and searched.

Building a city's model allocates hundreds of thousands of small objects (options, literals,
CP-SAT expressions) that all stay alive until the solve ends; each automatic collection then
walks all of them again, and in one process the walks grow with every solve. On storby (1,122
meetings, 2 workers, three solves in one process) the first plan came at 1.65-2.16 s with the
collector on and 1.22-1.38 s with it paused; a 3 s solve took 6.8-7.5 s of wall time against
5.4-6.3 s (2026-12-04). Reference
counting still frees everything without a cycle; the collector runs again when the last pause
ends, so cycles made during a solve are collected after it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """The collector off inside, back to how it was when the outermost pause (of any thread) ends."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
