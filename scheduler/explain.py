"""Why is there no plan? A small set of rules and people that cannot all hold at once.

The model is rebuilt in explain mode, where every relaxable constraint sits behind an assumption
literal (a person's availability, a series' weekdays, window, cadence, a seat). CP-SAT returns
assumptions sufficient for infeasibility; we shrink that set by dropping one assumption at a time
while the rest stays infeasible, and phrase what is left in Danish through each rule's `describe`.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from ortools.sat.python import cp_model

from scheduler.availability import Venue, not_free_da
from scheduler.build import build_model, find_term
from scheduler.config import series_title
from scheduler.context import Occurrence, PlanningContext
from scheduler.cpsat import new_solver
from scheduler.danish import clock_da, join_da, period_da, plural_da, short_date_da, weekday_da, when_da
from scheduler.index import index_of
from scheduler.model import Meeting, MunicipalityConfig, Plan, Term, UnplacedMeeting
from scheduler.rules import rule_by_name
from scheduler.term_dates import TZ, closed_days_for, series_periods
from scheduler.verify import RULES, verify_plan

MINIMIZE_BUDGET_SECONDS = 20.0


def _solve_with(
    ctx_model: cp_model.CpModel, assumptions: list[cp_model.IntVar], time_limit: float
) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver]:
    ctx_model.clear_assumptions()
    ctx_model.add_assumptions(assumptions)
    # cores from assumptions need a single worker
    solver = new_solver(time_limit=time_limit, workers=1, seed=1)
    return solver.solve(ctx_model), solver


def infeasible_core(
    config: MunicipalityConfig, term_id: str | None = None, time_limit: float | None = None
) -> tuple[PlanningContext, list[tuple[str, str]] | None]:
    """(rule, subject) pairs that together admit no plan; None if no core was found."""
    term = find_term(config, term_id)
    ctx = build_model(config, term, explain=True)
    limit = time_limit or config.planning.time_limit_seconds
    return ctx, _core(ctx, limit, MINIMIZE_BUDGET_SECONDS)


def _core(ctx: PlanningContext, limit: float, budget: float) -> list[tuple[str, str]] | None:
    """The explain-mode model's assumptions that together admit no solution, shrunk one by one
    within `budget` seconds; None if it has a solution (or none was proven in time)."""
    by_index = {lit.index: key for key, lit in ctx.guards.items()}
    assumptions = list(ctx.guards.values())
    status, solver = _solve_with(ctx.model, assumptions, limit)
    if status != cp_model.INFEASIBLE:
        return None
    core = [lit for lit in assumptions if lit.index in set(solver.sufficient_assumptions_for_infeasibility())]

    deadline = time.monotonic() + budget
    i = 0
    while i < len(core) and time.monotonic() < deadline:
        trial = core[:i] + core[i + 1 :]
        status, _ = _solve_with(ctx.model, trial, min(5.0, max(0.5, deadline - time.monotonic())))
        if status == cp_model.INFEASIBLE:
            core = trial
        else:
            i += 1
    return [by_index[lit.index] for lit in core]


def explain_infeasibility(
    config: MunicipalityConfig, term_id: str | None = None, time_limit: float | None = None
) -> list[str]:
    """Danish sentences: a headline, then one line per rule and person involved."""
    ctx, core = infeasible_core(config, term_id, time_limit)
    if core is None:
        return [
            "Der findes ingen plan, men årsagen kunne ikke indkredses inden for tidsgrænsen; "
            "prøv en længere tidsgrænse."
        ]
    return explain_core(ctx, core)


def explain_core(ctx: PlanningContext, core: list[tuple[str, str]]) -> list[str]:
    """`explain_infeasibility`'s sentences for a core `infeasible_core` found."""
    if not core:
        return [
            "Der findes ingen plan, selv uden mødepligt og tidsrum: helligdage, ferier, lokaler og "
            "transporttid levner ikke plads til møderne."
        ]
    lines = ["Der findes ingen plan, fordi disse krav ikke kan opfyldes på samme tid:"]
    for rule_name, subject in sorted(core):
        rule = rule_by_name(rule_name)
        text = rule.describe(ctx, subject)
        meetings = _meetings_of_subject(ctx, core, subject)
        where = f"; gælder {join_da([f'«{m}»' for m in meetings])}" if meetings else ""
        lines.append(f"- {text.rstrip('.')} (reglen «{rule.title_da}»{where}).")
    return lines


