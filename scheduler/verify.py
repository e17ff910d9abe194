"""An independent check of a plan against the config: every hard rule, in plain Python.

The solver is trusted only as far as this module agrees with it. Nothing here imports CP-SAT or
the constraint modules: the rules are re-derived from the config, so a bug in how the model is
built shows up as a violation instead of a silently wrong calendar. It runs after every solve
and in the tests, so it groups work by person, site and day rather than comparing all meetings
with each other (plans have up to ~10 000 meetings).

Availability (employment dates, working hours, commitments every N weeks, absences) is re-derived
here on purpose: it is the independent twin of `scheduler.availability`, which the planner, the
greedy start, the slot finder and the web's "why here" share; keep it separate, so the two can
disagree in a test. So is who may stand in for an absent person (`absences[].substitute`).
Plain lookups of the config's meaning (a term by id, travel minutes between two sites, a
series' site, whether it runs this term) come from `scheduler.index`, as everywhere else.

Each violation is reported under exactly one rule where possible: a meeting on a holiday is a
`holidays` problem, not also a `cadence` one, and two overlapping meetings at different sites are
a `no_double_booking` problem, not also a `travel_time` one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from scheduler.config import seat_pool, series_title
from scheduler.danish import genitive_da, join_da, plural_da, short_date_da, weekday_da
from scheduler.index import index_of, runs_in
from scheduler.model import (
    HELLIGDAGE,
    PLANNED,
    SKOLEFERIE,
    Commitment,
    Meeting,
    MunicipalityConfig,
    Person,
    Plan,
    PlanStatus,
    Series,
    SeriesType,
    Site,
    Term,
    TimeRange,
    UnplacedMeeting,
    Weekday,
    format_clock,
)
from scheduler.term_dates import (
    TZ,
    Period,
    closed_days,
    closed_days_for,
    closed_reason,
    local_datetime,
    series_periods,
    week_monday,
)

RULES: tuple[str, ...] = (
    "structure",
    "holidays",
    "allowed_weekdays",
    "time_window",
    "cadence",
    "after_series",
    "seats",
    "one_seat_per_person",
    "availability",
    "no_double_booking",
    "travel_time",
    "rooms",
    "max_meetings_per_week",
)
"""The hard rules this module checks, in the order violations are reported."""

_RULE_ORDER = {rule: i for i, rule in enumerate(RULES)}

OPTIONAL_SEAT = "optional"


@dataclass(frozen=True)
class Violation:
    """One broken hard rule: which rule (its key), a concrete Danish message naming people, series
    and dates as users know them (never a uid), and the uids of the meetings involved."""

    rule: str
    message: str
    meetings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Placed:
    """A meeting with its times resolved once: local wall clock for rules, UTC for overlaps."""

    index: int
    """position in plan.meetings; uids may be duplicated, so this is the identity"""
    meeting: Meeting
    utc_start: datetime
    utc_end: datetime
    day: date
    """local (Copenhagen) date of the start"""
    start_min: int
    """local minutes after midnight"""
    end_min: int
    """local minutes after midnight of `day` (beyond 1440 if the meeting ran past midnight)"""

    @property
    def uid(self) -> str:
        return self.meeting.uid

    @property
    def weekday(self) -> Weekday:
        return Weekday.of(self.day)

    def when(self) -> str:
        """'tirsdag 25/3 kl. 12:30-14:30', local time, for messages."""
        return f"{_day(self.day)} kl. {format_clock(self.start_min)}-{_clock(self.end_min)}"

    def named(self) -> str:
        """'«Koordineringskonference, skole, Nordskolen» tirsdag 25/3 kl. 12:30-14:30': the meeting
        as people know it (its title and time), never its uid."""
        return f"«{self.meeting.title}» {self.when()}"


def _day(day: date) -> str:
    """'tirsdag 25/3'."""
    return f"{weekday_da(day)} {short_date_da(day)}"


def _days(first: date, last: date) -> str:
    """'25/3-30/3 2025', or '25/3 2025' for one day."""
    if first == last:
        return f"{short_date_da(first)} {first.year}"
    return f"{short_date_da(first)}-{short_date_da(last)} {last.year}"


def _clock(minutes: int) -> str:
    """Like format_clock, but marks a time on a later day instead of printing '25:00'."""
    if minutes < 0 or minutes >= 24 * 60:
        days, rest = divmod(minutes, 24 * 60)
        return f"{format_clock(rest)} ({days:+d} dag)"
    return format_clock(minutes)


def _is_aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


def _to_local(value: datetime) -> datetime:
    """Aware datetimes are converted; a naive one (a structure error) is read as wall clock."""
    if _is_aware(value):
        return value.astimezone(TZ)
    return local_datetime(value.date(), value.hour * 60 + value.minute).replace(
        second=value.second, microsecond=value.microsecond
    )


def _place(index: int, meeting: Meeting) -> _Placed:
    start = _to_local(meeting.start)
    end = _to_local(meeting.end)
    day = start.date()
    start_min = start.hour * 60 + start.minute
    end_min = (end.date() - day).days * 24 * 60 + end.hour * 60 + end.minute
    return _Placed(
        index=index,
        meeting=meeting,
        utc_start=start.astimezone(UTC),
        utc_end=end.astimezone(UTC),
        day=day,
        start_min=start_min,
        end_min=end_min,
    )


def _inside(placed: _Placed, span: TimeRange) -> bool:
    return span.start <= placed.start_min and placed.end_min <= span.end


def _overlaps(placed: _Placed, span: TimeRange) -> bool:
    """Strict overlap: a meeting ending at 13:00 does not clash with something starting at 13:00."""
    return placed.start_min < span.end and span.start < placed.end_min


def _minutes(span: tuple[int | None, int | None] | None) -> str:
    """'minut 75-120' for a part of a meeting, 'hele mødet' for none."""
    if span is None or span == (None, None):
        return "hele mødet"
    return f"minut {span[0] or 0}-{span[1] if span[1] is not None else 'slut'}"


def verify_plan(config: MunicipalityConfig, plan: Plan) -> list[Violation]:
    """Every hard-rule violation in the plan's meetings, grouped by rule (see RULES)."""
    if not plan.meetings and plan.status not in PLANNED:
        return []  # no plan was found; there is nothing to check
    term = index_of(config).terms.get(plan.term)
    if term is None:
        known = ", ".join(t.id for t in config.terms)
        return [
            Violation(
                "structure",
                f"planen er for terminen '{plan.term}', som konfigurationen ikke har ({known})",
                tuple(m.uid for m in plan.meetings),
            )
        ]
    return _Verifier(config, plan, term).run()


