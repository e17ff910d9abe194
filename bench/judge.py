"""One judge for every planner: the benchmark's figures, computed from a plan and its config alone.

The hand-planning baseline (`bench.baseline`) and the optimiser are scored by exactly this code,
so a figure never depends on what a planner says about itself, except the gap, which only a
solver with a bound can state (None for the baseline).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime

from scheduler.config import seat_pool
from scheduler.index import index_of
from scheduler.model import PLANNED, Meeting, MunicipalityConfig, Person, Plan, PlanStatus, Term
from scheduler.roles import FULL_TIME_HOURS, fair_load_roles
from scheduler.solve import plan_stats
from scheduler.term_dates import TZ, closed_days_for, series_periods
from scheduler.verify import verify_plan


@dataclass(frozen=True)
class Figures:
    """How good a plan is, as a district leader would judge it."""

    placed: int
    """meetings of required periods that the plan holds"""
    expected: int
    """required periods (open and not a holiday fortnight): every one should have its meeting"""
    hard_violations: int
    regularity_pct: float
    """meetings on their series' usual (week, weekday, start), as `PlanStats.regularity_pct`"""
    preferred_weekday_pct: float | None
    """of meetings whose series has preferred weekdays, those on one; None when no series has any"""
    preferred_start_pct: float | None
    """of meetings whose series has preferred starts, those at one; None when no series has any"""
    travel_minutes: int
    """per person and day, travel between consecutive meetings at different sites"""
    continuity_pct: float
    worst_load_ratio: float | None
    """the busiest specialist's meeting minutes per full-time hour over their role's mean"""
    gap_pct: float | None
    """distance to the solver's proven bound; None without a bound (the baseline)"""

    @property
    def complete(self) -> bool:
        """Every meeting placed and no hard rule broken."""
        return self.placed == self.expected and self.hard_violations == 0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "complete": self.complete}


def judge(config: MunicipalityConfig, plan: Plan) -> Figures:
    """The figures of a plan of `config` (see `Figures`)."""
    index = index_of(config)
    term = index.term(plan.term)
    series_meetings = sorted((m for m in plan.meetings if not m.one_off), key=lambda m: (m.start, m.uid))
    stats = plan_stats(config, term, series_meetings)
    placed, expected = _placed(config, plan, series_meetings)
    return Figures(
        placed=placed,
        expected=expected,
        hard_violations=len(verify_plan(config, plan)),
        regularity_pct=stats.regularity_pct,
        preferred_weekday_pct=_preferred_weekday_pct(config, series_meetings),
        preferred_start_pct=_preferred_start_pct(config, series_meetings),
        travel_minutes=travel_minutes(config, plan.meetings),
        continuity_pct=stats.continuity_pct,
        worst_load_ratio=worst_load_ratio(config, term, plan.meetings),
        gap_pct=gap_pct(plan),
    )


def _placed(config: MunicipalityConfig, plan: Plan, meetings: list[Meeting]) -> tuple[int, int]:
    index = index_of(config)
    term = index.term(plan.term)
    held = {(m.series, m.occurrence) for m in meetings}
    placed = expected = 0
    for series in index.active_series(term):
        for period in series_periods(series, term, closed_days_for(config, term, series)):
            if period.days and not period.optional:
                expected += 1
                placed += (series.id, period.index) in held
    return placed, expected


def _local(moment: datetime) -> tuple[date, int]:
    local = moment.astimezone(TZ)
    return local.date(), local.hour * 60 + local.minute


def _share(hits: int, total: int) -> float | None:
    return round(100 * hits / total, 1) if total else None


def _preferred_weekday_pct(config: MunicipalityConfig, meetings: list[Meeting]) -> float | None:
    series = index_of(config).series
    hits = total = 0
    for meeting in meetings:
        own = series.get(meeting.series)
        wanted = {d.number for d in own.preferred_weekdays} if own is not None else set()
        if wanted:
            total += 1
            hits += _local(meeting.start)[0].weekday() in wanted
    return _share(hits, total)


