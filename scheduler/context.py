"""The model-building context the scheduler hands to every rule.

It holds the CP-SAT model and the decision variables in a shape rules can work with:
occurrences (one per cadence period of a series), their candidate times (`Option`), the seats
to fill with the people who may fill them, and per (occurrence, person) an `attends` literal.
Rules add constraints through it and register penalties by name, so the objective's breakdown
per rule falls out for free.

In explain mode every relaxable constraint is posted under an assumption literal (`guard`), so
CP-SAT can name a small set of rules and people that together make the problem infeasible.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ortools.sat.python import cp_model

from scheduler.availability import Span, Venue, free_spans, site_matters, within
from scheduler.index import index_of
from scheduler.model import (
    Meeting,
    MunicipalityConfig,
    Person,
    Seat,
    Series,
    Site,
    Term,
    Unit,
)
from scheduler.term_dates import TZ, Period, closed_days, closed_days_for, week_monday

MINUTES_PER_DAY = 24 * 60


@dataclass
class Option:
    """One candidate time for an occurrence: a day and a start minute, chosen by `var`."""

    day: date
    start: int
    var: cp_model.IntVar
    day_index: int
    """days since the Monday of the term's first week"""

    @property
    def absolute_start(self) -> int:
        return self.day_index * MINUTES_PER_DAY + self.start


@dataclass
class SeatChoice:
    """A seat of one occurrence and, per person of its pool, the literal 'this person sits here'."""

    key: str
    seat: Seat
    lits: dict[str, cp_model.IntVar]
    stand_ins: dict[str, dict[date, tuple[str, ...]]] = field(default_factory=dict)
    """named substitutes in `lits` beyond the seat's pool: the days they may sit here, and for whom"""

    def may_sit(self, pid: str, day: date) -> bool:
        """Whether the person may hold this seat on that day (a stand-in only on their absence days)."""
        return pid in self.lits and (pid not in self.stand_ins or day in self.stand_ins[pid])

    @property
    def role(self) -> str | None:
        return self.seat.role

    def minutes(self, duration: int) -> int:
        """What the seat's holder attends of a meeting of `duration` minutes: a partial seat its part."""
        return self.seat.part.minutes if self.seat.part is not None else duration


@dataclass
class Occurrence:
    index: int
    series: Series
    period: Period
    uid: str
    site: str
    duration: int
    options: list[Option] = field(default_factory=list)
    seats: list[SeatChoice] = field(default_factory=list)
    optional: dict[str, cp_model.IntVar] = field(default_factory=dict)
    attends: dict[str, cp_model.IntVar] = field(default_factory=dict)
    start: cp_model.IntVar | None = None
    day: cp_model.LinearExpr | None = None
    fixed_people: frozenset[str] = frozenset()
    rooms: dict[str, cp_model.IntVar] = field(default_factory=dict)
    """room id -> 'the meeting is in this room'; empty where rooms are counted, not chosen"""
    present: cp_model.IntVar | bool = True
    """whether the meeting is placed: the constant True when planning every meeting; a literal in
    partial mode (`PlanningContext.partial`), where a meeting that cannot fit may be left out,
    and for a holiday fortnight's meeting (`Period.optional`), which may be skipped"""
    parts: dict[str, tuple[int, int]] = field(default_factory=dict)
    """person -> (offset, minutes) they are there, for people who may sit only in partial seats"""

    def option_vars(self) -> list[cp_model.IntVar]:
        return [o.var for o in self.options]

    def when_placed(self, constraint: cp_model.Constraint) -> cp_model.Constraint:
        """Enforce a constraint about this meeting only if it is placed (a no-op when it always is)."""
        if not isinstance(self.present, bool):
            constraint.only_enforce_if(self.present)
        return constraint

    def placed(self) -> cp_model.LinearExpr | int:
        """1 when the meeting is placed, as a term of a linear expression."""
        return 1 if isinstance(self.present, bool) else self.present

    def placed_lits(self) -> list[cp_model.IntVar]:
        """The presence literal to add to an enforcement list, or none when always placed."""
        return [] if isinstance(self.present, bool) else [self.present]

    def span_of(self, person_id: str) -> tuple[int, int]:
        """(offset, minutes) of the meeting that blocks the person: the whole meeting, or the part
        of a partial seat (the room is still booked for the whole meeting)."""
        return self.parts.get(person_id, (0, self.duration))


