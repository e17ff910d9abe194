"""When a person can meet: the one home of that fact for the planner, the greedy start, the slot
finder, replanning and the web's "why here". The verifier keeps its own, deliberately independent twin.

A person is free at a time when it lies inside their employment (`employed_from`/`employed_until`)
and their working hours that weekday and outside every commitment that falls on that day (every N
weeks, phased from `first_date`, else from the term's start), every absence and every busy time
read from a calendar. Asked about a meeting at a `Venue`, a commitment that takes place at another
site also takes the trip to and from it. An `Unavailability` (an absence reported through the API,
a busy time from Exchange) becomes config absences, so the rest of the product sees one kind of
"away".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field, model_validator

from scheduler.config import substitute_problem
from scheduler.danish import date_range_da, long_date_da, weekday_da
from scheduler.index import ConfigIndex, index_of
from scheduler.model import Absence, Commitment, MunicipalityConfig, Person, TimeRange, Weekday
from scheduler.term_dates import TZ, week_monday

MINUTES_PER_DAY = 24 * 60


def commitment_falls_on(commitment: Commitment, day: date, term_start: date) -> bool:
    """Whether a recurring commitment happens that day: its weekday, every N weeks counted from
    its `first_date`, or from the term's start where it has none."""
    if Weekday.of(day) != commitment.weekday:
        return False
    first = commitment.first_date or term_start
    if day < first:
        return False
    weeks = (week_monday(day) - week_monday(first)).days // 7
    return weeks % commitment.every_weeks == 0


Span = tuple[int, int]


def employed_on(person: Person, day: date) -> bool:
    """Whether the day lies inside the person's employment (both ends inclusive; open when unset)."""
    if person.employed_from is not None and day < person.employed_from:
        return False
    return person.employed_until is None or day <= person.employed_until


def not_employed_da(person: Person, day: date) -> str | None:
    """'Psykolog F er ansat fra 1. marts' / '… er fratrådt 31. marts', or None when employed that day."""
    if person.employed_from is not None and day < person.employed_from:
        return f"{person.name} er ansat fra {long_date_da(person.employed_from, weekday=False, year=False)}"
    if person.employed_until is not None and day > person.employed_until:
        return f"{person.name} er fratrådt {long_date_da(person.employed_until, weekday=False, year=False)}"
    return None


def absences_on(person: Person, day: date) -> list[Absence]:
    """The person's absences that cover the day (whole days, or part of each day)."""
    return [absence for absence in person.absences if absence.start <= day <= absence.end]


def commitments_on(person: Person, day: date, term_start: date) -> list[Commitment]:
    """The person's commitments that happen that day (see `commitment_falls_on`)."""
    return [c for c in person.commitments if commitment_falls_on(c, day, term_start)]


def absence_span(absence: Absence) -> Span:
    """The part of each of its days an absence takes, in local minutes."""
    return (absence.time.start, absence.time.end) if absence.time else (0, MINUTES_PER_DAY)


@dataclass(frozen=True)
class Venue:
    """Where a meeting would be held, with the config's travel times: a commitment at another
    site then blocks the meeting's time plus the trip, exactly as a meeting there would."""

    site: str
    index: ConfigIndex

    def trip(self, commitment: Commitment) -> int:
        """Minutes between the meeting and the commitment; 0 for a commitment without a site."""
        return 0 if commitment.site is None else self.index.travel_minutes(self.site, commitment.site)


def commitment_span(commitment: Commitment, venue: Venue | None = None) -> Span:
    """The part of the day a commitment takes from a meeting at `venue`: its time, widened on
    both sides by the trip when it takes place elsewhere."""
    trip = 0 if venue is None else venue.trip(commitment)
    return (commitment.time.start - trip, commitment.time.end + trip)


def busy_spans(
    person: Person, day: date, term_start: date, venue: Venue | None = None
) -> list[tuple[int, int, str]]:
    """(start, end, what) of the person's commitments and absences that day, in local minutes;
    `what` is the commitment's title, or "" for an absence (whose reason stays internal). For a
    meeting at `venue`, a commitment elsewhere includes the trip (`commitment_span`). A day outside
    the person's employment is busy all day, like an absence."""
    if not employed_on(person, day):
        return [(0, MINUTES_PER_DAY, "")]
    busy: list[tuple[int, int, str]] = [(*absence_span(a), "") for a in absences_on(person, day)]
    busy += [(*commitment_span(c, venue), c.title) for c in commitments_on(person, day, term_start)]
    return busy


