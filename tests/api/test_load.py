"""A bounded load test on loopback: feeds keep answering, and quickly, while a solve runs.

A real uvicorn server with its in-process worker (bench/load.py, also `make bench`): 200 feed
reads by 10 concurrent clients with the server idle, then 200 more while a Ballerup solve runs
in the worker. The bound is loose on purpose — a shared CI machine is noisy; the figures that
matter are printed by `make bench` — but it fails if a solve starves the feeds (a solver
holding the GIL, a worker blocking the event loop, feeds re-rendered on every request).
"""

from __future__ import annotations

import pytest

from bench.load import run_load

P95_BOUND_MS = 3000.0


@pytest.mark.solve
def test_feeds_stay_fast_while_a_solve_runs() -> None:
    result = run_load(requests=200, concurrency=10, solve_seconds=8.0)
    print(result)
    assert result.feeds > 50
    assert result.idle.failures == 0 and result.solving.failures == 0
    assert result.solve_still_running, "the reads must overlap the solve to say anything"
    assert result.solving.p95_ms < P95_BOUND_MS, result.solving
