"""Lower bounds of a term's objective that mean something on a municipality's size.

CP-SAT's own bound on the joint model stays far below the plans it finds (20-30 % on the example):
its LP relaxation sees a series' rhythm and a specialist's load meeting by meeting. Three
relaxations, each solved on its own, see more. The objective is a sum of weighted penalties, each
at least 0, so bounds of disjoint groups of them add up (`Rule.bound_group`):

- "load": who sits where (continuity, fair load), all series at once, with only the seat rules
  (`LOAD_HARD_RULES`): the example's is proven in about 2 s (512), where the joint model's bound
  of the whole objective stays near 500 after a minute;
- "series": each series alone, with only the local hard rules (its rhythm, preferred times,
  guests, rota): small models, each proven at once;
- "apart": the whole term with every rule that touches one series at a time (`apart_rules`), so
  series are tied only by who sits where: no double booking, rooms, travel or daily caps between
  series. It sees what the two above cannot, that balancing a role's load costs some series their
  rhythm or preferred day: searched for a bound (`new_solver(bound_search=True)`) it proved
  lilleby's 614 in 1 s and stramkommune's 1,091 (plans of 1,102) in 10 s, and gave the example
  606-641 (its plans' 641 is optimal) and storby 822 (the other two together about 790) within
  10 s (2026-12-02). It runs first; the other two take the time it leaves, and the higher counts;
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
from scheduler.cpsat import new_solver, solve_seconds
from scheduler.model import Meeting, MunicipalityConfig, Term
from scheduler.rules import BoundGroup, load_rules

LOAD_SHARE = 0.6
"""of the time "apart" left, what the load relaxation may take; the series have the rest"""

LOAD_HARD_RULES = frozenset({"seats", "one_seat_per_person"})
"""the hard rules of the load relaxation: who may sit in which seat, every time left free. With
availability too, CP-SAT had not proven stramkommune's relaxation after 8 s (bound 884); without,
it proved 960 in 6 s, and the example's 512 in 2 s (2026-12-02, 2 workers)."""


SERIES_SECONDS = 0.5
"""the most one series' relaxation may take; the example's are proven in a few milliseconds"""

APART_SHARE = 0.75
"""of the time for bounds, what the "apart" relaxation may take; the load and series relaxations
have what it leaves (all of it where it is proven early)"""

APART_TRIES = (0.8, 1.0)
"""the "apart" relaxation's searches, each with a new seed and this share of the time still left
for it, keeping the best bound: on the example, six seeds at 15 s each, five proved 641 in
3.6-6.6 s and one stayed at 604; stramkommune's took 10-15 s; two equal halves of a 60 s solve's
time proved the example more often and stramkommune never (2026-12-02)"""

APART_RETRY_SECONDS = 6.0
"""below this much time for "apart" it gets one search: in a 10 s solve of the example the first
of two searches (1.9 s, after 0.7 s of building) proved 595 and the second (0.5 s) no more than the
domains' floor, 432 (2026-12-02)"""

MIN_PARTS_SECONDS = 1.0
"""below this the load and series relaxations are not tried after "apart": the example's load
relaxation alone takes 0.5 s to be proven, and its series about as long together"""


def group_rules(group: BoundGroup) -> frozenset[str]:
    """The soft rules bounded by the `group` relaxation."""
    return frozenset(r.name for r in load_rules() if r.bound_group == group)


def apart_rules() -> frozenset[str]:
    """The rules of the "apart" relaxation: every hard rule that holds within one series and
    every soft rule a relaxation bounds; what is left out ties series to each other in time."""
    return frozenset(
        r.name
        for r in load_rules()
        if (r.level == "hard" and r.local) or (r.level == "soft" and r.bound_group)
    )


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
    main model's `ungrouped_rules()` for the whole): the "apart" relaxation's, then, with the
    time it left, the load relaxation's plus each series', whichever is higher. A relaxation
    that runs out of time still gives its proven bound; one found infeasible (the term has no
    plan at all) gives 0. When `deterministic`, every series is bounded and time is counted in
    work units, so the bound is the same each run."""
    started = time.monotonic()
    spent = 0.0

    def left() -> float:
        return seconds - (spent if deterministic else time.monotonic() - started)

    apart = build_model(config, term, booked=booked, rules=apart_rules())
    best, optimal, budget = 0, False, APART_SHARE * seconds
    tries = APART_TRIES if budget >= APART_RETRY_SECONDS else (1.0,)
    for attempt, share in enumerate(tries):  # a proof is the search's luck: a new seed, a new chance
        bound, used, optimal = _proven(
            apart, share * budget, workers, seed + attempt, deterministic, bound_search=True
        )
        best, spent, budget = max(best, bound), spent + used, budget - used
        if optimal:
            break
    del apart  # a model the size of the term's: the job's memory cap counts it
    if optimal or left() < MIN_PARTS_SECONDS:
        return best  # the other two are relaxations of "apart": its optimum is above theirs
    load = build_model(config, term, booked=booked, rules=LOAD_HARD_RULES | group_rules("load"))
    parts, used, _ = _proven(load, LOAD_SHARE * left(), workers, seed, deterministic)
    spent += used
    planned = sorted(load.by_series)
    del load
    local_hard = frozenset(r.name for r in load_rules() if r.level == "hard" and r.local)
    series_rules = group_rules("series")
    for series_id in planned:
        if not deterministic and left() <= 0:
            break  # the series not reached count 0
        alone = build_model(
            config, term, booked=booked, rules=local_hard | series_rules, series_ids={series_id}
        )
        bound, used, _ = _proven(alone, SERIES_SECONDS, 1, seed, deterministic)
        parts, spent = parts + bound, spent + used
    return max(best, parts)


def _proven(
    ctx: PlanningContext,
    seconds: float,
    workers: int,
    seed: int,
    deterministic: bool,
    bound_search: bool = False,
) -> tuple[int, float, bool]:
    """The relaxation's proven lower bound of its objective (its posted penalties, weighted), the
    seconds of its limit it used (`solve_seconds`) and whether the bound is its optimum."""
    if not ctx.penalties:
        return 0, 0.0, True
    floor = objective_floor(ctx)
    solver = new_solver(
        time_limit=seconds, workers=workers, seed=seed, deterministic=deterministic, bound_search=bound_search
    )
    status = solver.solve(ctx.model)
    used = solve_seconds(solver)
    if status == cp_model.INFEASIBLE or status == cp_model.MODEL_INVALID:
        return 0, used, False
    bound = solver.best_objective_bound
    if not math.isfinite(bound):
        return floor, used, False
    return max(floor, math.ceil(bound - 1e-6)), used, status == cp_model.OPTIMAL
