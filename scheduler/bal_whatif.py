"""What if: "with K facilitators and H hours a week each, when is every team through?", and what
each K costs the meeting structure in the first round that is a term of the config.

Per K: the rollout with the first K facilitators (`with_facilitators`), the teams through by the
end of each round (cumulative) and the round when all are through. The cost in the meeting
structure compares two verified plans of that term: the structure without BAL
(`scheduler.solve.solve`, once for every K: the structure's series do not depend on the
facilitators), and the plan with the K's round (`with_bal`), found with the least change from it
(`scheduler.replan.engine.Engine`, one model for both steps; the same limit, seed and workers,
the limit in work units):

1. every meeting of the structure kept as it is (time and people), BAL's meetings placed around
   it: when that works, nothing moved;
2. else the joint solve (`solve` of the config with BAL), then the least change from the plan
   without BAL, started from the joint plan (so it never moves more than the joint plan does).

Why not two plain solves: they differ wherever the structure has equally good times to choose
between. With a facilitator who sits in no conference (`tests.builders.bal_config`), the joint
solve moved all four conferences from 14:00 to 12:30 at no cost; on the Ballerup example it moved
20 of 274 meetings against first fit's round 1 (5 s, 1 worker), and the least-change search from
there still 20, while step 1 fitted all 198 BAL meetings around the structure unchanged in 5 s
(2026-12-01). "Meetings moved" should count what BAL forces, not the solver's ties.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from scheduler.bal_facts import bal_rounds, programme
from scheduler.bal_rollout import RolloutOptions, plan_rollout
from scheduler.bal_series import with_bal
from scheduler.index import index_of
from scheduler.model import (
    PLANNED,
    BalProgramme,
    BalRollout,
    Meeting,
    MunicipalityConfig,
    Plan,
    Planning,
    PlanStatus,
    Term,
)
from scheduler.replan.diff import diff_plans
from scheduler.replan.engine import PINNED, Engine, Freedom
from scheduler.solve import PlanVerificationError, SolveOptions, plan_stats, solve
from scheduler.term_dates import open_weeks

Placed = Literal["kept", "least_change", "joint"]
"""How the plan with BAL came about: every meeting of the structure kept as it was (BAL fitted
around it); the least change found from the joint plan; the joint plan itself (PARTIAL, or the
least-change search found no plan: its moves may include the solver's ties, so "at most")."""

ROLLED_OUT = (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE)
"""rollout statuses with assignments to plan into a term"""


@dataclass
class WhatIfOptions:
    """The limit, workers and seed of every solve (each rollout, each term plan), deterministic;
    None takes the config's `planning` setting. `with_structure_cost` false skips the term plans."""

    time_limit: float | None = None
    workers: int | None = None
    seed: int | None = None
    with_structure_cost: bool = True


@dataclass(frozen=True)
class StructureCost:
    """What one K's round costs the meeting structure in `term`, plan without BAL against with."""

    term: str
    round: int
    """the rollout round held in the term"""
    status: PlanStatus
    """of the plan with BAL (PARTIAL: some meetings did not fit)"""
    meetings: int
    """the structure's meetings in the plan without BAL"""
    moved: int
    """of those, at another time (day or start) or site with BAL"""
    left_out: int
    """of those, missing from the plan with BAL (it is PARTIAL)"""
    added: int
    """the structure's meetings the plan with BAL holds and the one without does not (a period
    that may be skipped, e.g. a holiday fortnight)"""
    bal_meetings: int
    """course sessions and analyses placed"""
    bal_unplaced: int
    """course sessions and analyses that did not fit"""
    regularity_before: float
    """% of the structure's meetings on their series' usual weekday and start, without BAL"""
    regularity_after: float
    load_before: int
    """the busiest facilitator's meeting minutes a week (the term's open weeks), without BAL"""
    load_after: int
    """the same with BAL (course sessions have no staff seats: analyses and the structure)"""
    busiest: str | None
    """the facilitator with `load_after` (None without facilitators)"""
    how: Placed
    seconds: float
    """the term plans with BAL (not the plan without it)"""
    plan: Plan = field(repr=False, compare=False)
    """the plan with BAL, verified (UNKNOWN or INFEASIBLE, with no meetings, when there is none:
    then the figures compare nothing, and `what_if` gives no cost)"""


@dataclass(frozen=True)
class WhatIfRow:
    """One K: its rollout, teams through per round and what it costs the structure."""

    facilitators: int
    hours: float | None
    """hours a week each, None: each their own"""
    rollout: BalRollout
    through: list[int]
    """teams through by the end of round 1, 2, … max_rounds (cumulative)"""
    all_through: int | None
    """the round when every team is through; None when some wait (or there is no rollout)"""
    waiting: int
    cost: StructureCost | None = None
    cost_missing_da: str | None = None
    """why there is no cost when one was asked for, in Danish"""


def with_facilitators(config: MunicipalityConfig, count: int, hours: float | None) -> MunicipalityConfig:
    """The config with only the first `count` facilitators, each at `hours` a week when given."""
    bal = programme(config)
    chosen = [
        f if hours is None else f.model_copy(update={"hours_per_week": hours})
        for f in bal.facilitators[:count]
    ]
    changed: BalProgramme = bal.model_copy(update={"facilitators": chosen})
    return config.model_copy(update={"bal": changed})


def cost_term(config: MunicipalityConfig) -> tuple[int, Term] | None:
    """(round, term) of the first rollout round that is a term of the config."""
    index = index_of(config)
    return next(((r.number, index.term(r.term)) for r in bal_rounds(config) if r.term is not None), None)


def what_if(
    config: MunicipalityConfig,
    counts: Sequence[int],
    hours: float | None = None,
    options: WhatIfOptions | None = None,
) -> list[WhatIfRow]:
    """One row per K in `counts` (the first K facilitators, at `hours` a week each when given)."""
    options = options or WhatIfOptions()
    rollout_options = RolloutOptions(
        time_limit=options.time_limit, workers=options.workers, seed=options.seed, deterministic=True
    )
    where = cost_term(config)
    base: Plan | None = None
    rows = []
    for k in counts:
        chosen = with_facilitators(config, k, hours)
        rollout = plan_rollout(chosen, rollout_options)
        through, all_through = teams_through(chosen, rollout)
        row = WhatIfRow(
            facilitators=k,
            hours=hours,
            rollout=rollout,
            through=through,
            all_through=all_through,
            waiting=len(rollout.waiting),
        )
        if options.with_structure_cost:
            if where is None:
                row = replace(row, cost_missing_da="ingen runde falder i en termin i konfigurationen")
            elif rollout.status not in ROLLED_OUT:
                row = replace(row, cost_missing_da="ingen udrulning at planlægge")
            else:
                number, term = where
                if base is None:
                    base = solve(config, term.id, _solve_options(options))
                if base.status not in PLANNED:
                    why = base.explanation[0] if base.explanation else base.status.value
                    row = replace(row, cost_missing_da=f"mødestrukturen har ingen plan uden BAL: {why}")
                else:
                    cost = structure_cost(chosen, rollout, term, number, base, options)
                    if cost.status in PLANNED:
                        row = replace(row, cost=cost)
                    else:  # the joint solve found no plan in the limit
                        why = cost.plan.explanation[0] if cost.plan.explanation else cost.status.value
                        row = replace(row, cost_missing_da=f"ingen plan med BAL: {why}")
        rows.append(row)
    return rows


def teams_through(config: MunicipalityConfig, rollout: BalRollout) -> tuple[list[int], int | None]:
    """Teams through by the end of each round 1..max_rounds, and the round when all are."""
    bal = programme(config)
    rounds = [r.number for r in bal_rounds(config)]
    through = [sum(1 for a in rollout.assignments if a.round <= n) for n in rounds]
    done = rollout.status in ROLLED_OUT and not rollout.waiting and rollout.rounds_used > 0
    return through, (rollout.rounds_used if done and len(bal.teams) else None)


def structure_cost(
    config: MunicipalityConfig,
    rollout: BalRollout,
    term: Term,
    number: int,
    base: Plan,
    options: WhatIfOptions,
) -> StructureCost:
    """The rollout's round in `term` planned into the structure (see the module docstring) and
    compared with `base`, the verified plan of the term without BAL."""
    started = time.monotonic()
    full = with_bal(config, rollout)
    if full is config:  # no BAL meeting in any term: nothing to plan
        return compare(config, full, term, number, base, base, "kept", time.monotonic() - started)
    engine = Engine(
        full.model_copy(update={"planning": _planning(full, options)}),
        term,
        base,
        time_limit=options.time_limit or full.planning.time_limit_seconds,
        workers=options.workers or full.planning.workers,
    )
    free = Freedom(time=True, seats="all", optional="all")
    own = {s.id for s in config.series}  # pinned: held as in `base`, a skipped holiday period skipped
    kept = engine.solve(lambda occ: PINNED if occ.series.id in own else free, hint=base)
    how: Placed
    if kept.plan is not None:
        plan, how = _verified(full, kept.plan), "kept"
    else:
        plan, how = solve(full, term.id, _solve_options(options)), "joint"
        if plan.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE):
            least = engine.solve(lambda occ: free, hint=plan, warm=True)
            if least.plan is not None:
                plan, how = _verified(full, least.plan), "least_change"
    return compare(config, full, term, number, base, plan, how, time.monotonic() - started)