def free_spans(person: Person, day: date, term_start: date, venue: Venue | None = None) -> tuple[Span, ...]:
    """The parts of a day the person can meet (at `venue`, when given): working hours minus
    commitments (and the trips to them) and absences; nothing outside their employment."""
    hours = person.working_hours.get(Weekday.of(day))
    if hours is None or not employed_on(person, day):
        return ()
    if not person.absences and not person.commitments:
        return ((hours.start, hours.end),)  # half of a city's people: nothing else to take away
    spans = [(hours.start, hours.end)]
    for b_start, b_end, _ in busy_spans(person, day, term_start, venue):
        spans = [
            piece
            for s, e in spans
            for piece in ((s, min(e, b_start)), (max(s, b_end), e))
            if piece[1] > piece[0]
        ]
    return tuple(spans)


def site_matters(person: Person, day: date, term_start: date) -> bool:
    """Whether the person's free spans that day depend on where the meeting is: only a commitment
    at a site takes a trip (`commitment_span`), so without one they are the same at every venue."""
    if not person.commitments or not employed_on(person, day):
        return False
    return any(c.site is not None for c in commitments_on(person, day, term_start))


def within(spans: tuple[Span, ...], start: int, end: int) -> bool:
    """Whether `start`..`end` lies inside one of the spans (a loop: the planner asks this ~10⁶ times)."""
    for s, e in spans:  # noqa: SIM110 - twice as fast as any() over a generator
        if s <= start and end <= e:
            return True
    return False


def is_free(
    person: Person, day: date, start: int, end: int, term_start: date, venue: Venue | None = None
) -> bool:
    """Whether the person can meet from `start` to `end` (local minutes) that day (at `venue`)."""
    return within(free_spans(person, day, term_start, venue), start, end)


def not_free_da(
    person: Person, day: date, start: int, end: int, term_start: date, venue: Venue | None = None
) -> str | None:
    """Why the person cannot meet from `start` to `end` that day (at `venue`), in Danish, or None
    when they can: not employed that day, outside their working hours, absent (its dates; the
    reason stays internal), or at a fixed commitment (its title and place, and the trip when that
    is what is too long), in that order. The slot finder and the web's "why here" say it the same way."""
    if is_free(person, day, start, end, term_start, venue):
        return None
    not_employed = not_employed_da(person, day)
    if not_employed is not None:
        return not_employed
    weekday = Weekday.of(day)
    hours = person.working_hours.get(weekday)
    if hours is None:
        return f"{person.name} arbejder ikke om {weekday_da(weekday)}en"
    if not (hours.start <= start and end <= hours.end):
        return f"{person.name} arbejder kun {hours} om {weekday_da(weekday)}en"
    for absence in absences_on(person, day):
        a, b = absence_span(absence)
        if start < b and a < end:
            return f"{person.name} er fraværende {date_range_da(absence.start, absence.end)}"
    commitment = next(
        c
        for c in commitments_on(person, day, term_start)
        if start < commitment_span(c, venue)[1] and commitment_span(c, venue)[0] < end
    )
    text = f"{person.name} har en fast aftale {weekday_da(weekday)} {commitment.time} ({commitment.title})"
    if commitment.site is None or venue is None:
        return text
    text += f" på {venue.index.site_name(commitment.site)}"
    if start < commitment.time.end and commitment.time.start < end:
        return text
    return f"{text}, og turen til {venue.index.site_name(venue.site)} tager {venue.trip(commitment)} minutter"


RoomUse = tuple[date, int, int, str]
"""(day, start, end, what): a room taken by a commitment, in local minutes"""


