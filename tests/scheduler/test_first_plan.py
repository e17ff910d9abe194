"""A solve's first plan is the greedy's, read from its hints before the rules are posted, and it
counts only when the independent verifier passes it (`scheduler.solve._greedy_plan`)."""

from __future__ import annotations

from time import monotonic

import pytest

from scheduler.build import expand_model, find_term, post_rules
from scheduler.config import load_config
from scheduler.hint import GreedyStart, greedy_start
from scheduler.model import Meeting, PlanStatus
from scheduler.solve import (
    UNIMPROVED_DA,
    Hinted,
    SolveOptions,
    _greedy_plan,
    _ProgressReporter,
    _warm_start,
    read_meetings,
    solve,
)
from scheduler.verify import verify_plan
from tests.builders import EXAMPLE, TWO_DISTRICTS_FILE, cpsat_out_of_time


def _placed(meetings: list[Meeting]) -> set[tuple[str, str, str, frozenset[tuple[str, str]]]]:
    """What a plan decides of each meeting, its room aside (rooms are chosen by a rule's variables,
    which do not exist before the rules are posted)."""
    return {
        (m.uid, m.start.isoformat(), m.end.isoformat(), frozenset((a.person, a.seat) for a in m.attendees))
        for m in meetings
    }


def test_the_plan_read_from_the_greedys_hints_is_the_one_the_warm_start_completes() -> None:
    config = load_config(EXAMPLE)
    ctx = expand_model(config, find_term(config, None))
    greedy = greedy_start(ctx)
    assert not greedy.left_out
    from_hints = read_meetings(ctx, Hinted(ctx.model))
    assert read_meetings(ctx, Hinted(ctx.model, greedy.hints)) == from_hints  # what it says it hinted
    post_rules(ctx)
    options = SolveOptions(workers=2, seed=0, deterministic=True)
    warm = _warm_start(ctx, config, options, _ProgressReporter(None, monotonic()), 10.0, greedy, monotonic())
    assert warm is not None
    assert len(from_hints) >= greedy.placed  # and the holiday fortnights' meetings it kept
    assert _placed(from_hints) == _placed(read_meetings(ctx, warm))


def test_a_complete_greedy_plan_that_the_verifier_passes_is_the_first_plan() -> None:
    config = load_config(TWO_DISTRICTS_FILE)
    ctx = expand_model(config, find_term(config, None))
    started = monotonic()
    greedy = greedy_start(ctx)
    first = _greedy_plan(ctx, greedy, started)
    assert first is not None and first.first_feasible_seconds is not None
    assert 0 < first.first_feasible_seconds <= monotonic() - started


def test_a_greedy_plan_that_leaves_a_meeting_out_is_no_first_plan() -> None:
    config = load_config(TWO_DISTRICTS_FILE)
    ctx = expand_model(config, find_term(config, None))
    greedy = greedy_start(ctx)
    short = GreedyStart(placed=greedy.placed - 1, left_out=(ctx.occurrences[0],))
    assert _greedy_plan(ctx, short, monotonic()) is None


def test_a_greedy_plan_the_verifier_rejects_is_no_first_plan() -> None:
    config = load_config(TWO_DISTRICTS_FILE)
    ctx = expand_model(config, find_term(config, None))
    greedy = greedy_start(ctx)
    occ = next(o for o in ctx.occurrences if o.seats)
    hints = dict(greedy.hints)
    for choice in occ.seats:  # nobody in the meeting's seats: the verifier's seats rule says so
        for lit in choice.lits.values():
            hints[lit.index] = 0
    emptied = GreedyStart(greedy.placed, greedy.left_out, hints)
    assert _greedy_plan(ctx, emptied, monotonic()) is None


def test_a_solve_reports_its_first_plan_no_later_than_its_end() -> None:
    config = load_config(TWO_DISTRICTS_FILE)
    plan = solve(config, None, SolveOptions(time_limit=2, workers=2, seed=0))
    assert plan.first_feasible_seconds is not None
    assert 0 < plan.first_feasible_seconds <= plan.solve_seconds


def test_a_solve_that_runs_out_of_time_before_completing_the_greedy_plan_returns_that_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a city's model a loaded machine may not complete the greedy plan in the model within a
    short limit: the solve returns the verified greedy plan (no objective), not "no plan"."""
    config = load_config(TWO_DISTRICTS_FILE)
    cpsat_out_of_time(monkeypatch)
    plan = solve(config, None, SolveOptions(time_limit=2, workers=2, seed=0))
    assert plan.status == PlanStatus.FEASIBLE and plan.objective is None
    assert plan.explanation == [UNIMPROVED_DA]
    assert plan.meetings and verify_plan(config, plan) == []
    assert plan.first_feasible_seconds is not None
    assert plan.stats is not None and plan.stats.regularity_pct > 0
