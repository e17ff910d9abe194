"""A new plan for a term that already has a live plan: start from it, change as little as possible.

People already have the live plan's meetings in their calendars, so a re-solve is a replanning,
not a fresh plan: the pinning engine solves the config with the cost of change per moved meeting
and per person notified, the way absence proposals are solved. What never changes:

- locked meetings and meetings that have begun (the past is history);
- the time of meetings within the notice period (as for absences; a new seat holder is allowed),
  and nothing moves into it;
- with a district scope, every meeting of a series outside it (and so every specialist's time
  in them): a district leader plans their district with the others' published meetings fixed.

A re-solve of an unchanged config gives the live plan back (see `scheduler.replan.engine`).
When the config cannot keep every meeting (an absence nobody can cover), the answer is a PARTIAL
plan: as many meetings as possible kept or placed, then the least change, the rest listed with
their reasons (`Engine(partial=True)`); INFEASIBLE only when not one meeting can be placed.
"Start afresh" (`fresh`) keeps only the pins and drops the cost of change; either way the plan's
stats say what it costs against the live plan (`changed_meetings`, `notified_people`).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable
from datetime import datetime

from scheduler.availability import require_aware
from scheduler.context import Occurrence
from scheduler.index import index_of
from scheduler.model import Meeting, MunicipalityConfig, Plan, PlanStatus, Series
from scheduler.replan.diff import diff_plans
from scheduler.replan.engine import DEFAULT_TIME_LIMIT, DEFAULT_WORKERS, PINNED, Engine, Freedom
from scheduler.replan.unavailability import notice_horizon, within_notice
from scheduler.replan.what_if import no_plan_reasons
from scheduler.solve import PlanVerificationError, ProgressCallback, SolveOptions, solve

DEFAULT_NOTICE_WORKING_DAYS = 2
"""As for an absence (`ReplanRequest.notice_working_days`)."""


def in_scope(config: MunicipalityConfig, series: Series, districts: Collection[str] | None) -> bool:
    """Whether a district scope may change the series: its unit serves one of the districts.

    No scope (None) is the whole municipality. A series of a unit without a district (Det
    Kreative Råd, a municipality-wide service) is in no district's scope. Same test as
    `api.auth.Principal.may_change_unit`.
    """
    if districts is None:
        return True
    unit = index_of(config).units.get(series.unit)
    return unit is not None and bool(set(unit.districts) & set(districts))


def with_change_cost(live: Plan, plan: Plan) -> Plan:
    """The plan with its cost against the live plan in its stats: meetings changed, people told."""
    changes = diff_plans(live, plan)
    notified = {a.person for c in changes for a in [*c.before_attendees, *c.after_attendees]}
    if plan.stats is not None:
        plan.stats = plan.stats.model_copy(
            update={"changed_meetings": len(changes), "notified_people": len(notified)}
        )
    return plan


def replan(
    config: MunicipalityConfig,
    live: Plan,
    *,
    now: datetime,
    locked: Iterable[str] = (),
    districts: Collection[str] | None = None,
    fresh: bool = False,
    booked: list[Meeting] | None = None,
    notice_working_days: int = DEFAULT_NOTICE_WORKING_DAYS,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = DEFAULT_WORKERS,
    progress: ProgressCallback | None = None,
) -> Plan:
    """The config planned from the live plan: the least change (or, `fresh`, the best plan around
    the pins: a plain solve when nothing is pinned). PARTIAL when not every meeting fits; an
    INFEASIBLE or UNKNOWN plan with Danish reasons when there is none. `booked`: the one-off
    meetings to keep (default: the live plan's). `progress` is called by a plain solve only."""
    from scheduler.verify import format_violations, verify_plan

    require_aware(now, "now")
    started = time.monotonic()
    index = index_of(config)
    term = index.term(live.term)
    horizon = notice_horizon(config, now, notice_working_days)
    outside = {
        m.uid
        for m in live.meetings
        if m.series not in index.series or not in_scope(config, index.series[m.series], districts)
    }
    frozen = set(locked) | outside | {m.uid for m in live.meetings if m.locked or m.start < now}
    time_pinned = frozen | {m.uid for m in live.meetings if within_notice(m, horizon)}
    if booked is None:
        booked = [m for m in live.meetings if m.one_off]
    if fresh and not time_pinned - {m.uid for m in booked}:
        options = SolveOptions(time_limit=time_limit, workers=workers)
        return with_change_cost(live, solve(config, term.id, options, progress=progress, booked=booked))

    def engine(partial: bool) -> Engine:
        return Engine(
            config,
            term,
            live,
            earliest_move=now,
            horizon=horizon,
            time_limit=time_limit,
            workers=workers,
            booked=booked,
            cost_of_change=not fresh,
            partial=partial,
        )

    def freedom_of(occ: Occurrence) -> Freedom:
        if occ.uid in frozen:
            return PINNED
        return Freedom(time=occ.uid not in time_pinned, seats="all", optional="all")

    outcome = engine(partial=False).solve(freedom_of, hint=live, warm=not fresh)
    if outcome.status in ("infeasible", "unpinnable"):
        partial = engine(partial=True).solve(freedom_of, hint=live)
        if partial.plan is not None:
            outcome = partial
    if outcome.plan is None:
        return Plan(
            municipality=config.municipality,
            term=term.id,
            status=PlanStatus.UNKNOWN if outcome.status == "timeout" else PlanStatus.INFEASIBLE,
            solve_seconds=round(time.monotonic() - started, 3),
            explanation=_reasons(
                outcome.status,
                outcome.problems,
                config,
                term.id,
                time_limit,
                bool(frozen),
                districts is not None,
            ),
        )
    plan = outcome.plan
    violations = verify_plan(config, plan)
    if violations:
        raise PlanVerificationError(format_violations(violations))
    plan.solve_seconds = round(time.monotonic() - started, 3)
    return with_change_cost(live, plan)


def _reasons(
    status: str,
    problems: list[str],
    config: MunicipalityConfig,
    term_id: str,
    time_limit: float,
    pinned: bool,
    scoped: bool,
) -> list[str]:
    """Why there is no plan: the config's own reasons when it has no plan at all (a broken
    config), else what the re-solve holds fixed."""
    if status != "infeasible":
        return no_plan_reasons(status, problems, pinned, config, term_id, time_limit)
    from scheduler.explain import explain_core, infeasible_core

    ctx, core = infeasible_core(config, term_id, time_limit)
    if core is not None:
        return explain_core(ctx, core)
    held = "Låste og afholdte møder og tidspunkterne inden for varslet"
    if scoped:
        held += " samt de andre distrikters møder"
    return ["Ændringen kan ikke gennemføres:", f"- {held} ændres ikke, og resten kan ikke tilpasses dem."]
