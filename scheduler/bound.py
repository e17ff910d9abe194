"""Lower bounds of a term's objective that mean something on a municipality's size.

CP-SAT's own bound on the joint model stays far below the plans it finds (20-30 % on the example):
its LP relaxation sees a series' rhythm and a specialist's load meeting by meeting. Two
relaxations, each solved on its own, see more. The objective is a sum of weighted penalties, each
at least 0, so bounds of disjoint groups of them add up (`Rule.bound_group`):

- "load": who sits where (continuity, fair load), all series at once, with only the seat rules
  (`LOAD_HARD_RULES`): the example's is proven in about 2 s (512), where the joint model's bound
  of the whole objective stays near 500 after a minute;
- "series": each series alone, with only the local hard rules (its rhythm, preferred times,
  guests, rota): small models, each proven at once;
- every other soft rule counts what its penalties' domains force (`objective_floor`).

Any model with fewer constraints and the same penalties has a minimum no higher than the joint
model's, so each relaxation's proven bound is a bound of the plan's.
"""

from __future__ import annotations

import math
import time

from ortools.sat.python import cp_model

from scheduler.build import build_model, objective_floor
from scheduler.context import PlanningContext
from scheduler.cpsat import new_solver
from scheduler.model import Meeting, MunicipalityConfig, Term
from scheduler.rules import BoundGroup, load_rules

LOAD_SHARE = 0.6
"""of the time for bounds, what the load relaxation may take; the series have the rest"""

LOAD_HARD_RULES = frozenset({"seats", "one_seat_per_person"})
"""the hard rules of the load relaxation: who may sit in which seat, every time left free. With
availability too, CP-SAT had not proven stramkommune's relaxation after 8 s (bound 884); without,
it proved 960 in 6 s, and the example's 512 in 2 s (2026-12-02, 2 workers)."""


SERIES_SECONDS = 0.5
"""the most one series' relaxation may take; the example's are proven in a few milliseconds"""


def group_rules(group: BoundGroup) -> frozenset[str]:
    """The soft rules bounded by the `group` relaxation."""
    return frozenset(r.name for r in load_rules() if r.bound_group == group)


def ungrouped_rules() -> frozenset[str]:
    """The soft rules in no relaxation: bounded by their penalties' domains alone."""
    return frozenset(r.name for r in load_rules() if r.level == "soft" and r.bound_group is None)


def relaxed_floor(
    config: MunicipalityConfig,
    term: Term,
    booked: list[Meeting] | None,
    *,
    seconds: float,
    workers: int,
    seed: int,
    deterministic: bool,
) -> int:
    """A lower bound of the grouped rules' part of the objective (add `objective_floor` of the
    main model's `ungrouped_rules()` for the whole): the load relaxation's, then each series'
    while `seconds` last (every series when `deterministic`, so the bound is the same each run).
    A relaxation that runs out of time still gives its proven bound; one found infeasible (the
    term has no plan at all) gives 0."""
    started = time.monotonic()
    load = build_model(config, term, booked=booked, rules=LOAD_HARD_RULES | group_rules("load"))
    total = _proven(load, LOAD_SHARE * seconds, workers, seed, deterministic)
    planned = sorted(load.by_series)
    del load  # a model the size of the term's: the job's memory cap counts it
    local_hard = frozenset(r.name for r in load_rules() if r.level == "hard" and r.local)
    series_rules = group_rules("series")
    for series_id in planned:
        if not deterministic and time.monotonic() - started > seconds:
            break  # the series not reached count 0
        alone = build_model(
            config, term, booked=booked, rules=local_hard | series_rules, series_ids={series_id}
        )
        total += _proven(alone, SERIES_SECONDS, 1, seed, deterministic)
    return total


def _proven(ctx: PlanningContext, seconds: float, workers: int, seed: int, deterministic: bool) -> int:
    """The relaxation's proven lower bound of its objective (its posted penalties, weighted)."""
    if not ctx.penalties:
        return 0
    floor = objective_floor(ctx)
    solver = new_solver(time_limit=seconds, workers=workers, seed=seed, deterministic=deterministic)
    status = solver.solve(ctx.model)
    if status == cp_model.INFEASIBLE or status == cp_model.MODEL_INVALID:
        return 0
    bound = solver.best_objective_bound
    if not math.isfinite(bound):
        return floor
    return max(floor, math.ceil(bound - 1e-6))