def verify_saved_plan(config: MunicipalityConfig, plan: Plan) -> list[Violation]:
    """`verify_plan`, and first: a plan with no meetings for a term whose series should meet.

    `verify_plan` passes an unsolved plan without meetings (the solver's own answer, nothing to
    check), but a saved plan.json is asked whether it can be used: one without meetings is not
    a plan that keeps the rules, whatever its status says.
    """
    return _no_meetings(config, plan) + verify_plan(config, plan)


def _no_meetings(config: MunicipalityConfig, plan: Plan) -> list[Violation]:
    term = index_of(config).terms.get(plan.term)
    if plan.meetings or term is None:
        return []
    meeting_series = [
        series
        for series in config.series
        if runs_in(series, term)
        and any(period.days for period in series_periods(series, term, closed_days_for(config, term, series)))
    ]
    if not meeting_series:
        return []
    count = len(meeting_series)
    noun = "serie" if count == 1 else "serier"
    return [Violation("structure", f"planen har ingen møder, men terminen har {count} {noun}")]


def format_violations(violations: Iterable[Violation]) -> str:
    """One '- message' line per violation (Danish, naming people and meetings), for logs and for
    errors users read (a booking that would break a rule)."""
    return "\n".join(f"- {v.message}" for v in violations)


class _Verifier:
    """Holds the lookups shared by the rule checks of one plan."""

    def __init__(self, config: MunicipalityConfig, plan: Plan, term: Term):
        self.config = config
        self.plan = plan
        self.term = term
        self.series = {s.id: s for s in config.series}
        self.units = {u.id: u for u in config.units}
        self.sites = {s.id: s for s in config.sites}
        self.staff = {p.id: p for p in config.staff}
        self.closed = closed_days(config, term)
        self._closed: dict[tuple[str, ...], dict[date, str]] = {}
        self.slot = config.planning.slot_minutes
        self.travel_minutes = index_of(config).travel_minutes
        self.placed = [_place(i, m) for i, m in enumerate(plan.meetings)]
        self.out: list[Violation] = []
        self._pools: dict[tuple[str, str], frozenset[str]] = {}
        self.unplaced: dict[str, dict[int, UnplacedMeeting]] = defaultdict(dict)
        """series -> period index -> the plan's entry for a meeting it could not place"""
        for entry in plan.unplaced:
            self.unplaced[entry.series][entry.occurrence] = entry
        self._parts: dict[str, dict[str, tuple[int, int]]] = {}

    def add(self, rule: str, message: str, *meetings: _Placed) -> None:
        self.out.append(Violation(rule, message, tuple(p.uid for p in meetings)))

    def who(self, person_id: str) -> str:
        """A person by their name; one the config lacks by what the plan calls them."""
        person = self.staff.get(person_id)
        return person.name if person is not None else f"'{person_id}' (ikke i staff)"

    def title(self, series: Series) -> str:
        """'«Koordineringskonference, skole, Nordskolen»'."""
        return f"«{series_title(self.config, series)}»"

    def site_name(self, site_id: str) -> str:
        site = self.sites.get(site_id)
        return site.name if site is not None else f"'{site_id}'"

    def room_name(self, site: Site, room_id: str) -> str:
        room = next((r for r in site.room_list if r.id == room_id), None)
        return (room.name or room.id) if room is not None else f"'{room_id}'"

    def seat_da(self, series: Series, key: str) -> str:
        """'mødeleder', 'referent', 'påkrævet deltager 2', 'rolle 1 (psykolog)', 'turnus'."""
        if key == "chair":
            return "mødeleder"
        if key == "minute_taker":
            return "referent"
        if key == "rota":
            return "turnus"
        if key.startswith("required_people["):
            return f"fast deltager {int(key[16:-1]) + 1}"
        if key.startswith("required_roles["):
            j = int(key[15:-1])
            role = series.required_roles[j].role if j < len(series.required_roles) else None
            return f"rollepladsen {j + 1}" + (f" ({role})" if role else "")
        if key == OPTIONAL_SEAT:
            return "valgfri deltager"
        return f"'{key}'"

    def run(self) -> list[Violation]:
        seen_uids: set[str] = set()
        for placed in self.placed:
            uid = placed.uid
            if uid in seen_uids:
                self.add("structure", f"{placed.named()} står to gange i planen (samme id)", placed)
            seen_uids.add(uid)
            if placed.meeting.one_off:
                self._check_one_off(placed)
                continue
            series = self.series.get(placed.meeting.series)
            if series is None:
                self.add(
                    "structure",
                    f"{placed.named()} hører til serien '{placed.meeting.series}', som konfigurationen "
                    "ikke har",
                    placed,
                )
                self._check_times(placed, None)
                continue
            self._check_structure(placed, series)
            self._check_times(placed, series)
            self._check_seats(placed, series)
        self._check_unplaced_list()
        self._check_cadence()
        self._check_after()
        self._check_facilitators()
        self._check_people()
        self._check_rooms()
        self.out.sort(key=lambda v: _RULE_ORDER[v.rule])
        return self.out

    # ------------------------------------------------------------------ one meeting at a time

    def runs_this_term(self, series: Series) -> bool:
        return runs_in(series, self.term)

    def _check_structure(self, placed: _Placed, series: Series) -> None:
        meeting = placed.meeting
        if not self.runs_this_term(series):
            self.add(
                "structure",
                f"{placed.named()}: serien {self.title(series)} holdes ikke i terminen {self.term.name} "
                f"(kun i {', '.join(series.terms or [])})",
                placed,
            )
        if meeting.unit != series.unit:
            index = index_of(self.config)
            self.add(
                "structure",
                f"{placed.named()} er for enheden {index.unit_name(meeting.unit)}, men serien "
                f"{self.title(series)} hører til {index.unit_name(series.unit)}",
                placed,
            )
        index = index_of(self.config)
        site = index.site_of(series, meeting.occurrence)
        if site is not None and meeting.site != site:
            sites = index.series_sites(series)
            turns = ""
            if len(sites) > 1:
                names = join_da([self.site_name(x) for x in sites])
                turns = f" i periode {meeting.occurrence + 1} (den skifter mellem {names})"
            self.add(
                "structure",
                f"{placed.named()} er på {self.site_name(meeting.site)}, men serien {self.title(series)} "
                f"holdes på {self.site_name(site)}{turns}",
                placed,
            )
        seconds = (placed.utc_end - placed.utc_start).total_seconds()
        if seconds != series.duration_minutes * 60:
            self.add(
                "structure",
                f"{placed.named()} varer {seconds / 60:g} minutter, men seriens møder varer "
                f"{series.duration_minutes}",
                placed,
            )

    def _check_times(self, placed: _Placed, series: Series | None) -> None:
        """Time zone, slot grid, term, holidays, weekday and time window of one meeting."""
        meeting = placed.meeting
        for name, value in (("start", meeting.start), ("end", meeting.end)):
            if not _is_aware(value):
                self.add(
                    "structure",
                    f"{placed.named()}: {name} {value.isoformat()} har ingen tidszone (fx +01:00)",
                    placed,
                )
        local_start = _to_local(meeting.start)
        if placed.start_min % self.slot or local_start.second or local_start.microsecond:
            self.add(
                "structure",
                f"{placed.named()} begynder kl. {local_start.strftime('%H:%M:%S')}, som ikke passer "
                f"til tidsrasteret på {self.slot} minutter",
                placed,
            )
        if not self.term.start <= placed.day <= self.term.end:
            self.add(
                "structure",
                f"{placed.named()} ligger uden for terminen {self.term.name} "
                f"({_days(self.term.start, self.term.end)})",
                placed,
            )
        closed = self.closed if series is None else self._closed_for(series)
        if placed.day in closed:
            self.add(
                "holidays",
                f"{placed.named()} ligger på en lukket dag: {closed[placed.day]}",
                placed,
            )
        if series is None:
            return
        weekday = placed.weekday
        window = series.window_on(weekday)
        if window is None:
            allowed = join_da([weekday_da(d) for d in series.weekdays])
            self.add(
                "allowed_weekdays",
                f"{placed.named()} ligger om {weekday_da(weekday)}en, men serien {self.title(series)} "
                f"holdes kun {allowed}",
                placed,
            )
        elif not _inside(placed, window):
            self.add(
                "time_window",
                f"{placed.named()} ligger uden for seriens tidsrum {window} om {weekday_da(weekday)}en",
                placed,
            )

    def _closed_for(self, series: Series) -> dict[date, str]:
        """The closed days of the calendars the series keeps, re-derived here from the config's
        fields (`observes`, else the old `observe_school_holidays`); the days of each calendar
        are term_dates' facts."""
        if series.observes is not None:
            calendars = list(series.observes)
        elif series.observe_school_holidays is False:
            calendars = [HELLIGDAGE]
        else:
            calendars = [HELLIGDAGE, SKOLEFERIE]
        key = tuple(calendars)
        if key not in self._closed:
            self._closed[key] = closed_days(self.config, self.term, calendars)
        return self._closed[key]

    def _check_one_off(self, placed: _Placed) -> None:
        """A booked Familiemøde or follow-up: no series to follow, but the same calendar rules.

        People (availability, double booking, travel, weekly ceilings) and rooms are checked with
        every other meeting; here: its times, closed days and attendees.
        """
        meeting = placed.meeting
        for name, value in (("start", meeting.start), ("end", meeting.end)):
            if not _is_aware(value):
                self.add(
                    "structure", f"{placed.named()}: {name} {value.isoformat()} har ingen tidszone", placed
                )
        if placed.utc_end <= placed.utc_start:
            self.add("structure", f"{placed.named()} slutter før det begynder", placed)
        if meeting.site not in self.sites:
            self.add(
                "structure",
                f"{placed.named()} er på mødestedet '{meeting.site}', som konfigurationen ikke har",
                placed,
            )
        reason = closed_reason(self.config, placed.day)
        if reason is not None:
            self.add("holidays", f"{placed.named()} ligger på en lukket dag: {reason}", placed)
        if not any(a.required for a in meeting.attendees):
            self.add("seats", f"{placed.named()} har ingen påkrævet deltager fra staff", placed)
        for attendee in meeting.attendees:
            if attendee.person not in self.staff:
                self.add("seats", f"{placed.named()}: deltageren '{attendee.person}' er ikke i staff", placed)
        for person, n in Counter(a.person for a in meeting.attendees).items():
            if n > 1:
                said = f"{placed.named()}: {self.who(person)} står der {n} gange"
                self.add("one_seat_per_person", said, placed)

    def _pool(self, series: Series, key: str) -> frozenset[str]:
        """Who may fill a seat; cached since every meeting of a series asks the same question."""
        cached = self._pools.get((series.id, key))
        if cached is None:
            seat = dict(series.seats())[key]
            if seat.person is None and series.unit not in self.units:
                cached = frozenset()  # nobody can serve a unit that does not exist
            else:
                cached = frozenset(seat_pool(self.config, series, seat))
            self._pools[(series.id, key)] = cached
        return cached

    def _stands_in(self, person_id: str, pool: frozenset[str], role: str | None, day: date) -> bool:
        """Whether the person is the named substitute of someone in the pool who is absent that
        day (and holds the seat's role, if it has one): then they may take that person's seat."""
        if role is not None and role not in self.staff[person_id].roles:
            return False
        return any(
            absence.substitute == person_id and absence.start <= day <= absence.end
            for member in pool
            if member in self.staff
            for absence in self.staff[member].absences
        )

    def _check_seats(self, placed: _Placed, series: Series) -> None:
        at = placed.named()
        attendees = placed.meeting.attendees
        by_seat: dict[str, list[str]] = defaultdict(list)
        for attendee in attendees:
            by_seat[attendee.seat].append(attendee.person)
            if attendee.person not in self.staff:
                self.add(
                    "seats",
                    f"{at}: deltageren '{attendee.person}' ({self.seat_da(series, attendee.seat)}) "
                    "er ikke i staff",
                    placed,
                )
        seats = series.seats()
        keys = {key for key, _ in seats}
        for key, seat in seats:
            people = by_seat.get(key, [])
            if len(people) != seat.count:
                names = join_da([self.who(p) for p in people]) or "ingen"
                self.add(
                    "seats",
                    f"{at}: {self.seat_da(series, key)} har "
                    f"{plural_da(len(people), 'deltager', 'deltagere')} ({names}), "
                    f"men serien kræver {seat.count}",
                    placed,
                )
            expected = seat.part.span(series.duration_minutes) if seat.part else None
            for attendee in attendees:
                recorded = (attendee.joins_after_minutes, attendee.leaves_after_minutes)
                if attendee.seat == key and recorded != (expected or (None, None)):
                    self.add(
                        "seats",
                        f"{at}: {self.who(attendee.person)} ({self.seat_da(series, key)}) står til "
                        f"{_minutes(recorded)}, men pladsen er til {_minutes(expected)}",
                        placed,
                    )
            pool = self._pool(series, key)
            if key == self._facilitator_seat(series):
                continue  # a BAL team's facilitator: `_check_facilitators` says it once, as such
            for person in people:
                if (
                    person in self.staff
                    and person not in pool
                    and not self._stands_in(person, pool, seat.role, placed.day)
                ):
                    unit = index_of(self.config).unit_name(series.unit)
                    what = f"rollen '{seat.role}' for {unit}" if seat.role else "en af pladsens personer"
                    self.add(
                        "seats",
                        f"{at}: {self.who(person)} kan ikke have pladsen som {self.seat_da(series, key)} "
                        f"(den kræver {what})",
                        placed,
                    )
        for person in by_seat.get(OPTIONAL_SEAT, []):
            if person in self.staff and person not in series.optional_people:
                self.add(
                    "seats",
                    f"{at}: {self.who(person)} deltager som valgfri, men er ikke blandt seriens "
                    "valgfri deltagere (optional_people)",
                    placed,
                )
        for key, people in by_seat.items():
            if key not in keys and key != OPTIONAL_SEAT:
                self.add(
                    "seats",
                    f"{at}: pladsen '{key}' ({join_da([self.who(p) for p in people])}) findes ikke i serien",
                    placed,
                )
        counts = Counter(a.person for a in attendees)
        for person, n in counts.items():
            if n > 1:
                held = join_da([self.seat_da(series, a.seat) for a in attendees if a.person == person])
                self.add(
                    "one_seat_per_person",
                    f"{at}: {self.who(person)} har {n} pladser ({held}); en person har én plads",
                    placed,
                )

    # ------------------------------------------------------------------ per series

    def _check_unplaced_list(self) -> None:
        """Only a PARTIAL plan lists unplaced meetings, each for a series that meets this term."""
        for entry in self.plan.unplaced:
            series = self.series.get(entry.series)
            name = f"«{entry.title}»" if entry.title else f"'{entry.series}'"
            where = f"det manglende møde i {name}, periode {entry.occurrence + 1}"
            if self.plan.status != PlanStatus.PARTIAL:
                self.out.append(
                    Violation("structure", f"{where}: kun en delvis plan (PARTIAL) har manglende møder")
                )
            if series is None or not self.runs_this_term(series):
                self.out.append(
                    Violation("structure", f"{where}: serien holdes ikke i terminen {self.term.name}")
                )
        counts = Counter((e.series, e.occurrence) for e in self.plan.unplaced)
        for (series_id, index), n in sorted(counts.items()):
            if n > 1:
                known = self.series.get(series_id)
                name = self.title(known) if known is not None else f"'{series_id}'"
                message = f"{name}, periode {index + 1} står {n} gange blandt de manglende møder"
                self.out.append(Violation("structure", message))

    def _check_cadence(self) -> None:
        by_series: dict[str, list[_Placed]] = defaultdict(list)
        for placed in self.placed:
            series = self.series.get(placed.meeting.series)
            if series is not None and self.runs_this_term(series):
                by_series[series.id].append(placed)
        for series in self.config.series:
            if self.runs_this_term(series):
                closed = closed_days_for(self.config, self.term, series)
                periods = series_periods(series, self.term, closed)
                self._check_series_cadence(series, periods, by_series.get(series.id, []), closed)

    def _check_unplaced(
        self,
        series: Series,
        periods: list[Period],
        taken: dict[int, _Placed],
        index: int,
        entry: UnplacedMeeting,
    ) -> None:
        """An unplaced entry names a real, open period without a meeting, and says why."""
        where = f"det manglende møde i {self.title(series)}, periode {index + 1}"
        if not 0 <= index < len(periods) or not periods[index].days:
            self.out.append(Violation("structure", f"{where}: serien har ingen sådan åben periode"))
        elif index in taken:
            self.add("structure", f"{where}: perioden har et møde ({taken[index].when()})", taken[index])
        elif (entry.period_start, entry.period_end) != (periods[index].start, periods[index].end):
            p = periods[index]
            self.out.append(
                Violation(
                    "structure",
                    f"{where}: dateret {_days(entry.period_start, entry.period_end)}, men perioden er "
                    f"{_days(p.start, p.end)}",
                )
            )
        if not any(reason.strip() for reason in entry.reason_da):
            self.out.append(Violation("structure", f"{where}: der er ingen begrundelse"))

    def _check_series_cadence(
        self, series: Series, periods: list[Period], meetings: list[_Placed], closed: dict[date, str]
    ) -> None:
        taken: dict[int, _Placed] = {}
        for placed in meetings:
            occ = placed.meeting.occurrence
            if not 0 <= occ < len(periods):
                self.add(
                    "cadence",
                    f"{placed.named()} står i periode {occ + 1}, men serien {self.title(series)} har "
                    f"{len(periods)} perioder i terminen {self.term.name}",
                    placed,
                )
                continue
            period = periods[occ]
            if occ in taken:
                self.add(
                    "cadence",
                    f"{taken[occ].named()} og {placed.when()} ligger begge i periode {occ + 1} "
                    f"({_days(period.start, period.end)}); en periode har ét møde",
                    taken[occ],
                    placed,
                )
            else:
                taken[occ] = placed
            # Closed days and disallowed weekdays are also not in period.days; those are reported
            # by their own rules, and a date outside the term by `structure`.
            in_term = self.term.start <= placed.day <= self.term.end
            if in_term and not period.start <= placed.day <= period.end:
                self.add(
                    "cadence",
                    f"{placed.named()} ligger uden for sin periode {occ + 1} "
                    f"({_days(period.start, period.end)})",
                    placed,
                )
        unplaced = self.unplaced.get(series.id, {})
        skipped = {s.occurrence for s in self.plan.skipped if s.series == series.id}
        # A fortnight with a whole closed week (`Period.optional`) may go without a meeting when the
        # plan lists it as skipped; one held in its open week is judged by the gaps below, which
        # reject it a week off the rhythm. A period with no open day needs no meeting.
        for period in periods:
            if period.index in skipped and (period.index in taken or (period.days and not period.optional)):
                self.out.append(
                    Violation(
                        "structure",
                        f"periode {period.index + 1} af {self.title(series)} "
                        f"({_days(period.start, period.end)}) står som udeladt, men "
                        + ("den har et møde" if period.index in taken else "den er ingen ferie-fjortendag"),
                    )
                )
            if period.optional and period.index in skipped:
                continue
            if period.days and period.index not in taken and period.index not in unplaced:
                missing = (
                    f"{self.title(series)} har intet møde i periode {period.index + 1} "
                    f"({_days(period.start, period.end)}), som har "
                    f"{plural_da(len(period.days), 'åben dag', 'åbne dage')}"
                    + (" og ikke står som udeladt" if period.optional else "")
                )
                if self.plan.status == PlanStatus.PARTIAL:  # a partial plan lists what it lacks
                    missing += ", og det står ikke blandt de manglende"
                    self.out.append(Violation("structure", missing))
                else:
                    self.out.append(Violation("cadence", missing))
        for index, entry in sorted(unplaced.items()):
            self._check_unplaced(series, periods, taken, index, entry)
        cadence = series.cadence
        ordered = sorted(meetings, key=lambda p: (p.utc_start, p.index))
        for a, b in zip(ordered, ordered[1:], strict=False):
            if a.day in closed or b.day in closed:
                continue  # a meeting on a closed day is a `holidays` problem, not also a cadence one
            gap = (b.day - a.day).days
            # The gap defaults are the config model's (`Cadence.gap_bounds`); beside a period
            # with a closed day they widen by the series' holiday_shift_days.
            beside_holiday = any(
                0 <= p.meeting.occurrence < len(periods) and periods[p.meeting.occurrence].holidays
                for p in (a, b)
            )
            min_gap, max_gap = cadence.gap_bounds(beside_holiday)
            if gap < min_gap:
                self.add(
                    "cadence",
                    f"{self.title(series)} {_day(a.day)} og {_day(b.day)} ligger "
                    f"{plural_da(gap, 'dag', 'dage')} fra hinanden; der skal være mindst {min_gap}",
                    a,
                    b,
                )
            if (
                max_gap is not None
                and abs(b.meeting.occurrence - a.meeting.occurrence) == 1
                and gap > max_gap
            ):
                self.add(
                    "cadence",
                    f"{self.title(series)} {_day(a.day)} og {_day(b.day)} ligger {gap} dage fra "
                    f"hinanden; højst {max_gap} er tilladt mellem to perioder i træk",
                    a,
                    b,
                )

    # ------------------------------------------------------------------ order between series

    def _check_after(self) -> None:
        """`Series.after`: each meeting of such a series starts when at least n meetings of the
        series it names have ended (a BAL team's analyses after its group's first course session)."""
        ends: dict[str, list[datetime]] = defaultdict(list)
        for placed in self.placed:
            if not placed.meeting.one_off:
                ends[placed.meeting.series].append(placed.utc_end)
        for series_ends in ends.values():
            series_ends.sort()
        for placed in self.placed:
            series = None if placed.meeting.one_off else self.series.get(placed.meeting.series)
            if series is None or series.after is None:
                continue
            n, other_id = series.after.meetings, series.after.series
            other = self.series.get(other_id)
            name = self.title(other) if other is not None else f"'{other_id}'"
            theirs = ends.get(other_id, [])
            if sum(1 for end in theirs if end <= placed.utc_start) >= n:
                continue
            involved = [placed]  # and the n-th meeting, so moving either one finds the problem
            if len(theirs) < n:
                said = f"den har kun {plural_da(len(theirs), 'møde', 'møder')} i planen"
            else:
                nth = next(
                    p for p in self.placed if p.meeting.series == other_id and p.utc_end == theirs[n - 1]
                )
                said = f"det holdes først {nth.when()}"
                involved.append(nth)
            self.add(
                "after_series",
                f"{placed.named()} skal ligge efter {n}. møde i {name}, men {said}",
                *involved,
            )

    def _facilitator_seat(self, series: Series) -> str | None:
        """The seat of a BAL team's facilitator: the named seat of its first required person."""
        if series.type != SeriesType.bal_analyse or not series.required_people:
            return None
        facilitator = series.required_people[0]
        return next((key for key, seat in series.seats() if seat.person == facilitator), None)

    def _check_facilitators(self) -> None:
        """A BAL team keeps one facilitator from PPR all through ("som i hele kompetenceudviklings-
        fasen følger og understøtter teamenes arbejde med BAL", faq-moedestruktur.txt): every
        analysis of a `bal_analyse` series has the series' facilitator in that seat, or a named
        substitute on the facilitator's absence day (re-derived here, as for any seat)."""
        for placed in self.placed:
            series = None if placed.meeting.one_off else self.series.get(placed.meeting.series)
            key = None if series is None else self._facilitator_seat(series)
            if series is None or key is None:
                continue
            facilitator = series.required_people[0]
            for attendee in placed.meeting.attendees:
                if attendee.seat != key or attendee.person == facilitator:
                    continue
                person = attendee.person
                away = frozenset({facilitator})
                if person in self.staff and self._stands_in(person, away, None, placed.day):
                    continue
                self.add(
                    "seats",
                    f"{placed.named()}: facilitator er {self.who(person)}, men teamet følges af "
                    f"{self.who(facilitator)}; én facilitator fra PPR følger teamet gennem hele forløbet",
                    placed,
                )

    # ------------------------------------------------------------------ per person

    def _check_people(self) -> None:
        by_person: dict[str, list[_Placed]] = defaultdict(list)
        for placed in self.placed:
            for person_id in dict.fromkeys(a.person for a in placed.meeting.attendees):
                by_person[person_id].append(self._part_of(person_id, placed))
        for person_id, meetings in by_person.items():
            meetings.sort(key=lambda p: (p.utc_start, p.index))
            person = self.staff.get(person_id)
            if person is not None:
                for placed in meetings:
                    self._check_availability(person, placed)
                    self._check_commitment_travel(person, placed)
            overlapping = self._check_double_booking(person_id, meetings)
            self._check_travel(person_id, meetings, overlapping)
            if person is not None and person.max_meetings_per_week is not None:
                self._check_week_load(person, person.max_meetings_per_week, meetings)

    def _partial_seats(self, series: Series) -> dict[str, tuple[int, int]]:
        """seat key -> (join, leave) minutes for the series' partial seats; cached per series."""
        cached = self._parts.get(series.id)
        if cached is None:
            cached = self._parts[series.id] = {
                key: seat.part.span(series.duration_minutes) for key, seat in series.seats() if seat.part
            }
        return cached

    def _part_of(self, person_id: str, placed: _Placed) -> _Placed:
        """The meeting as it blocks the person: narrowed to their part when every seat they hold
        is partial, re-derived from the series' seats (not from what the plan records)."""
        series = None if placed.meeting.one_off else self.series.get(placed.meeting.series)
        if series is None:
            return placed
        duration = series.duration_minutes
        seats = self._partial_seats(series)
        if not seats:
            return placed
        spans: list[tuple[int, int]] = []
        for attendee in placed.meeting.attendees:
            if attendee.person != person_id:
                continue
            spans.append(seats.get(attendee.seat, (0, duration)))
        joins, leaves = min(a for a, _ in spans), max(b for _, b in spans)
        if (joins, leaves) == (0, duration):
            return placed
        return replace(
            placed,
            utc_start=placed.utc_start + timedelta(minutes=joins),
            utc_end=placed.utc_start + timedelta(minutes=leaves),
            start_min=placed.start_min + joins,
            end_min=placed.start_min + leaves,
        )

    def _check_availability(self, person: Person, placed: _Placed) -> None:
        weekday, day = placed.weekday, placed.day
        at, name = placed.named(), person.name
        starts, ends = person.employed_from, person.employed_until
        if (starts is not None and day < starts) or (ends is not None and ends < day):
            since = f" fra {short_date_da(starts)} {starts.year}" if starts else ""
            until = f" til {short_date_da(ends)} {ends.year}" if ends else ""
            self.add("availability", f"{at}: {name} er kun ansat{since}{until}", placed)
        hours = person.working_hours.get(weekday)
        if hours is None:
            self.add("availability", f"{at}: {name} arbejder ikke om {weekday_da(weekday)}en", placed)
        elif not _inside(placed, hours):
            self.add(
                "availability",
                f"{at}: uden for {genitive_da(name)} arbejdstid {hours} om {weekday_da(weekday)}en",
                placed,
            )
        for absence in person.absences:
            if not absence.start <= day <= absence.end:
                continue
            if absence.time is None or _overlaps(placed, absence.time):
                span = f" kl. {absence.time}" if absence.time else ""
                self.add(
                    "availability",
                    f"{at}: {name} er fraværende {_days(absence.start, absence.end)}{span}",
                    placed,
                )
        for commitment in person.commitments:
            if _overlaps(placed, commitment.time) and self._happens(commitment, day):
                self.add(
                    "availability",
                    f"{at}: {name} har den faste aftale '{commitment.title}' "
                    f"({weekday_da(weekday)} {commitment.time})",
                    placed,
                )

    def _happens(self, commitment: Commitment, day: date) -> bool:
        """Whether a commitment takes place that day: its weekday, every N weeks from its first
        date (nothing before it), else from the term's first week."""
        if commitment.weekday != Weekday.of(day):
            return False
        if commitment.first_date is not None and day < commitment.first_date:
            return False
        origin = week_monday(commitment.first_date or self.term.start)
        return ((week_monday(day) - origin).days // 7) % commitment.every_weeks == 0

    def _check_commitment_travel(self, person: Person, placed: _Placed) -> None:
        """A meeting leaves time to travel to and from a commitment held at another site (one that
        overlaps the meeting is an `availability` problem already)."""
        site = placed.meeting.site
        for commitment in person.commitments:
            if commitment.site is None or commitment.site == site or _overlaps(placed, commitment.time):
                continue
            if not self._happens(commitment, placed.day):
                continue
            need = self.travel_minutes(site, commitment.site)
            if placed.end_min <= commitment.time.start:
                gap, direction = commitment.time.start - placed.end_min, "efter mødet"
            else:
                gap, direction = placed.start_min - commitment.time.end, "før mødet"
            if gap < need:
                self.add(
                    "travel_time",
                    f"{person.name} har {gap} minutter mellem {placed.named()} på {self.site_name(site)} "
                    f"og den faste aftale '{commitment.title}' på {self.site_name(commitment.site)} "
                    f"({weekday_da(commitment.weekday)} {commitment.time}) {direction}; turen tager {need}",
                    placed,
                )

    def _check_double_booking(self, person_id: str, meetings: list[_Placed]) -> set[tuple[int, int]]:
        """Report overlapping pairs with a sweep; returns them so travel does not repeat them."""
        overlapping: set[tuple[int, int]] = set()
        active: list[_Placed] = []
        for placed in meetings:
            active = [a for a in active if a.utc_end > placed.utc_start]
            for other in active:
                if placed.utc_start < other.utc_end and other.utc_start < placed.utc_end:
                    overlapping.add((other.index, placed.index))
                    self.add(
                        "no_double_booking",
                        f"{self.who(person_id)} deltager i både {other.named()} og {placed.named()}, "
                        "som overlapper",
                        other,
                        placed,
                    )
            active.append(placed)
        return overlapping

    def _check_travel(
        self, person_id: str, meetings: list[_Placed], overlapping: set[tuple[int, int]]
    ) -> None:
        by_day: dict[date, list[_Placed]] = defaultdict(list)
        for placed in meetings:
            by_day[placed.day].append(placed)
        for day_meetings in by_day.values():
            for i, a in enumerate(day_meetings):
                for b in day_meetings[i + 1 :]:
                    if a.meeting.site == b.meeting.site or (a.index, b.index) in overlapping:
                        continue
                    need = self.travel_minutes(a.meeting.site, b.meeting.site)
                    gap = (b.utc_start - a.utc_end) / timedelta(minutes=1)
                    if gap < need:
                        self.add(
                            "travel_time",
                            f"{self.who(person_id)} har {gap:g} minutter fra «{a.meeting.title}» på "
                            f"{self.site_name(a.meeting.site)} (slutter {_clock(a.end_min)}) til "
                            f"«{b.meeting.title}» på {self.site_name(b.meeting.site)} (begynder "
                            f"{format_clock(b.start_min)}) {_day(a.day)}; turen tager {need}",
                            a,
                            b,
                        )

    def _check_week_load(self, person: Person, limit: int, meetings: list[_Placed]) -> None:
        by_week: dict[tuple[int, int], list[_Placed]] = defaultdict(list)
        for placed in meetings:
            iso = placed.day.isocalendar()
            by_week[(iso.year, iso.week)].append(placed)
        for (year, week), in_week in sorted(by_week.items()):
            if len(in_week) > limit:
                self.add(
                    "max_meetings_per_week",
                    f"{person.name} deltager i {len(in_week)} møder i uge {week} {year} "
                    f"({join_da([p.named() for p in in_week])}); højst {limit} er tilladt",
                    *in_week,
                )

    # ------------------------------------------------------------------ per site

    def _check_rooms(self) -> None:
        by_site: dict[str, list[_Placed]] = defaultdict(list)
        for placed in self.placed:
            by_site[placed.meeting.site].append(placed)
        held_at: dict[str, list[Commitment]] = defaultdict(list)  # site -> commitments in its rooms
        for person in self.config.staff:
            for commitment in person.commitments:
                if commitment.site is not None and commitment.room is not None:
                    held_at[commitment.site].append(commitment)
        for site_id, meetings in by_site.items():
            site = self.sites.get(site_id)
            if site is not None:
                self._check_site_rooms(site_id, site.room_count, meetings)
                self._check_named_rooms(site_id, site, meetings, held_at[site_id])

    def _check_named_rooms(
        self, site_id: str, site: Site, meetings: list[_Placed], commitments: list[Commitment]
    ) -> None:
        """Each meeting's room exists at its site, seats its people, is the series' room, and is
        not used by two meetings at once."""
        rooms = {r.id: r for r in site.room_list}
        by_room: dict[str, list[_Placed]] = defaultdict(list)
        for placed in meetings:
            meeting, at = placed.meeting, placed.named()
            if meeting.room is None:
                if isinstance(site.rooms, list):
                    self.add("rooms", f"{at} på {site.name} har intet lokale", placed)
                continue
            room = rooms.get(meeting.room)
            if room is None:
                self.add("rooms", f"{at} er i lokalet '{meeting.room}', som {site.name} ikke har", placed)
                continue
            by_room[room.id].append(placed)
            people = sum(1 for a in meeting.attendees if a.required) + len(meeting.guests)
            if room.capacity is not None and people > room.capacity:
                self.add(
                    "rooms",
                    f"{at} har {people} deltagere i {self.room_name(site, room.id)}, som har "
                    f"{room.capacity} pladser",
                    placed,
                )
            series = None if meeting.one_off else self.series.get(meeting.series)
            # A room belongs to one site: an alternating series' room binds only at its own site.
            if series is not None and series.room in rooms and series.room != room.id:
                self.add(
                    "rooms",
                    f"{at} er i {self.room_name(site, room.id)}, men serien {self.title(series)} skal "
                    f"holdes i {self.room_name(site, series.room)}",
                    placed,
                )
        self._check_committed_rooms(site_id, by_room, commitments)
        for room_id, in_room in by_room.items():
            in_room.sort(key=lambda p: (p.utc_start, p.index))
            for a, b in zip(in_room, in_room[1:], strict=False):
                if b.utc_start < a.utc_end:
                    self.add(
                        "rooms",
                        f"{self.room_name(site, room_id)} på {site.name} har både {a.named()} og "
                        f"{b.named()} på samme tid",
                        a,
                        b,
                    )

    def _check_committed_rooms(
        self, site_id: str, by_room: dict[str, list[_Placed]], commitments: list[Commitment]
    ) -> None:
        """No meeting in a room while a commitment held there (`commitments`: those at the site, in
        staff order) takes it (reported once per meeting and commitment, however many people list
        the commitment)."""
        seen: set[tuple[int, str, str]] = set()
        for commitment in commitments:
            if commitment.room not in by_room:
                continue
            for placed in by_room[commitment.room]:
                key = (placed.index, commitment.title, str(commitment.time))
                if key in seen or not _overlaps(placed, commitment.time):
                    continue
                if self._happens(commitment, placed.day):
                    seen.add(key)
                    self.add(
                        "rooms",
                        f"{placed.named()} er i {self.room_name(self.sites[site_id], commitment.room)}, "
                        f"som den faste aftale '{commitment.title}' ({weekday_da(commitment.weekday)} "
                        f"{commitment.time}) bruger",
                        placed,
                    )

    def _check_site_rooms(self, site_id: str, rooms: int, meetings: list[_Placed]) -> None:
        """Sweep the site's day: ends before starts at the same instant, so back-to-back is fine."""
        events: list[tuple[datetime, int, int]] = []
        for placed in meetings:
            if placed.utc_end > placed.utc_start:
                events.append((placed.utc_start, 1, placed.index))
                events.append((placed.utc_end, 0, placed.index))
        events.sort()
        active: set[int] = set()
        episode: dict[int, None] = {}  # meetings involved in the current overload, in order
        peak = 0
        first: _Placed | None = None
        for _, is_start, index in events:
            if is_start:
                active.add(index)
                if len(active) > rooms:
                    if first is None:
                        first = self.placed[index]
                    episode.update(dict.fromkeys(sorted(active, key=lambda i: self.placed[i].utc_start)))
                    peak = max(peak, len(active))
            else:
                active.discard(index)
                if first is not None and len(active) <= rooms:
                    involved = [self.placed[i] for i in episode]
                    self.add(
                        "rooms",
                        f"{self.site_name(site_id)} har {peak} møder på samme tid fra {_day(first.day)} "
                        f"kl. {format_clock(first.start_min)} ({join_da([p.named() for p in involved])}), "
                        f"men {plural_da(rooms, 'lokale', 'lokaler')}",
                        *involved,
                    )
                    episode, peak, first = {}, 0, None