MEETINGS_NAMED = 3
"""At most this many series are named after a person's line in an explanation."""


def _meetings_of_subject(ctx: PlanningContext, core: list[tuple[str, str]], subject: str) -> list[str]:
    """The series a person's line is about: those of the core the person may attend, else every
    series they may attend (a series' own line names it already, so it gets none)."""
    if subject not in ctx.people:
        return []
    in_core = {s.split("|", 1)[0] for _, s in core if s not in ctx.people}
    series_ids = sorted({o.series.id for o in ctx.occurrences_of(subject)})
    chosen = [s for s in series_ids if s in in_core] or series_ids
    titles = [series_title(ctx.config, ctx.index.series[s]) for s in chosen]
    if len(titles) > MEETINGS_NAMED:
        return [*titles[:MEETINGS_NAMED], f"{len(titles) - MEETINGS_NAMED} andre"]
    return titles


# --------------------------------------------------------------------------- why not placed?

UNPLACED_EXPLAINED = 40
"""A partial plan explains at most this many missing meetings one by one (each is a few small
solves); the rest get the general reason."""
UNPLACED_BUDGET_SECONDS = 2.0


def why_unplaced(
    config: MunicipalityConfig,
    term: Term,
    occurrences: list[Occurrence],
    placed: list[Meeting],
    booked: list[Meeting] | None = None,
    known: dict[str, str] | None = None,
) -> list[UnplacedMeeting]:
    """Each meeting a partial plan left out, with its reason in Danish: first the meeting alone
    (its own people, windows, weekdays: an explain-mode model of that one occurrence), then with
    the plan's placed meetings fixed around it (as booked meetings). The text starts with the
    meeting: 'Koordineringskonference, skole, Nordskolen, uge 10-11: …'. `known`: uid -> the
    reason a caller already has (a replanning that could not keep a meeting's pinned time)."""
    out = []
    known = known or {}
    for n, occ in enumerate(occurrences):
        when = period_da(occ.series.cadence.kind, occ.period.start, occ.period.end)
        head = f"{series_title(config, occ.series)}, {when}"
        reason = known.get(occ.uid) or (
            _why_one(config, term, occ, placed, booked) if n < UNPLACED_EXPLAINED else None
        )
        out.append(
            UnplacedMeeting(
                series=occ.series.id,
                title=series_title(config, occ.series),
                occurrence=occ.period.index,
                period_start=occ.period.start,
                period_end=occ.period.end,
                reason_da=[f"{head}: {reason or _GENERAL_REASON}"],
            )
        )
    return out


_GENERAL_REASON = (
    "kan ikke placeres uden om planens øvrige møder (mødefrekvens, dobbeltbooking, transporttid, "
    "lokaler eller ugeloft)."
)


def _why_one(
    config: MunicipalityConfig,
    term: Term,
    occ: Occurrence,
    placed: list[Meeting],
    booked: list[Meeting] | None,
) -> str | None:
    alone = build_model(config, term, explain=True, booked=booked, only={occ.uid})
    if alone.empty_occurrences:
        return "alle dage i perioden er lukkede eller optaget af bookede møder."
    core = _core(alone, UNPLACED_BUDGET_SECONDS, UNPLACED_BUDGET_SECONDS)
    if core:
        return _phrase(alone, occ, core)
    others = [*(booked or []), *(m for m in placed if m.uid != occ.uid)]
    around = build_model(config, term, explain=True, booked=others, only={occ.uid})
    people = sorted(occ.fixed_people)
    if around.empty_occurrences:
        return "alle mulige tider er optaget af planens øvrige møder" + _people_suffix(around, people) + "."
    core = _core(around, UNPLACED_BUDGET_SECONDS, UNPLACED_BUDGET_SECONDS)
    if core:
        return "kan ikke placeres uden om planens øvrige møder: " + _phrase(around, occ, core)
    return _too_close(around, occ, [m for m in placed if m.series == occ.series.id])