@dataclass
class Penalty:
    rule: str
    expr: cp_model.LinearExprT
    """the number of violations (unweighted); the rule's weight multiplies it in the objective"""


@dataclass(frozen=True)
class Booked:
    """A person's part in a meeting that is already placed and stays (a booked Familiemøde)."""

    start: int
    """local minutes after midnight"""
    end: int
    site: str
    uid: str


class PlanningContext:
    """Everything a rule needs to post its constraints, built once per solve.

    `booked` are meetings already placed that the solve must respect but not move: the one-off
    meetings (Familiemøder, follow-ups) of the plan being replanned. They block their people's
    time (travel included), their room and their weekly ceiling, and come back in the plan as they are.
    """

    def __init__(
        self,
        config: MunicipalityConfig,
        term: Term,
        explain: bool = False,
        booked: list[Meeting] | None = None,
        partial: bool = False,
    ):
        self.config = config
        self.term = term
        self.explain = explain
        self.partial = partial
        """each meeting may be left out (`Occurrence.present`); the solve maximises those placed"""
        self.model = cp_model.CpModel()
        self.closed = closed_days(config, term)
        """closed days of the default calendars (helligdage, skoleferie); a series': `closed_for`"""
        self._closed_by_calendars: dict[tuple[str, ...], dict[date, str]] = {}
        self.origin = week_monday(term.start)
        self.index = index_of(config)
        self.people: dict[str, Person] = self.index.people
        self.units: dict[str, Unit] = self.index.units
        self.sites: dict[str, Site] = self.index.sites
        self.occurrences: list[Occurrence] = []
        self.by_series: dict[str, list[Occurrence]] = defaultdict(list)
        self.penalties: list[Penalty] = []
        self.guards: dict[tuple[str, str], cp_model.IntVar] = {}
        self.empty_occurrences: list[Occurrence] = []
        self.memo: dict[Any, Any] = {}
        """per-solve cache for rules (e.g. the patterns regularity found)"""
        self._free: dict[tuple[str, date], tuple[tuple[Span, ...], dict[str, tuple[Span, ...]] | None]] = {}
        """(person, day) -> free spans without a venue, and per site where the site matters (`free_spans`)"""
        self.booked: list[Meeting] = list(booked or [])
        self._booked_by_day: dict[tuple[str, date], list[Booked]] = defaultdict(list)
        for meeting in self.booked:
            start, end = meeting.start.astimezone(TZ), meeting.end.astimezone(TZ)
            end_minute = end.hour * 60 + end.minute if end.date() == start.date() else MINUTES_PER_DAY
            span = Booked(start.hour * 60 + start.minute, end_minute, meeting.site, meeting.uid)
            for attendee in meeting.attendees:
                if attendee.person in self.people:
                    self._booked_by_day[(attendee.person, start.date())].append(span)

    # ----------------------------------------------------------------- helpers for rules

    def day_index(self, day: date) -> int:
        return (day - self.origin).days

    def date_of(self, day_index: int) -> date:
        return self.origin + timedelta(days=day_index)

    def travel_minutes(self, site_a: str, site_b: str) -> int:
        return self.index.travel_minutes(site_a, site_b)

    def closed_for(self, series: Series) -> dict[date, str]:
        """The term's closed days in the calendars the series keeps, computed once per set of
        calendars (`scheduler.term_dates.closed_days_for`)."""
        key = series.calendars
        closed = self._closed_by_calendars.get(key)
        if closed is None:
            closed = self._closed_by_calendars[key] = closed_days_for(self.config, self.term, series)
        return closed

    def venue(self, site: str) -> Venue:
        """A meeting at `site`, as availability asks about it (travel to commitments elsewhere)."""
        return Venue(site, self.index)

    def free_spans(self, person_id: str, day: date, site: str | None = None) -> tuple[Span, ...]:
        """The parts of the day the person can meet (at `site`: leaving time to travel to and
        from commitments elsewhere) (`scheduler.availability`), cached per solve: once per
        (person, day) where no commitment that day has a site, else once per site as well."""
        entry = self._free.get((person_id, day))
        if entry is None:
            person = self.people[person_id]
            matters = site_matters(person, day, self.term.start)
            by_site: dict[str, tuple[Span, ...]] | None = {} if matters else None
            entry = self._free[(person_id, day)] = (free_spans(person, day, self.term.start), by_site)
        spans, by_site = entry
        if by_site is None or site is None:
            return spans
        at_site = by_site.get(site)
        if at_site is None:
            person = self.people[person_id]
            at_site = by_site[site] = free_spans(person, day, self.term.start, self.venue(site))
        return at_site

    def is_free(self, person_id: str, day: date, start: int, end: int, site: str | None = None) -> bool:
        """Whether the person can meet from `start` to `end` that day (working hours, commitments
        with the trip to them from `site`, absences); booked meetings are `clashes_with_booked`."""
        return within(self.free_spans(person_id, day, site), start, end)

    def booked_for(self, person_id: str, day: date) -> list[Booked]:
        """The person's booked meetings on that day (see the class docstring)."""
        return self._booked_by_day.get((person_id, day), [])

    def span_of(self, meeting: Meeting) -> tuple[int, int]:
        """A placed meeting's start and end in model minutes (since the term's first Monday)."""
        start = meeting.start.astimezone(TZ)
        at = self.day_index(start.date()) * MINUTES_PER_DAY + start.hour * 60 + start.minute
        return at, at + int((meeting.end - meeting.start).total_seconds() // 60)

    def clashes_with_booked(self, person_id: str, day: date, start: int, end: int, site: str) -> bool:
        """Whether a meeting at `site` from `start` to `end` leaves no time to travel to or from one
        of the person's booked meetings that day."""
        return any(
            start < b.end + self.travel_minutes(b.site, site)
            and b.start < end + self.travel_minutes(site, b.site)
            for b in self.booked_for(person_id, day)
        )

    def weight(self, rule_name: str, default: int) -> int:
        return self.config.weights.get(rule_name, default)

    def occurrences_of(self, person_id: str) -> list[Occurrence]:
        """Occurrences the person might attend, in time order of their periods."""
        return self._by_person.get(person_id, [])

    def index_people(self) -> None:
        by_person: dict[str, list[Occurrence]] = defaultdict(list)
        for occ in self.occurrences:
            for pid in occ.attends:
                by_person[pid].append(occ)
        self._by_person = dict(by_person)

    # ----------------------------------------------------------------- guarded constraints

    def guard(self, rule: str, subject: str) -> cp_model.IntVar | None:
        """The assumption literal for (rule, subject) in explain mode; None when planning."""
        if not self.explain:
            return None
        key = (rule, subject)
        if key not in self.guards:
            self.guards[key] = self.model.new_bool_var(f"guard[{rule}|{subject}]")
        return self.guards[key]

    def enforce(self, constraint: cp_model.Constraint, rule: str, subject: str) -> None:
        """Make a constraint conditional on its guard, so explanations can relax it."""
        lit = self.guard(rule, subject)
        if lit is not None:
            constraint.only_enforce_if(lit)

    def penalize(self, rule: str, expr: cp_model.LinearExprT) -> None:
        self.penalties.append(Penalty(rule, expr))
