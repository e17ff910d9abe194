"""People are booked only when they work: their weekdays and hours, minus fixed commitments and absences.

A commitment that takes place at another site also takes the trip to and from it (see
`scheduler.availability.Venue`), so it is pruned here with the commitment itself: for named
people at candidate level, for pool people and optional attendees per seat literal.
"""

from __future__ import annotations

from datetime import date

from scheduler.availability import not_employed_da
from scheduler.context import Occurrence, PlanningContext
from scheduler.danish import date_range_da, join_da, weekday_da
from scheduler.model import Absence, Person
from scheduler.rules import Rule


def _free(ctx: PlanningContext, occ: Occurrence, pid: str, day: date, start: int) -> bool:
    """Free for their part of the meeting (a partial seat needs only that part free), with the
    trip to and from a commitment at another site."""
    offset, minutes = occ.span_of(pid)
    return ctx.is_free(pid, day, start + offset, start + offset + minutes, occ.site)


class Availability(Rule):
    name = "availability"
    level = "hard"
    title_da = "Tilgængelighed"
    explanation_da = (
        "Man bookes kun, når man er på arbejde: egne ugedage og timer (deltid), "
        "uden om faste aftaler og fravær."
    )
    order = 13

    def blocks(self, ctx: PlanningContext, occ: Occurrence, day: date, start: int) -> list[str]:
        return [pid for pid in sorted(occ.fixed_people) if not _free(ctx, occ, pid, day, start)]

    def post(self, ctx: PlanningContext) -> None:
        """People chosen from a pool (and optional attendees) must be free at the chosen time,
        with time to travel to and from a commitment at another site."""
        for occ in ctx.occurrences:
            for pid, attends in occ.attends.items():
                if pid in occ.fixed_people and not ctx.explain:
                    continue  # their busy candidates were pruned already
                busy = [o.var for o in occ.options if not _free(ctx, occ, pid, o.day, o.start)]
                if not busy:
                    continue
                guard = ctx.guard(self.name, pid) if pid not in occ.optional else None
                for var in busy:
                    clause = [var.negated(), attends.negated()]
                    if guard is not None:
                        clause.append(guard.negated())
                    ctx.model.add_bool_or(clause)

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
