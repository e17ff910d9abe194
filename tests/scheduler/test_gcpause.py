"""The collector pause around a solve: off inside, back as it was after, however it is nested."""

from __future__ import annotations

import gc

import pytest

from scheduler.config import load_config
from scheduler.gcpause import paused_gc
from scheduler.solve import SolveOptions, solve
from tests.builders import TWO_DISTRICTS_FILE


def test_nested_pauses_turn_the_collector_back_on_only_at_the_outermost_end() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_that_was_off_off() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_solve_that_fails_still_turns_the_collector_back_on() -> None:
    config = load_config(TWO_DISTRICTS_FILE)
    with pytest.raises(KeyError):
        solve(config, "no-such-term", SolveOptions(time_limit=1))
    assert gc.isenabled()
    plan = solve(config, options=SolveOptions(time_limit=1, workers=1))
    assert plan.meetings and gc.isenabled()