def _too_close(ctx: PlanningContext, occ: Occurrence, siblings: list[Meeting]) -> str | None:
    """The cadence's minimum gap to the series' placed meetings rules out every day of the period."""
    gap = occ.series.cadence.effective_min_gap_days
    days = [m.start.astimezone(TZ).date() for m in siblings]
    near = sorted({d for day in occ.period.days for d in days if abs((day - d).days) < gap})
    if not gap or not near or any(all(abs((day - d).days) >= gap for d in days) for day in occ.period.days):
        return None
    return (
        _phrase(ctx, occ, [("cadence", occ.series.id)]).rstrip(".")
        + f"; seriens møder {join_da([short_date_da(d) for d in near])} ligger for tæt på."
    )


def _people_suffix(ctx: PlanningContext, people: list[str]) -> str:
    return f" ({join_da([ctx.index.person_name(p) for p in people])})" if people else ""


def _phrase(ctx: PlanningContext, occ: Occurrence, core: list[tuple[str, str]]) -> str:
    """The core's rule sentences, without repeating the meeting's title, each with its rule."""
    title = series_title(ctx.config, occ.series)
    parts = []
    for rule_name, subject in sorted(core, key=lambda item: (item[1] in ctx.people, item)):
        rule = rule_by_name(rule_name)
        text = rule.describe(ctx, subject).rstrip(".")
        if text.startswith(title + " "):
            text = text[len(title) + 1 :]
        parts.append(f"{text} («{rule.title_da}»)")
    return "; ".join(parts) + "."


# --------------------------------------------------------------------------- why here?


