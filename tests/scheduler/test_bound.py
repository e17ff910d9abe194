"""The relaxations that bound a term's objective (`scheduler.bound`): never above the best plan,
above what the penalties' domains alone say, and the same on every run when deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.bound import apart_rules, group_rules, relaxed_floor, ungrouped_rules
from scheduler.build import build_model, find_term, objective_floor
from scheduler.config import load_config
from scheduler.model import PlanStatus
from scheduler.rules import load_rules
from scheduler.solve import BOUND_SHARE, MIN_BOUND_SECONDS, SolveOptions, _bound_seconds, solve
from tests.builders import SMALL, TWO_DISTRICTS_FILE


@pytest.mark.parametrize("path", [SMALL, TWO_DISTRICTS_FILE], ids=lambda p: p.stem)
def test_the_relaxations_bound_the_proven_optimum_from_below_and_beat_the_domains(path: Path) -> None:
    config = load_config(path)
    term = find_term(config, None)
    ctx = build_model(config, term)

    def floor() -> int:
        grouped = relaxed_floor(config, term, None, seconds=5, workers=2, seed=0, deterministic=True)
        return grouped + objective_floor(ctx, ungrouped_rules())

    bound = floor()
    plan = solve(config, None, SolveOptions(time_limit=30, workers=2, seed=0, deterministic=True))
    assert plan.status == PlanStatus.OPTIMAL and plan.objective is not None
    assert objective_floor(ctx) < bound <= plan.objective
    assert floor() == bound


def test_a_relaxation_holds_only_its_rules_and_its_series() -> None:
    config = load_config(TWO_DISTRICTS_FILE)
    term = find_term(config, None)
    one = sorted(s.id for s in config.series)[0]
    ctx = build_model(config, term, rules={"seats", *group_rules("series")}, series_ids={one})
    assert set(ctx.by_series) == {one}
    assert {p.rule for p in ctx.penalties} <= group_rules("series")
    assert {o.series.id for o in ctx.occurrences} == {one}


def test_the_apart_relaxation_leaves_out_only_what_ties_series_to_each_other() -> None:
    """Its bound plus the domains of the rules it leaves out bounds the plan only if every soft
    rule is counted exactly once, and it is a relaxation only if it keeps no rule between series."""
    rules = {r.name: r for r in load_rules()}
    apart, ungrouped = apart_rules(), ungrouped_rules()
    soft = {name for name, r in rules.items() if r.level == "soft"}
    assert not apart & ungrouped and soft <= apart | ungrouped
    assert all(rules[name].level == "soft" or rules[name].local for name in apart)
    assert {"no_double_booking", "rooms", "travel_time", "travel", "max_meetings_per_day"}.isdisjoint(apart)
    assert {"availability", "seats", "regularity", "fair_load", "continuity"} <= apart

    config = load_config(TWO_DISTRICTS_FILE)
    term = find_term(config, None)
    ctx = build_model(config, term, rules=apart)
    assert {p.rule for p in ctx.penalties} <= apart
    assert set(ctx.by_series) == set(build_model(config, term).by_series)  # all at once, unlike "series"


def test_a_long_solve_bounds_first_and_a_short_one_after_its_search() -> None:
    long_before, long_after = _bound_seconds(57.0)
    assert long_before == pytest.approx(BOUND_SHARE * 57.0) and long_after == 0.0
    short_before, short_after = _bound_seconds(7.5)  # 10 s after a warm start of 2.5 s
    assert short_before == 0.0 and short_after == pytest.approx(max(MIN_BOUND_SECONDS, BOUND_SHARE * 7.5))
    assert _bound_seconds(2 * MIN_BOUND_SECONDS - 0.1) == (0.0, 0.0)  # too little: all to the search
