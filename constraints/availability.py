"""People are booked only when they work: their weekdays and hours, minus fixed commitments and absences.

A commitment that takes place at another site also takes the trip to and from it (see
`scheduler.availability.Venue`), so it is pruned here with the commitment itself: for named
people at candidate level, for pool people and optional attendees per seat literal.
"""

from __future__ import annotations

from datetime import date

from scheduler.availability import Span, not_employed_da, within
from scheduler.context import Occurrence, PlanningContext
from scheduler.danish import date_range_da, join_da, weekday_da
from scheduler.model import Absence, Person
from scheduler.rules import Rule

FixedOn = list[tuple[str, int, int, tuple[Span, ...]]]


def _fixed_on(ctx: PlanningContext, occ: Occurrence, day: date) -> FixedOn:
    """Per named person of the occurrence (sorted): their part of the meeting (offset, minutes; a
    partial seat needs only that part free) and their free spans that day at its site, with the
    trip to and from a commitment elsewhere. Kept for the last (occurrence, day) asked about, since
    an explanation asks `blocks` once per candidate start, day by day (planning asks
    `allowed_starts` once per day)."""
    last = ctx.memo.get(_FIXED_KEY)
    if last is not None and last[0] is occ and last[1] == day:
        return last[2]
    entries = [
        (pid, *occ.span_of(pid), ctx.free_spans(pid, day, occ.site)) for pid in sorted(occ.fixed_people)
    ]
    ctx.memo[_FIXED_KEY] = (occ, day, entries)
    return entries


_FIXED_KEY = "availability.fixed_on"


class Availability(Rule):
    name = "availability"
    level = "hard"
    local = True
    title_da = "Tilgængelighed"
    explanation_da = (
        "Man bookes kun, når man er på arbejde: egne ugedage og timer (deltid), "
        "uden om faste aftaler og fravær."
    )
    order = 13

    def blocks(self, ctx: PlanningContext, occ: Occurrence, day: date, start: int) -> list[str]:
        return [
            pid
            for pid, offset, minutes, spans in _fixed_on(ctx, occ, day)
            if not within(spans, start + offset, start + offset + minutes)
        ]

    def allowed_starts(
        self, ctx: PlanningContext, occ: Occurrence, day: date, starts: list[int]
    ) -> list[int]:
        fixed = _fixed_on(ctx, occ, day)
        return [
            start
            for start in starts
            if all(
                within(spans, start + offset, start + offset + minutes) for _, offset, minutes, spans in fixed
            )
        ]

    def post(self, ctx: PlanningContext) -> None:
        """People chosen from a pool (and optional attendees) must be free at the chosen time,
        with time to travel to and from a commitment at another site."""
        for occ in ctx.occurrences:
            for pid, attends in occ.attends.items():
                if pid in occ.fixed_people and not ctx.explain:
                    continue  # their busy candidates were pruned already
                offset, minutes = occ.span_of(pid)
                busy = []
                spans_day: date | None = None
                spans: tuple[Span, ...] = ()
                for option in occ.options:  # made day by day: the spans once per day
                    if option.day != spans_day:
                        spans_day, spans = option.day, ctx.free_spans(pid, option.day, occ.site)
                    begins = option.start + offset
                    if not within(spans, begins, begins + minutes):
                        busy.append(option.var)
                if not busy:
                    continue
                guard = ctx.guard(self.name, pid) if pid not in occ.optional else None
                away = [attends.negated()] if guard is None else [attends.negated(), guard.negated()]
                for var in busy:
                    ctx.model.add_bool_or([var.negated(), *away])

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        person = ctx.people[subject]
        covering = _absence_covering_the_meetings(ctx, person)
        if covering is not None:  # the one fact that matters: say only that
            return f"{person.name} er fraværende {date_range_da(covering.start, covering.end)}."
        by_hours: dict[str, list[str]] = {}
        for weekday, hours in person.working_hours.items():
            by_hours.setdefault(str(hours), []).append(weekday_da(weekday))
        if not by_hours:
            text = f"{person.name} har ingen arbejdsdage"
        else:
            parts = [f"{join_da(days)} {hours}" for hours, days in by_hours.items()]
            text = f"{person.name} arbejder kun {join_da(parts)}"
        extras = [
            f"{c.title} {weekday_da(c.weekday)} {c.time}"
            + (f" på {ctx.index.site_name(c.site)}" if c.site else "")
            for c in person.commitments
        ]
        if extras:
            text += f" og har faste aftaler ({join_da(extras)})"
        employment = [
            reason
            for reason in (not_employed_da(person, ctx.term.start), not_employed_da(person, ctx.term.end))
            if reason is not None
        ]
        if employment:
            text += " og " + join_da([reason.removeprefix(f"{person.name} ") for reason in employment])
        absences = [
            date_range_da(a.start, a.end)
            for a in person.absences
            if a.end >= ctx.term.start and a.start <= ctx.term.end
        ]
        if absences:
            text += f" og er fraværende {join_da(absences)}"
        return text + "."


def _absence_covering_the_meetings(ctx: PlanningContext, person: Person) -> Absence | None:
    """A whole-day absence spanning every period explained (one meeting's, when a left-out meeting
    is explained on its own), or None: then the working week, commitments and absences all count."""
    occurrences = ctx.occurrences + ctx.empty_occurrences
    if not occurrences:
        return None
    days = [day for o in occurrences for day in (o.period.days or (o.period.start, o.period.end))]
    first, last = min(days), max(days)  # the days the meetings could be on
    return next(
        (a for a in person.absences if a.time is None and a.start <= first and last <= a.end),
        None,
    )


RULE = Availability()
