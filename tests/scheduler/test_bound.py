"""The relaxations that bound a term's objective (`scheduler.bound`): never above the best plan,
above what the penalties' domains alone say, and the same on every run when deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.bound import group_rules, relaxed_floor, ungrouped_rules
from scheduler.build import build_model, find_term, objective_floor
from scheduler.config import load_config
from scheduler.model import PlanStatus
from scheduler.solve import SolveOptions, solve
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
