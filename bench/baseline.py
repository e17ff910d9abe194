"""Hand planning as district leaders do it today, as a baseline the optimiser must beat.

Each district in turn (config order; a series belongs to its unit's first district, series of
units without one come last), each series in config order: pick the pattern (weekday, start,
week of the period) that fits the most periods given what is already booked, preferred weekdays
and starts first on a tie; then place each meeting at the pattern's time if it fits, else at the
first (day, start) of its period that does. Seats go to the first free member of their pool (the
seat's earlier holder first), rooms to the first free room; optional people come where they are
free. Nothing placed is ever moved; a
meeting that does not fit is left out (a PARTIAL plan, reason "ingen ledig tid").

Every hard rule the verifier checks is kept on this module's own bookkeeping, from the shared
homes of the facts (`scheduler.availability`, `scheduler.index`, `scheduler.term_dates`,
`Cadence.gap_bounds`), never from the solver's model. Deterministic: no randomness, no clock.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from scheduler.availability import RoomUse, Venue, commitment_room_uses, is_free
from scheduler.build import meeting_uid
from scheduler.config import seat_pool, series_title, stand_ins
from scheduler.index import ConfigIndex, index_of
from scheduler.model import (
    OPTIONAL_SEAT,
    Attendee,
    CadenceKind,
    Meeting,
    MunicipalityConfig,
    Plan,
    PlanStatus,
    Room,
    Seat,
    Series,
    Term,
    UnplacedMeeting,
    Weekday,
)
from scheduler.solve import plan_stats, skipped_periods
from scheduler.term_dates import (
    Pattern,
    Period,
    closed_days_for,
    local_datetime,
    pattern_of,
    phase_of,
    series_periods,
)

NO_TIME_DA = "ingen ledig tid"
"""why the baseline leaves a meeting out: no free time in its period, given what it booked first"""


@dataclass(frozen=True)
class _Spot:
    """A meeting at one time: who sits in which seat, and the room."""

    day: date
    start: int
    seats: tuple[tuple[str, tuple[str, ...]], ...]
    room: str


@dataclass
class _Ledger:
    """What is booked so far: people's times per day (with the site, for travel), rooms, weeks."""

    people: defaultdict[tuple[str, date], list[tuple[int, int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    rooms: defaultdict[tuple[str, str, date], list[tuple[int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    weekly: Counter[tuple[str, int, int]] = field(default_factory=Counter)


class _SeriesPlanner:
    """One series planned into the shared ledger."""

    def __init__(self, base: _Baseline, series: Series):
        self.base = base
        self.series = series
        config, term = base.config, base.term
        self.closed = closed_days_for(config, term, series)
        self.periods = series_periods(series, term, self.closed)
        self.duration = series.duration_minutes
        self.seats = series.seats()
        self.pools = {key: seat_pool(config, series, seat) for key, seat in self.seats}
        self.grid = base.index.start_grid(series)
        self.holders: dict[str, Counter[str]] = defaultdict(Counter)
        """seat key -> how often each person held it in this series"""
        self.last: tuple[date, int] | None = None
        """(day, period index) of the series' last placed meeting"""

    # ------------------------------------------------------------------ candidate times

    def starts_on(self, day: date) -> list[int]:
        window = self.series.window_on(Weekday.of(day))
        if window is None:
            return []
        return [s for s in self.grid if window.start <= s and s + self.duration <= window.end]

    def patterns(self) -> list[Pattern]:
        """Every pattern the series could keep, preferred weekdays and starts first."""
        series = self.series
        preferred = [d for d in series.preferred_weekdays if d in series.weekdays]
        weekdays = [*preferred, *(d for d in series.weekdays if d not in preferred)]
        starts = [s for s in series.preferred_starts if s in self.grid]
        starts += [s for s in self.grid if s not in starts]
        kind = series.cadence.kind
        if kind == CadenceKind.daily:
            return [(0, 0, s) for s in starts]
        phases = sorted({phase_of(d, p, kind) for p in self.periods for d in p.days}) or [0]
        return [(phase, wd.number, s) for phase in phases for wd in weekdays for s in starts]

    def pattern_days(self, period: Period, pattern: Pattern) -> list[date]:
        kind = self.series.cadence.kind
        if kind == CadenceKind.daily:
            return list(period.days)
        return [d for d in period.days if pattern_of(d, pattern[2], period, kind) == pattern]

    # ------------------------------------------------------------------ fitting

    def gap_ok(self, period: Period, day: date) -> bool:
        if self.last is None:
            return True
        last_day, last_index = self.last
        beside_holiday = bool(period.holidays or self.periods[last_index].holidays)
        low, high = self.series.cadence.gap_bounds(beside_holiday)
        gap = (day - last_day).days
        if gap < low:
            return False
        return high is None or period.index - last_index != 1 or gap <= high

    def fit(self, period: Period, day: date, start: int) -> _Spot | None:
        """The seats and room of a meeting at this time, or None where a hard rule forbids it."""
        base = self.base
        site = base.index.site_of(self.series, period.index)
        assert site is not None  # the config check rejects a series without a site
        room = base.free_room(self.series, site, day, start, start + self.duration)
        if room is None:
            return None
        taken: set[str] = set()
        chosen: list[tuple[str, tuple[str, ...]]] = []
        for key, seat in self.seats:
            join, leave = seat.part.span(self.duration) if seat.part else (0, self.duration)
            people = [p for p in self.candidates(key, seat, day) if p not in taken]
            free = [p for p in people if base.person_free(p, day, start + join, start + leave, site)]
            if len(free) < seat.count:
                return None
            chosen.append((key, tuple(free[: seat.count])))
            taken.update(free[: seat.count])
        return _Spot(day, start, tuple(chosen), room)

    def candidates(self, key: str, seat: Seat, day: date) -> list[str]:
        """Who to ask for a seat, in order: its earlier holder first (a rota: the fewest turns
        first), then the pool in config order, and a named substitute on their absence days."""
        pool = self.pools[key]
        extra = stand_ins(self.base.config, pool, seat.role, [day])
        order = [*pool, *(p for p in extra if day in extra[p])]
        held = self.holders[key]
        if seat.rota:
            return sorted(order, key=lambda p: held[p])
        return sorted(order, key=lambda p: -held[p])

    def first_fit(self, period: Period, pattern: Pattern | None) -> _Spot | None:
        """The pattern's time if it fits, else the first fitting (day, start) of the period;
        a holiday fortnight is held only in the pattern's week, else skipped."""
        options: list[tuple[date, int]] = []
        if pattern is not None:
            options += [(d, pattern[2]) for d in self.pattern_days(period, pattern)]
        if not period.optional or pattern is None:
            for day in period.days:
                starts = self.starts_on(day)
                if pattern is not None and pattern[2] in starts:
                    starts = [pattern[2], *(s for s in starts if s != pattern[2])]
                options += [(day, s) for s in starts]
        elif pattern is not None:
            week = [d for d in period.days if phase_of(d, period, self.series.cadence.kind) == pattern[0]]
            options += [(d, s) for d in week for s in self.starts_on(d)]
        for day, start in options:
            if start in self.starts_on(day) and self.gap_ok(period, day):
                spot = self.fit(period, day, start)
                if spot is not None:
                    return spot
        return None

    def choose_pattern(self) -> Pattern | None:
        """The pattern that fits the most periods now; the first such (preferences first).

        A period where the pattern's day is closed (a helligdag, a school holiday) does not count
        against it: a leader keeps "Thursdays" and moves the Kristi himmelfart week, so only a
        clash with what is booked, or someone away, makes a pattern worse."""
        best: tuple[int, Pattern] | None = None
        open_periods = sum(1 for p in self.periods if p.days)
        for pattern in self.patterns():
            fits = 0
            for period in self.periods:
                days = self.pattern_days(period, pattern)
                if not days:
                    fits += bool(period.days)  # the pattern's day is closed there: no one's fault
                elif any(pattern[2] in self.starts_on(d) and self.fit(period, d, pattern[2]) for d in days):
                    fits += 1
            if best is None or fits > best[0]:
                best = (fits, pattern)
            if fits == open_periods:
                break  # fits every period: nothing can beat it
        return best[1] if best is not None else None

    # ------------------------------------------------------------------ the series' meetings

    def plan(self) -> None:
        base = self.base
        pattern = self.choose_pattern()
        for period in self.periods:
            if not period.days:
                continue  # skipped: listed by `skipped_periods`
            spot = self.first_fit(period, pattern)
            if spot is None:
                if not period.optional:  # a holiday fortnight left out is skipped, not missing
                    base.leave_out(self.series, period)
                continue
            base.book(self.series, period, spot)
            for key, people in spot.seats:
                self.holders[key].update(people)
            self.last = (spot.day, period.index)


class _Baseline:
    """The shared state of one baseline plan: the ledger and the plan's parts."""

    def __init__(self, config: MunicipalityConfig, term: Term):
        self.config = config
        self.term = term
        self.index: ConfigIndex = index_of(config)
        self.ledger = _Ledger()
        uses = commitment_room_uses(config, term.start, term.end, term.start)
        self.committed: dict[tuple[str, str, date], list[RoomUse]] = defaultdict(list)
        for (site, room), spans in uses.items():
            for use in spans:
                self.committed[(site, room, use[0])].append(use)
        self.meetings: list[Meeting] = []
        self.unplaced: list[UnplacedMeeting] = []

    def person_free(self, pid: str, day: date, start: int, end: int, site: str) -> bool:
        """Available (`scheduler.availability`), clear of their booked meetings with the travel
        between sites, and under their weekly ceiling."""
        person = self.index.people[pid]
        if not is_free(person, day, start, end, self.term.start, Venue(site, self.index)):
            return False
        for b_start, b_end, b_site in self.ledger.people[(pid, day)]:
            travel = self.index.travel_minutes(b_site, site)
            if start < b_end + travel and b_start < end + travel:
                return False
        limit = person.max_meetings_per_week
        iso = day.isocalendar()
        return limit is None or self.ledger.weekly[(pid, iso.year, iso.week)] < limit

    def free_room(self, series: Series, site: str, day: date, start: int, end: int) -> str | None:
        """The series' own room, else its preferred rooms, else the site's rooms in order: the
        first that seats the meeting and is free (of meetings and of commitments held there)."""
        rooms = self.index.rooms[site]
        own = self.index.room_at(series, site)
        if own is not None:
            order: list[Room] = [rooms[own]]
        else:
            preferred = self.index.preferred_rooms_at(series, site)
            order = [rooms[r] for r in preferred] + [r for r in rooms.values() if r.id not in preferred]
        people = series.headcount()
        for room in order:
            if room.capacity is not None and people > room.capacity:
                continue
            if any(start < e and s < end for s, e in self.ledger.rooms[(site, room.id, day)]):
                continue
            if any(start < e and s < end for _, s, e, _ in self.committed[(site, room.id, day)]):
                continue
            return room.id
        return None

    def book(self, series: Series, period: Period, spot: _Spot) -> None:
        site = self.index.site_of(series, period.index)
        assert site is not None
        duration = series.duration_minutes
        seats = dict(series.seats())
        attendees: list[Attendee] = []
        iso = spot.day.isocalendar()
        for key, people in spot.seats:
            seat = seats[key]
            join, leave = seat.part.span(duration) if seat.part else (None, None)
            for pid in people:
                role = seat.role or self.index.people[pid].roles[0]
                attendees.append(
                    Attendee(
                        person=pid,
                        role=role,
                        required=True,
                        seat=key,
                        joins_after_minutes=join,
                        leaves_after_minutes=leave,
                    )
                )
                a, b = (join or 0), (duration if leave is None else leave)
                self.ledger.people[(pid, spot.day)].append((spot.start + a, spot.start + b, site))
                self.ledger.weekly[(pid, iso.year, iso.week)] += 1
        seated = {a.person for a in attendees}
        for pid in series.optional_people:  # invited as always; they come where they are free
            if pid in seated or not self.person_free(pid, spot.day, spot.start, spot.start + duration, site):
                continue
            role = self.index.people[pid].roles[0]
            attendees.append(Attendee(person=pid, role=role, required=False, seat=OPTIONAL_SEAT))
            self.ledger.people[(pid, spot.day)].append((spot.start, spot.start + duration, site))
            self.ledger.weekly[(pid, iso.year, iso.week)] += 1
        self.ledger.rooms[(site, spot.room, spot.day)].append((spot.start, spot.start + duration))
        self.meetings.append(
            Meeting(
                uid=meeting_uid(series, self.term, period.index),
                series=series.id,
                occurrence=period.index,
                title=series_title(self.config, series),
                unit=series.unit,
                site=site,
                start=local_datetime(spot.day, spot.start),
                end=local_datetime(spot.day, spot.start + duration),
                attendees=attendees,
                room=spot.room,
            )
        )

    def leave_out(self, series: Series, period: Period) -> None:
        title = series_title(self.config, series)
        self.unplaced.append(
            UnplacedMeeting(
                series=series.id,
                title=title,
                occurrence=period.index,
                period_start=period.start,
                period_end=period.end,
                reason_da=[
                    f"{title} ({period.start.isoformat()} til {period.end.isoformat()}): {NO_TIME_DA}"
                ],
            )
        )


def series_order(config: MunicipalityConfig, term: Term) -> list[Series]:
    """The active series district by district, in config order; series of units without a
    district come last."""
    index = index_of(config)
    rank = {d.id: i for i, d in enumerate(config.districts)}

    def district_rank(series: Series) -> int:
        unit = index.units.get(series.unit)
        if unit is None or not unit.districts:
            return len(rank)
        return rank.get(unit.districts[0], len(rank))

    return sorted(index.active_series(term), key=district_rank)  # stable: config order within


def first_fit_plan(config: MunicipalityConfig, term_id: str | None = None) -> Plan:
    """The hand-planning baseline's plan of the term (see the module docstring)."""
    index = index_of(config)
    term = index.term(term_id)
    base = _Baseline(config, term)
    for series in series_order(config, term):
        _SeriesPlanner(base, series).plan()
    meetings = sorted(base.meetings, key=lambda m: (m.start, m.uid))
    return Plan(
        municipality=config.municipality,
        term=term.id,
        status=PlanStatus.PARTIAL if base.unplaced else PlanStatus.FEASIBLE,
        solve_seconds=0,
        stats=plan_stats(config, term, meetings),
        meetings=meetings,
        skipped=skipped_periods(config, term, {(m.series, m.occurrence) for m in meetings}),
        unplaced=sorted(base.unplaced, key=lambda u: (u.period_start, u.series, u.occurrence)),
        explanation=[],
    )