def why_meeting(config: MunicipalityConfig, plan: Plan, uid: str) -> list[str]:
    """Why a planned meeting sits where it does, in Danish, for a district leader.

    Every other time the meeting could have had in its cadence period — the same start on the
    period's other weekdays, other starts on its own day — is tried: its people's availability
    as the planner sees it (`scheduler.availability`), the other hard rules against the
    independent verifier, with the meetings it could clash with. Each is either ruled out by a
    hard rule (named, with an example) or allowed but less regular than the series' usual time.
    """
    meeting = next((m for m in plan.meetings if m.uid == uid), None)
    if meeting is None:
        raise KeyError(uid)
    index = index_of(config)
    term = index.term(plan.term)
    series = index.series.get(meeting.series)
    start, duration = meeting.start.astimezone(TZ), meeting.end - meeting.start
    people = {a.person for a in meeting.attendees}
    ordered = _ordered_with(config, meeting.series)
    related = [
        m
        for m in plan.meetings
        if m.uid == uid
        or m.series == meeting.series
        or m.series in ordered
        or m.site == meeting.site
        or people & {a.person for a in m.attendees}
    ]
    siblings = [m.start.astimezone(TZ) for m in plan.meetings if m.series == meeting.series]
    usual, usual_count = Counter((s.weekday(), clock_da(s)) for s in siblings).most_common(1)[0]

    lines = [
        f"{meeting.title} ligger {when_da(start)}-{clock_da(meeting.end)}. Serien holdes "
        f"{weekday_da(usual[0])} kl. {usual[1]} i {usual_count} af {len(siblings)} møder."
    ]
    periods = series_periods(series, term, closed_days_for(config, term, series)) if series else []
    period = next((p for p in periods if p.index == meeting.occurrence), None)
    days = (
        [period.start + timedelta(days=i) for i in range((period.end - period.start).days + 1)]
        if period is not None
        else [start.date()]
    )
    candidates: set[datetime] = set()
    for day in days:
        if day.weekday() < 5:
            candidates.add(datetime.combine(day, start.timetz()).replace(tzinfo=TZ))
    for minutes in range(8 * 60, 17 * 60 + 1, 30):
        candidates.add(datetime.combine(start.date(), datetime.min.time(), TZ) + timedelta(minutes=minutes))
    candidates.discard(start)

    blocked: dict[str, list[str]] = defaultdict(list)
    allowed: list[datetime] = []
    off_pattern = 0
    for candidate in sorted(candidates):
        moved = meeting.model_copy(update={"start": candidate, "end": candidate + duration})
        trial = plan.model_copy(update={"meetings": [moved if m.uid == uid else m for m in related]})
        hard = [
            (v.rule, v.message)
            for v in verify_plan(config, trial)
            if uid in v.meetings and v.rule != "availability"
        ]
        away = meeting_not_free(config, term, moved)
        if away is not None:
            hard.append(("availability", f"{when_da(candidate)}: {away}"))
        if hard:
            rule, message = min(hard, key=lambda h: RULES.index(h[0]))  # the verifier's order
            blocked[rule].append(message)
        else:
            allowed.append(candidate)
            off_pattern += (candidate.weekday(), clock_da(candidate)) != usual
    for rule, examples in sorted(blocked.items(), key=lambda item: -len(item[1])):
        title = rule_title_da(rule)
        others = plural_da(len(examples), "anden tid", "andre tider")
        lines.append(f"{others} udelukkes af «{title}», fx {examples[0]}")
    if allowed:
        shown = ", ".join(when_da(a) for a in allowed[:3])
        more = " …" if len(allowed) > 3 else ""
        others = plural_da(len(allowed), "anden tid", "andre tider")
        lines.append(
            f"{others} overholder alle regler ({shown}{more}); {off_pattern} af dem ligger "
            "uden for seriens faste tid (regelmæssighed), og resten koster mere på kontinuitet, "
            "belastning eller transport."
        )
    else:
        lines.append("Ingen anden tid i perioden overholder alle regler: mødet kan kun ligge her.")
    return lines


def _ordered_with(config: MunicipalityConfig, series_id: str) -> set[str]:
    """The series a series' meetings are ordered against (`Series.after`, both ways): the series
    it comes after, and those that come after it."""
    index = index_of(config)
    own = index.series.get(series_id)
    ordered = {own.after.series} if own is not None and own.after is not None else set()
    return ordered | {s.id for s in config.series if s.after is not None and s.after.series == series_id}


STRUCTURE_TITLE_DA = "Planens opbygning"
"""The verifier's own rule (a plan file's shape), which is no rule of the catalogue."""


def rule_title_da(rule: str) -> str:
    """A verifier rule key as users read it: 'no_double_booking' -> 'Ingen dobbeltbooking'."""
    return STRUCTURE_TITLE_DA if rule == "structure" else rule_by_name(rule).title_da


def meeting_not_free(config: MunicipalityConfig, term: Term, meeting: Meeting) -> str | None:
    """Why one of the meeting's people cannot come then to its site, in Danish (as the slot finder
    says it); a partial attendee need only be free for their part."""
    index = index_of(config)
    venue = Venue(meeting.site, index) if meeting.site in index.sites else None
    for attendee in meeting.attendees:
        joins, leaves = meeting.span_of(attendee)
        start = joins.astimezone(TZ)
        day, first = start.date(), start.hour * 60 + start.minute
        last = first + int((leaves - joins).total_seconds() // 60)
        person = index.people.get(attendee.person)
        away = None if person is None else not_free_da(person, day, first, last, term.start, venue)
        if away is not None:
            return away
    return None
