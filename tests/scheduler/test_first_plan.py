"""A solve's first plan is the greedy's, read from its hints before the rules are posted, and it
counts only when the independent verifier passes it (`scheduler.solve._greedy_plan_passes`)."""

from __future__ import annotations

from pathlib import Path
from time import monotonic

from scheduler.build import expand_model, find_term, post_rules
from scheduler.config import load_config
from scheduler.hint import GreedyStart, greedy_start
from scheduler.model import Meeting
from scheduler.solve import (
    Hinted,
    SolveOptions,
    _greedy_plan_passes,
    _ProgressReporter,
    _warm_start,
    read_meetings,
    solve,
)
from tests.builders import TWO_DISTRICTS_FILE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ballerup.yaml"


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
    at = _greedy_plan_passes(ctx, greedy, started)
    assert at is not None and 0 < at <= monotonic() - started


def test_a_greedy_plan_that_leaves_a_meeting_out_is_no_first_plan() -> None:
    config = load_config(TWO_DISTRICTS_FILE)
    ctx = expand_model(config, find_term(config, None))
    greedy = greedy_start(ctx)
    short = GreedyStart(placed=greedy.placed - 1, left_out=(ctx.occurrences[0],))
    assert _greedy_plan_passes(ctx, short, monotonic()) is None


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
    assert _greedy_plan_passes(ctx, emptied, monotonic()) is None


def test_a_solve_reports_its_first_plan_no_later_than_its_end() -> None:
    config = load_config(TWO_DISTRICTS_FILE)
    plan = solve(config, None, SolveOptions(time_limit=2, workers=2, seed=0))
    assert plan.first_feasible_seconds is not None
    assert 0 < plan.first_feasible_seconds <= plan.solve_seconds