def commitment_room_uses(
    config: MunicipalityConfig, first: date, last: date, term_start: date
) -> dict[tuple[str, str], list[RoomUse]]:
    """Per (site, room), the times commitments take that room between `first` and `last`.

    People who share a commitment (a team meeting everyone lists) share its room, so overlapping
    uses of one room are merged into one span, named by the commitments' titles."""
    raw: dict[tuple[str, str], dict[date, list[tuple[int, int, str]]]] = {}
    for person in config.staff:
        for commitment in person.commitments:
            if commitment.site is None or commitment.room is None:
                continue
            days = raw.setdefault((commitment.site, commitment.room), {})
            day = first
            while day <= last:
                if commitment_falls_on(commitment, day, term_start):
                    span = (commitment.time.start, commitment.time.end, commitment.title)
                    days.setdefault(day, []).append(span)
                day += timedelta(days=1)
    out: dict[tuple[str, str], list[RoomUse]] = {}
    for key, days in raw.items():
        uses: list[RoomUse] = []
        for day, spans in sorted(days.items()):
            merged: list[tuple[int, int, list[str]]] = []
            for start, end, title in sorted(spans):
                if merged and start < merged[-1][1]:
                    last_start, last_end, titles = merged[-1]
                    merged[-1] = (last_start, max(last_end, end), titles + [title] * (title not in titles))
                else:
                    merged.append((start, end, [title]))
            uses += [(day, start, end, ", ".join(titles)) for start, end, titles in merged]
        out[key] = uses
    return out


# --------------------------------------------------------------------------- away, as reported


def require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} skal have en tidszone (fx +02:00), fik {value.isoformat()}")


class Unavailability(BaseModel):
    """A person away from `start` to `end`; whole days are local midnight to midnight."""

    person: str
    start: datetime
    end: datetime
    reason: str = Field(default="", description="kept internal, like an absence's reason")
    substitute: str | None = Field(default=None, description="the person who takes their seats meanwhile")

    @model_validator(mode="after")
    def _aware_and_ordered(self) -> Unavailability:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError(f"fraværet slutter ({self.end}) før det begynder ({self.start})")
        return self


def _absences(unavailability: Unavailability) -> list[Absence]:
    """The unavailability as config absences: partial first and last days, whole days between."""
    start = unavailability.start.astimezone(TZ)
    end = unavailability.end.astimezone(TZ)
    first, start_min = start.date(), start.hour * 60 + start.minute
    last = end.date()
    end_min = end.hour * 60 + end.minute + (1 if end.second or end.microsecond else 0)
    if end_min == 0:
        last, end_min = last - timedelta(days=1), MINUTES_PER_DAY
    reason, substitute = unavailability.reason, unavailability.substitute

    def part(day: date, a: int, b: int) -> Absence:
        span = None if (a, b) == (0, MINUTES_PER_DAY) else TimeRange(start=a, end=b)
        return Absence(start=day, end=day, time=span, reason=reason, substitute=substitute)

    if first == last:
        return [part(first, start_min, end_min)]
    out: list[Absence] = []
    whole_from, whole_to = first, last
    if start_min > 0:
        out.append(part(first, start_min, MINUTES_PER_DAY))
        whole_from = first + timedelta(days=1)
    if end_min < MINUTES_PER_DAY:
        out.append(part(last, 0, end_min))
        whole_to = last - timedelta(days=1)
    if whole_from <= whole_to:
        out.append(Absence(start=whole_from, end=whole_to, reason=reason, substitute=substitute))
    return sorted(out, key=lambda a: a.start)


def config_with_unavailability(
    config: MunicipalityConfig, unavailability: Unavailability
) -> MunicipalityConfig:
    """A copy of the config in which the person has the unavailability among their absences;
    a named substitute must be able to stand in (`scheduler.config.substitute_problem`)."""
    person = index_of(config).people.get(unavailability.person)
    if person is None:
        raise ValueError(f"ukendt person '{unavailability.person}'")
    if unavailability.substitute is not None:
        problem = substitute_problem(config, person, unavailability.substitute)
        if problem is not None:
            raise ValueError(f"substitute: {problem}")
    staff = [
        p.model_copy(update={"absences": [*p.absences, *_absences(unavailability)]})
        if p.id == unavailability.person
        else p
        for p in config.staff
    ]
    return config.model_copy(update={"staff": staff})
