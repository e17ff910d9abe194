"""The neighbourhood search (`scheduler.lns`): whole series move together, the rest of the plan is
held and given back untouched, and what it finds is a better plan the verifier accepts."""

from __future__ import annotations

from pathlib import Path
from time import monotonic

from ortools.sat.python import cp_model

from scheduler.build import build_model, find_term
from scheduler.config import load_config
from scheduler.context import PlanningContext
from scheduler.cpsat import Holds
from scheduler.hint import greedy_start, occurrence_variables
from scheduler.lns import Incumbent, Neighbourhoods, _outside, improve
from scheduler.model import MunicipalityConfig
from scheduler.solve import SolveOptions, _ProgressReporter, _warm_start, read_plan
from scheduler.verify import verify_plan
from tests.builders import EXAMPLE, TWO_DISTRICTS_FILE


def _warm(path: Path) -> tuple[MunicipalityConfig, PlanningContext, Incumbent]:
    config = load_config(path)
    ctx = build_model(config, find_term(config, None))
    options = SolveOptions(workers=2, seed=0, deterministic=True)
    warm = _warm_start(ctx, config, options, _ProgressReporter(None, monotonic()), 10.0, greedy_start(ctx), 0)
    assert warm is not None
    return config, ctx, Incumbent(list(warm.response_proto.solution), warm.objective_value, warm)


def test_a_series_neighbourhood_frees_whole_series() -> None:
    _, ctx, _ = _warm(TWO_DISTRICTS_FILE)
    draws = Neighbourhoods(ctx, seed=3)
    for _ in range(30):
        drawn = draws.draw(size=6, values=[0] * len(ctx.model.proto.variables))
        if drawn.kind != "series":
            continue
        series = {ctx.occurrences[i].series.id for i in drawn.meetings}
        assert drawn.meetings == {occ.index for sid in series for occ in ctx.by_series[sid]}


def test_the_search_gives_the_model_back_as_it_found_it() -> None:
    _, ctx, incumbent = _warm(TWO_DISTRICTS_FILE)
    before = [
        list(ctx.model.proto.variables[v.index].domain)
        for o in ctx.occurrences
        for v in occurrence_variables(o)
    ]
    improve(ctx, incumbent, budget=2.0, workers=1, seed=0, deterministic=True)
    after = [
        list(ctx.model.proto.variables[v.index].domain)
        for o in ctx.occurrences
        for v in occurrence_variables(o)
    ]
    assert after == before


def test_the_search_improves_the_warm_start_of_the_example_and_the_plan_verifies() -> None:
    config, ctx, incumbent = _warm(EXAMPLE)
    report = improve(ctx, incumbent, budget=4.0, workers=2, seed=0, deterministic=True)
    assert report.improvements >= 1
    assert report.incumbent.objective < incumbent.objective
    plan = read_plan(ctx, report.incumbent.solver, cp_model.FEASIBLE, monotonic(), None)
    assert plan.objective == report.incumbent.objective
    assert verify_plan(config, plan) == []


def test_the_search_stops_at_a_plan_that_reaches_its_target() -> None:
    """A proven lower bound as the target: a plan there is optimal, nothing more to search."""
    _, ctx, incumbent = _warm(TWO_DISTRICTS_FILE)
    report = improve(
        ctx, incumbent, budget=2.0, workers=1, seed=0, deterministic=True, target=incumbent.objective
    )
    assert (report.iterations, report.incumbent.objective) == (0, incumbent.objective)
    below = improve(ctx, incumbent, budget=2.0, workers=1, seed=0, deterministic=True, target=-1)
    assert below.iterations > 0


def test_a_role_neighbourhood_frees_the_roles_seats_all_term_and_keeps_every_time() -> None:
    _, ctx, incumbent = _warm(EXAMPLE)
    draws = Neighbourhoods(ctx, seed=0)
    assert "psykolog" in draws.roles()
    drawn = draws.role("psykolog", False, incumbent.values)
    psychologist_seats = {
        lit.index
        for occ in ctx.occurrences
        for choice in occ.seats
        if any("psykolog" in ctx.people[pid].roles for pid in choice.lits)
        for pid, lit in choice.lits.items()
        if "psykolog" in ctx.people[pid].roles
    }
    assert drawn.meetings == set() and psychologist_seats <= drawn.seats
    held_now = _outside(ctx, drawn, incumbent.values)
    assert not psychologist_seats & set(held_now)
    assert all(option.var.index in held_now for occ in ctx.occurrences for option in occ.options)


def test_with_the_busiest_holder_their_series_are_freed_whole() -> None:
    _, ctx, incumbent = _warm(EXAMPLE)
    drawn = Neighbourhoods(ctx, seed=0).role("psykolog", True, incumbent.values)
    load: dict[str, int] = {}
    for occ in ctx.occurrences:
        for choice in occ.seats:
            for pid, lit in choice.lits.items():
                if "psykolog" in ctx.people[pid].roles and incumbent.values[lit.index]:
                    load[pid] = load.get(pid, 0) + round(occ.duration * 37 / ctx.people[pid].weekly_hours)
    busiest = max(load.values())
    series = {ctx.occurrences[i].series.id for i in drawn.meetings}
    assert drawn.meetings == {occ.index for sid in series for occ in ctx.by_series[sid]}
    sitting = {
        pid
        for sid in series
        for occ in ctx.by_series[sid]
        for choice in occ.seats
        for pid, lit in choice.lits.items()
        if incumbent.values[lit.index] and "psykolog" in ctx.people[pid].roles
    }
    assert any(load[pid] == busiest for pid in sitting)


def test_holds_change_only_what_differs_and_give_every_domain_back() -> None:
    model = cp_model.CpModel()
    free, third = model.new_bool_var("free"), model.new_bool_var("third")
    forbidden = model.new_int_var(0, 0, "forbidden")  # a literal the model itself fixed
    model.maximize(free + forbidden + third)

    def domains() -> list[list[int]]:
        return [list(v.domain) for v in model.proto.variables]

    original = domains()
    holds = Holds(model)
    holds.hold({free.index: 0, forbidden.index: 0})
    assert domains() == [[0, 0], [0, 1], [0, 0]]
    holds.hold({third.index: 0, forbidden.index: 0})  # `free` let go, `third` newly held
    assert domains() == [[0, 1], [0, 0], [0, 0]]
    solver = cp_model.CpSolver()
    assert solver.solve(model) == cp_model.OPTIMAL
    assert (solver.value(free), solver.value(third)) == (1, 0)
    holds.hold({third.index: 1})
    assert domains() == [[0, 1], [1, 1], [0, 0]]
    holds.release()
    assert domains() == original