def _planning(config: MunicipalityConfig, options: WhatIfOptions) -> Planning:
    """The config's planning setting with the what-if's seed, deterministic (the engine's solves
    read both from the config)."""
    seed = {"seed": options.seed} if options.seed is not None else {}
    return config.planning.model_copy(update={"deterministic": True, **seed})


def _verified(config: MunicipalityConfig, plan: Plan) -> Plan:
    """The engine's plan once the independent verifier agreed (`PlanVerificationError` if not)."""
    from scheduler.verify import format_violations, verify_plan

    violations = verify_plan(config, plan)
    if violations:
        raise PlanVerificationError(format_violations(violations))
    return plan


def compare(
    config: MunicipalityConfig,
    full: MunicipalityConfig,
    term: Term,
    number: int,
    base: Plan,
    plan: Plan,
    how: Placed,
    seconds: float,
) -> StructureCost:
    """The figures of `StructureCost` from the two plans: `config`'s series are the structure's,
    `full`'s others are BAL's."""
    own = {s.id for s in config.series}
    changes = [c for c in diff_plans(base, plan) if c.series in own]
    before = [m for m in base.meetings if m.series in own and not m.one_off]
    after = [m for m in plan.meetings if m.series in own and not m.one_off]
    facilitators = [f.person for f in programme(config).facilitators]
    weeks = max(1, open_weeks(config, term))
    load_before = _loads(base.meetings, facilitators, weeks)
    load_after = _loads(plan.meetings, facilitators, weeks)
    busiest = max(facilitators, key=lambda p: (load_after[p], p), default=None)
    return StructureCost(
        term=term.id,
        round=number,
        status=plan.status,
        meetings=len(before),
        moved=sum(1 for c in changes if c.what == "moved"),
        left_out=sum(1 for c in changes if c.what == "removed"),
        added=sum(1 for c in changes if c.what == "added"),
        bal_meetings=sum(1 for m in plan.meetings if m.series not in own),
        bal_unplaced=sum(1 for u in plan.unplaced if u.series not in own),
        regularity_before=plan_stats(config, term, before).regularity_pct,
        regularity_after=plan_stats(config, term, after).regularity_pct,
        load_before=max(load_before.values(), default=0),
        load_after=max(load_after.values(), default=0),
        busiest=busiest,
        how=how,
        seconds=round(seconds, 2),
        plan=plan,
    )


def _loads(meetings: list[Meeting], people: list[str], weeks: int) -> dict[str, int]:
    """Person -> minutes a week in meetings they attend (their part of a partial seat)."""
    minutes: dict[str, int] = defaultdict(int)
    wanted = set(people)
    for meeting in meetings:
        length = int((meeting.end - meeting.start).total_seconds() // 60)
        for attendee in meeting.attendees:
            if attendee.person in wanted:
                joins, leaves = attendee.span_in(length)
                minutes[attendee.person] += leaves - joins
    return {p: round(minutes[p] / weeks) for p in people}


def _solve_options(options: WhatIfOptions) -> SolveOptions:
    return SolveOptions(
        time_limit=options.time_limit, workers=options.workers, seed=options.seed, deterministic=True
    )