def _preferred_start_pct(config: MunicipalityConfig, meetings: list[Meeting]) -> float | None:
    series = index_of(config).series
    hits = total = 0
    for meeting in meetings:
        own = series.get(meeting.series)
        wanted = set(own.preferred_starts) if own is not None else set()
        if wanted:
            total += 1
            hits += _local(meeting.start)[1] in wanted
    return _share(hits, total)


def travel_minutes(config: MunicipalityConfig, meetings: list[Meeting]) -> int:
    """Minutes everyone spends travelling: per person and day, between each meeting and the next
    one they attend (`index.travel_minutes`; 0 at the same site)."""
    index = index_of(config)
    days: dict[tuple[str, date], list[tuple[datetime, str]]] = defaultdict(list)
    for meeting in meetings:
        for person in dict.fromkeys(a.person for a in meeting.attendees):
            days[(person, _local(meeting.start)[0])].append((meeting.start, meeting.site))
    total = 0
    for visits in days.values():
        visits.sort()
        total += sum(index.travel_minutes(a, b) for (_, a), (_, b) in zip(visits, visits[1:], strict=False))
    return total


def worst_load_ratio(config: MunicipalityConfig, term: Term, meetings: list[Meeting]) -> float | None:
    """Per specialist role (`fair_load_roles`): each holder's required meeting minutes scaled to
    a full-time week (37 / weekly_hours), the busiest holder over the mean of the role's holders;
    the worst role's ratio (`load_ratio`)."""
    index = index_of(config)
    minutes: dict[str, float] = defaultdict(float)
    for meeting in meetings:
        length = int((meeting.end - meeting.start).total_seconds() // 60)
        for attendee in meeting.attendees:
            if attendee.required and attendee.person in index.people:
                joins, leaves = attendee.span_in(length)
                minutes[attendee.person] += leaves - joins
    return load_ratio(config, term, minutes)


def load_ratio(config: MunicipalityConfig, term: Term, minutes: dict[str, float]) -> float | None:
    """The worst role's busiest holder over the role's mean, of each person's required meeting
    minutes in the term scaled to a full-time week. A holder counts when some seat of the term's
    series could take them and they work some of the term (one who serves no unit with a meeting
    carries nothing any plan could give them). None when no role has two such holders with a load."""
    index = index_of(config)
    seatable = {
        pid
        for series in index.active_series(term)
        for _, seat in series.seats()
        for pid in seat_pool(config, series, seat)
    }
    worst: float | None = None
    for role in sorted(fair_load_roles(config.extra_roles)):
        holders = [p for p in config.staff if role in p.roles and p.id in seatable and _employed_in(p, term)]
        loads = [minutes.get(p.id, 0.0) * FULL_TIME_HOURS / p.weekly_hours for p in holders]
        mean = sum(loads) / len(loads) if loads else 0.0
        if len(loads) < 2 or mean <= 0:
            continue
        ratio = round(max(loads) / mean, 3)
        worst = ratio if worst is None else max(worst, ratio)
    return worst


def _employed_in(person: Person, term: Term) -> bool:
    """Whether the person works some of the term (a holder who left before it carries nothing)."""
    starts, ends = person.employed_from, person.employed_until
    return (starts is None or starts <= term.end) and (ends is None or term.start <= ends)


def gap_pct(plan: Plan) -> float | None:
    """How far the plan's objective may be from the best possible, as the solver's bound says:
    (objective - bound) / objective, in %; None without a bound or a plan."""
    if plan.status not in PLANNED or plan.objective is None or plan.best_bound is None:
        return None
    if plan.status == PlanStatus.OPTIMAL:
        return 0.0
    gap = (plan.objective - plan.best_bound) / max(1.0, abs(plan.objective))
    return round(100 * max(0.0, gap), 2)
