"""The domain as pure data: the municipality config a district leader writes, and the plan we return.

Nothing here imports the solver or any other moedeplan module, so every package (the rules, the
verifier, calendar delivery, the API) can share these types without dragging CP-SAT along.
Cross-references between objects (a series naming a unit, a person serving a district) are
checked in `scheduler.config`, which reports every problem with its path in the YAML.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError


def invalid(kind: str, danish: str, **values: object) -> PydanticCustomError:
    """A refusal of our own validators: `kind` names it, `danish` is its message with `{values}`.

    A ValueError (callers may catch it as one); pydantic keeps the kind, so the English pages
    say it in English (`scheduler.validation_da.OWN_EN`), and everyone else reads the Danish.
    """
    return PydanticCustomError(kind, danish, {key: str(value) for key, value in values.items()})


IDENTIFIER_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
Identifier = Annotated[
    str,
    Field(
        pattern=IDENTIFIER_PATTERN,
        max_length=80,
        description="Lower-case ASCII id: letters, digits, '-', '_' and '.'; write æ/ø/å as ae/oe/aa.",
    ),
]


EMAIL_PROBLEM_DA = (
    "er ikke én gyldig e-mailadresse; skriv kun adressen, fx navn@ballerup.dk "
    "(intet navn i <…>, ingen kommaer, ikke flere adresser)"
)


def one_address(value: str) -> str:
    """One plain address, as email-validator (the library behind pydantic's EmailStr) reads it,
    without a DNS lookup: a display name, a list or a header break would put other recipients
    into an invite's To: header and ATTENDEE lines. Returned normalised (domain lower-cased)."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(f"'{value}' {EMAIL_PROBLEM_DA}") from None


Email = Annotated[str, AfterValidator(one_address)]
"""An e-mail address of one person (staff or guest)."""


_NOT_ONE_LINE = {"Cc", "Cs", "Zl", "Zp"}
"""Unicode categories a one-line text refuses: control characters (tab, newline, escape, DEL,
C1), lone surrogates, and the line and paragraph separators"""


def one_line(value: str) -> str:
    """Surrounding whitespace stripped; a control character anywhere else is refused.

    Names and titles end up in calendar lines, e-mail headers and HTML: a newline in a name broke
    every ICS feed (X-WR-CALNAME cannot hold one), so such text is stopped where it comes in.
    """
    value = value.strip()
    for position, char in enumerate(value, start=1):
        if unicodedata.category(char) in _NOT_ONE_LINE:
            raise ValueError(
                f"teksten må ikke indeholde styretegn som linjeskift eller tabulator "
                f"(U+{ord(char):04X} på plads {position})"
            )
    return value


OneLine = Annotated[str, AfterValidator(one_line)]
"""A name or title: one line of text, trimmed, without control characters."""


class Weekday(StrEnum):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"

    @property
    def number(self) -> int:
        """Monday is 0, as in `date.weekday()`."""
        return _WEEKDAYS.index(self)

    @classmethod
    def of(cls, day: date) -> Weekday:
        return _WEEKDAYS[day.weekday()]


_WEEKDAYS = tuple(Weekday)
"""Monday first: `Weekday.of` is asked hundreds of thousands of times while a model is built"""

WORKDAYS = [Weekday.mon, Weekday.tue, Weekday.wed, Weekday.thu, Weekday.fri]

_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_clock(text: str) -> int:
    """'13:30' -> minutes after midnight."""
    match = _TIME_RE.match(text.strip())
    if not match:
        raise invalid("clock_format", "'{text}' er ikke et klokkeslæt som '13:30'", text=text)
    return int(match.group(1)) * 60 + int(match.group(2))


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _clock_value(value: Any) -> Any:
    """A clock string from YAML, or minutes already (a dumped config read back)."""
    return parse_clock(value) if isinstance(value, str) else value


Clock = Annotated[
    int,
    BeforeValidator(_clock_value),
    Field(ge=0, lt=24 * 60),
    PlainSerializer(format_clock, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": _TIME_RE.pattern, "examples": ["13:00"]}),
]
"""A time of day, written '13:00' in YAML and held as minutes after midnight."""


class TimeRange(BaseModel):
    """A span within one day, written '12:30-16:00' in YAML."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(description="minutes after midnight")
    end: int = Field(description="minutes after midnight")

    @model_validator(mode="before")
    @classmethod
    def _parse_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = value.split("-")
            if len(parts) != 2:
                raise invalid("span_format", "'{text}' er ikke et tidsrum som '12:30-16:00'", text=value)
            return {"start": parse_clock(parts[0]), "end": parse_clock(parts[1])}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end <= self.start:
            raise invalid(
                "span_order",
                "tidsrummet slutter ({end}) før det begynder ({start})",
                start=format_clock(self.start),
                end=format_clock(self.end),
            )
        return self

    @property
    def minutes(self) -> int:
        return self.end - self.start

    def __str__(self) -> str:
        return f"{format_clock(self.start)}-{format_clock(self.end)}"


class Strict(BaseModel):
    """Base for config objects: unknown keys are errors, so a typo never silently does nothing."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- organisation


class UnitKind(StrEnum):
    skole = "skole"
    dagtilbud = "dagtilbud"
    klub = "klub"
    socialafsnit = "socialafsnit"
    ppr = "ppr"
    sundhedspleje = "sundhedspleje"
    forvaltning = "forvaltning"
    andet = "andet"


class District(Strict):
    id: Identifier
    name: OneLine


class Room(Strict):
    """A meeting room at a site; `capacity` none means any number of people."""

    id: Identifier
    name: OneLine = ""
    capacity: int | None = Field(default=None, ge=1, description="seats; none: unlimited")


MAX_ROOMS_PER_SITE = 500
"""a number of anonymous rooms becomes that many room objects, so it is bounded like a list"""


class Site(Strict):
    id: Identifier
    name: OneLine
    address: OneLine = ""
    rooms: int | list[Room] = Field(
        default=1,
        description="meeting rooms: a number of anonymous rooms, or named rooms with capacities; "
        "two meetings at once need two rooms",
    )

    @field_validator("rooms")
    @classmethod
    def _some_room(cls, value: int | list[Room]) -> int | list[Room]:
        if isinstance(value, int) and value < 1:
            raise ValueError("et mødested skal have mindst ét lokale")
        if isinstance(value, int) and value > MAX_ROOMS_PER_SITE:
            raise ValueError(f"højst {MAX_ROOMS_PER_SITE} lokaler pr. mødested er tilladt (fandt {value})")
        if isinstance(value, list) and not value:
            raise ValueError("et mødested skal have mindst ét lokale")
        return value

    @property
    def room_list(self) -> list[Room]:
        """Named rooms as given; N anonymous rooms become '<site>.lokale-1' … with no capacity limit."""
        if isinstance(self.rooms, int):
            return [Room(id=f"{self.id}.lokale-{i + 1}", name=f"Lokale {i + 1}") for i in range(self.rooms)]
        return list(self.rooms)

    @property
    def room_count(self) -> int:
        return self.rooms if isinstance(self.rooms, int) else len(self.rooms)


class Unit(Strict):
    """An institution: a district school, club or day-care, or a service such as Socialafsnittet."""

    id: Identifier
    name: OneLine
    kind: UnitKind
    districts: list[Identifier] = Field(
        default_factory=list, description="a club may serve two districts (Klub Syd)"
    )
    sites: list[Identifier] = Field(min_length=1)


class TravelPair(Strict):
    sites: tuple[Identifier, Identifier]
    minutes: int = Field(ge=0, le=240)


class Travel(Strict):
    default_minutes: int = Field(default=20, ge=0, le=240)
    pairs: list[TravelPair] = Field(default_factory=list)


# --------------------------------------------------------------------------- people


class Serves(Strict):
    """Where a person may be booked. Empty lists with all=false means: only where named."""

    all: bool = False
    districts: list[Identifier] = Field(default_factory=list)
    units: list[Identifier] = Field(default_factory=list)


class Commitment(Strict):
    """A fixed recurring engagement that blocks time, e.g. the PPR team meeting Monday 9-11."""

    title: OneLine
    weekday: Weekday
    time: TimeRange
    every_weeks: int = Field(default=1, ge=1, le=8)
    first_date: date | None = Field(
        default=None, description="the first date it happens; sets the phase of every_weeks > 1"
    )
    site: Identifier | None = Field(
        default=None,
        description="where it takes place (a site id): meetings elsewhere leave time to travel to "
        "and from it; none means no travel, as before",
    )
    room: Identifier | None = Field(
        default=None, description="a room of `site` it uses: no meeting is held in that room meanwhile"
    )


class Absence(Strict):
    start: date
    end: date
    time: TimeRange | None = Field(default=None, description="part of each day only; whole days if absent")
    reason: str = Field(default="", description="kept internal; never put in invitations")
    substitute: Identifier | None = Field(
        default=None, description="the person who takes the absent person's seats on the absence's days"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Absence:
        if self.end < self.start:
            raise invalid(
                "absence_order",
                "fraværet slutter ({end}) før det begynder ({start})",
                start=self.start,
                end=self.end,
            )
        return self


def _default_hours() -> dict[Weekday, TimeRange]:
    return {day: TimeRange(start=8 * 60, end=16 * 60) for day in WORKDAYS}


class Person(Strict):
    id: Identifier
    name: OneLine = Field(description="a role label such as 'Psykolog A' in examples; never a child's name")
    roles: list[str] = Field(min_length=1)
    email: Email | None = None
    serves: Serves = Field(default_factory=Serves)
    working_hours: dict[Weekday, TimeRange] = Field(
        default_factory=_default_hours, description="weekday -> '08:00-15:30'; days left out are days off"
    )
    weekly_hours: float = Field(default=37.0, gt=0, le=60)
    max_meetings_per_week: int | None = Field(default=None, ge=0)
    max_meetings_per_day: int | None = Field(
        default=None, ge=1, description="a soft daily cap; overrides planning.max_meetings_per_day"
    )
    commitments: list[Commitment] = Field(default_factory=list)
    absences: list[Absence] = Field(default_factory=list)
    employed_from: date | None = Field(default=None, description="first day of employment (inclusive)")
    employed_until: date | None = Field(default=None, description="last day of employment (inclusive)")

    @model_validator(mode="after")
    def _employment_ordered(self) -> Person:
        if self.employed_from and self.employed_until and self.employed_until < self.employed_from:
            raise ValueError(
                f"employed_until ({self.employed_until}) ligger før employed_from ({self.employed_from})"
            )
        return self


# --------------------------------------------------------------------------- calendar


class Holiday(Strict):
    name: OneLine
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Holiday:
        if self.end < self.start:
            raise invalid(
                "holiday_order",
                "'{name}' slutter ({end}) før den begynder ({start})",
                name=self.name,
                start=self.start,
                end=self.end,
            )
        return self


class Term(Strict):
    id: Identifier
    name: OneLine
    start: date
    end: date
    school_holidays: list[Holiday] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> Term:
        if self.end < self.start:
            raise invalid(
                "term_order",
                "terminen slutter ({end}) før den begynder ({start})",
                start=self.start,
                end=self.end,
            )
        if (self.end - self.start).days > 400:
            raise ValueError("en termin på mere end et år er sikkert en tastefejl")
        return self


class ExtraClosedDay(Strict):
    date: date
    name: OneLine


HELLIGDAGE = "helligdage"
"""The built-in calendar of Danish public holidays and `public_holidays.extra`."""
SKOLEFERIE = "skoleferie"
"""The built-in calendar of the terms' `school_holidays`."""
BUILT_IN_CALENDARS = (HELLIGDAGE, SKOLEFERIE)
DEFAULT_CALENDARS = BUILT_IN_CALENDARS
"""What a series keeps unless it says otherwise (today's behaviour before named calendars)."""


def kept_calendars(observes: list[str] | None, observe_school_holidays: bool | None) -> tuple[str, ...]:
    """The closed-day calendars a series or a one-off request keeps: `observes`, else the old
    switch (`observe_school_holidays: false` is [helligdage]), else the default."""
    if observes is not None:
        return tuple(dict.fromkeys(observes))
    if observe_school_holidays is False:
        return (HELLIGDAGE,)
    return DEFAULT_CALENDARS


class ClosedCalendar(Strict):
    """A named set of closed days a series may keep, e.g. the day-care closure days."""

    name: OneLine
    days: list[Holiday] = Field(default_factory=list, description="closed spans, each with its name")


class PublicHolidays(Strict):
    country: Literal["DK"] = "DK"
    include_optional: bool = Field(
        default=True, description="Grundlovsdag, juleaften, nytårsaften, 1. maj (holidays' 'optional')"
    )
    extra: list[ExtraClosedDay] = Field(default_factory=list)


# --------------------------------------------------------------------------- meeting series


class SeriesType(StrEnum):
    koordineringskonference_skole = "koordineringskonference_skole"
    koordineringskonference_dagtilbud = "koordineringskonference_dagtilbud"
    koordineringskonference_klub = "koordineringskonference_klub"
    strategisk_koordineringskonference = "strategisk_koordineringskonference"
    kreative_raad = "kreative_raad"
    fronten = "fronten"
    opfoelgning = "opfoelgning"
    familiemoede = "familiemoede"
    bal_kursus = "bal_kursus"
    bal_analyse = "bal_analyse"
    andet = "andet"


SERIES_TYPE_DA = {
    SeriesType.koordineringskonference_skole: "Koordineringskonference, skole",
    SeriesType.koordineringskonference_dagtilbud: "Koordineringskonference, dagtilbud",
    SeriesType.koordineringskonference_klub: "Koordineringskonference, klub",
    SeriesType.strategisk_koordineringskonference: "Strategisk koordineringskonference",
    SeriesType.kreative_raad: "Det Kreative Råd",
    SeriesType.fronten: "Daglig møde i Fronten",
    SeriesType.opfoelgning: "Opfølgning",
    SeriesType.familiemoede: "Familiemøde",
    SeriesType.bal_kursus: "BAL-kursus",
    SeriesType.bal_analyse: "BAL-analyse med facilitator",
    SeriesType.andet: "Møde",
}


class CadenceKind(StrEnum):
    daily = "daily"
    weekly = "weekly"
    fortnightly = "fortnightly"
    every_n_weeks = "every_n_weeks"
    monthly = "monthly"
    per_term = "per_term"


class Cadence(Strict):
    kind: CadenceKind
    n: int | None = Field(default=None, ge=1, le=26, description="weeks, for every_n_weeks")
    count: int | None = Field(default=None, ge=1, le=60, description="meetings, for per_term")
    min_gap_days: int | None = Field(
        default=None, ge=0, description="hard: days between consecutive meetings"
    )
    max_gap_days: int | None = Field(
        default=None, ge=1, description="hard: between meetings in neighbouring periods (holidays excepted)"
    )
    holiday_shift_days: int = Field(
        default=0,
        ge=0,
        le=14,
        description=(
            "days a meeting may move from its rhythm because of a closed day in its period; "
            "below 7 a period with a whole closed week (a school holiday) meets only if the "
            "series' own week is open, else it is skipped"
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"kind": value}
        return value

    @model_validator(mode="after")
    def _parameters(self) -> Cadence:
        if self.kind == CadenceKind.every_n_weeks and self.n is None:
            raise ValueError("every_n_weeks kræver 'n' (antal uger)")
        if self.kind == CadenceKind.per_term and self.count is None:
            raise ValueError("per_term kræver 'count' (antal møder i terminen)")
        if (
            self.min_gap_days is not None
            and self.max_gap_days is not None
            and self.max_gap_days < self.min_gap_days
        ):
            raise ValueError("max_gap_days er mindre end min_gap_days")
        if self.holiday_shift_days and self.kind in (CadenceKind.daily, CadenceKind.per_term):
            raise ValueError(
                "holiday_shift_days kræver en rytme at flytte fra: "
                "weekly, fortnightly, every_n_weeks eller monthly"
            )
        return self

    @property
    def effective_min_gap_days(self) -> int:
        """The configured minimum gap, or the cadence's default (`default_gaps`)."""
        if self.min_gap_days is not None:
            return self.min_gap_days
        default = self.default_gaps[0]
        return default if self.max_gap_days is None else min(default, self.max_gap_days)

    @property
    def effective_max_gap_days(self) -> int | None:
        """The configured maximum gap between neighbouring periods, or the cadence's default."""
        if self.max_gap_days is not None:
            return self.max_gap_days
        default = self.default_gaps[1]
        return None if default is None else max(default, self.effective_min_gap_days)

    @property
    def default_gaps(self) -> tuple[int, int | None]:
        """(min, max) days between two meetings when the config does not say: the one home of the
        defaults (docs/config.md has the same table). About the period ± a few days, so a meeting
        may dodge a closed day but 'every other Tuesday' never becomes two Tuesdays in a row."""
        n = self.n or 1
        return {
            CadenceKind.daily: (0, None),
            CadenceKind.weekly: (5, 9),
            CadenceKind.fortnightly: (10, 18),
            CadenceKind.every_n_weeks: (7 * n - 4, 7 * n + 4) if n > 1 else (5, 9),
            CadenceKind.monthly: (21, 40),
            CadenceKind.per_term: (7, None),
        }[self.kind]

    def gap_bounds(self, beside_holiday: bool) -> tuple[int, int | None]:
        """(min, max) gap for two meetings in a row. Beside a period with a closed day, a meeting
        may move `holiday_shift_days` from its rhythm: the bounds widen to period ± that."""
        low, high = self.effective_min_gap_days, self.effective_max_gap_days
        if beside_holiday and self.holiday_shift_days and self.period_days > 1:
            low = min(low, max(self.period_days - self.holiday_shift_days, 0))
            if high is not None:
                high = max(high, self.period_days + self.holiday_shift_days)
        return low, high

    @property
    def skips_holiday_weeks(self) -> bool:
        """Whether a multi-week period with a whole closed week may be skipped (when the series'
        own week is the closed one) rather than moved a week: it may unless `holiday_shift_days`
        lets the meeting move a week (7 or more)."""
        multi_week = self.kind == CadenceKind.fortnightly or (
            self.kind == CadenceKind.every_n_weeks and (self.n or 1) > 1
        )
        return multi_week and self.holiday_shift_days < 7

    @property
    def period_days(self) -> int:
        """Nominal days between meetings, for default gaps and reports."""
        return {
            CadenceKind.daily: 1,
            CadenceKind.weekly: 7,
            CadenceKind.fortnightly: 14,
            CadenceKind.every_n_weeks: 7 * (self.n or 1),
            CadenceKind.monthly: 30,
            CadenceKind.per_term: 0,
        }[self.kind]


_PART_RE = re.compile(r"^(first|last|første|sidste)\s+(\d+)(\s*min(utter)?)?$", re.IGNORECASE)


class Part(Strict):
    """The part of a meeting a seat attends (the ungerådgiver for the youth part): only that part
    blocks the person's time and travel. Written `last 45` / `first 30` (also `sidste 45`,
    `første 30`), or `{offset_minutes: 30, minutes: 45}` for a part in the middle."""

    minutes: int = Field(ge=5, le=480, description="how long the person is there")
    offset_minutes: int | None = Field(
        default=None, ge=0, le=480, description="minutes after the start they join; none: the last minutes"
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _PART_RE.match(value.strip())
            if not match:
                raise ValueError(
                    f"'{value}' er ikke en del af et møde; skriv fx 'sidste 45' eller 'første 30' "
                    "(minutter) eller {offset_minutes: 30, minutes: 45}"
                )
            first = match.group(1).lower() in ("first", "første")
            return {"minutes": int(match.group(2)), "offset_minutes": 0 if first else None}
        return value

    def span(self, duration: int) -> tuple[int, int]:
        """(join, leave) in minutes after the meeting's start, for a meeting of `duration` minutes."""
        start = duration - self.minutes if self.offset_minutes is None else self.offset_minutes
        return start, start + self.minutes


class Seat(Strict):
    """A place at the table that must be filled: one named person, or `count` people of a role.

    With `role`, the pool is everyone with that role who serves the host unit (or the listed
    `people`, if given). `rota: true` shares turns fairly; otherwise the plan keeps the same
    person all term where it can (continuity).
    """

    person: Identifier | None = None
    role: str | None = None
    people: list[Identifier] | None = None
    count: int = Field(default=1, ge=1, le=10)
    rota: bool = False
    part: Part | None = Field(default=None, description="joins only part of the meeting, e.g. 'last 45'")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"person": value}
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Seat:
        if self.person is not None and (self.role is not None or self.people is not None):
            raise ValueError("angiv enten 'person' eller 'role'/'people', ikke begge")
        if self.person is None and self.role is None and self.people is None:
            raise ValueError("angiv 'person', 'role' eller 'people'")
        if self.person is not None and self.count != 1:
            raise ValueError("'count' gælder en rolle eller en gruppe, ikke én person")
        return self


class After(Strict):
    """An order between two series of a term: every meeting of this series comes after the
    `meetings`-th meeting of `series` has ended (a BAL team's first analysis after its course
    group's first course session). Hard; the other series must run in every term this one does."""

    series: Identifier = Field(description="the series whose meeting comes first")
    meetings: int = Field(
        default=1, ge=1, le=60, description="how many of its meetings have ended before this series' first"
    )


class Series(Strict):
    id: Identifier
    type: SeriesType
    title: OneLine | None = Field(default=None, description="default: the type and the unit's name")
    unit: Identifier
    site: Identifier | None = Field(default=None, description="default: the unit's first site")
    sites: list[Identifier] = Field(
        default_factory=list,
        description="alternating venues: the meeting of period k is at sites[k % len]; instead of 'site'",
    )
    cadence: Cadence
    duration_minutes: int = Field(default=120, ge=15, le=480)
    weekdays: list[Weekday] = Field(
        default_factory=lambda: list(WORKDAYS),
        description="allowed weekdays (hard): the FAQ's 'fixed day for fixed activities'",
    )
    preferred_weekdays: list[Weekday] = Field(default_factory=list, description="soft")
    preferred_starts: list[Clock] = Field(
        default_factory=list, description="soft: start times used when possible, e.g. ['13:00']"
    )
    window: TimeRange | None = Field(default=None, description="allowed time of day, e.g. 12:30-16:00")
    windows: dict[Weekday, TimeRange] = Field(default_factory=dict, description="per-weekday override")
    chair: Seat | None = None
    convener: Identifier | None = Field(
        default=None,
        description="who calls the meeting and organises the invitation; default: the chair. Need not attend",
    )
    minute_taker: Seat | None = None
    required_people: list[Identifier] = Field(default_factory=list)
    required_roles: list[Seat] = Field(default_factory=list)
    rota: Seat | None = Field(default=None, description="one person of a pool per meeting, turns shared")
    optional_people: list[Identifier] = Field(default_factory=list)
    terms: list[Identifier] | None = Field(default=None, description="terms it runs in; default all")
    notes: str = Field(
        default="",
        description="confidential: for the planners only; never put in invitations (the guard checks)",
    )
    room: Identifier | None = Field(default=None, description="hard: this room of the site, always")
    preferred_rooms: list[Identifier] = Field(
        default_factory=list, description="soft: one of these rooms of the site when it is free"
    )
    observe_school_holidays: bool | None = Field(
        default=None,
        description="the old form of 'observes': false means [helligdage]; true or unset: the default",
    )
    observes: list[Identifier] | None = Field(
        default=None,
        description="closed-day calendars the series keeps: helligdage, skoleferie and ids of "
        "closed_calendars; default [helligdage, skoleferie]",
    )
    after: After | None = Field(
        default=None,
        description="hard: every meeting comes after the n-th meeting of another series of the term, "
        "e.g. {series: bal-kursus-x, meetings: 1}",
    )
    guest_teams: list[Identifier] = Field(
        default_factory=list,
        description="BAL teams (ids of bal.teams) invited to every meeting as guests through the "
        "team's address, never as staff: a course group's teams, a team's own analyses",
    )

    @field_validator("weekdays")
    @classmethod
    def _some_weekday(cls, value: list[Weekday]) -> list[Weekday]:
        if not value:
            raise ValueError("mindst én ugedag skal være tilladt")
        return value

    def seats(self) -> list[tuple[str, Seat]]:
        """Every seat of a meeting with its key, as attendees carry it in a plan."""
        seats: list[tuple[str, Seat]] = []
        if self.chair:
            seats.append(("chair", self.chair))
        if self.minute_taker:
            seats.append(("minute_taker", self.minute_taker))
        leaders = {seat.person for _, seat in seats if seat.person is not None}
        seats += [
            (f"required_people[{j}]", Seat(person=p))
            for j, p in enumerate(self.required_people)
            if p not in leaders  # a chair also listed as a participant is one seat: the chair
        ]
        seats += [(f"required_roles[{j}]", s) for j, s in enumerate(self.required_roles)]
        if self.rota:
            seats.append(("rota", self.rota))
        return seats

    def headcount(self) -> int:
        """People a room must seat: every seat filled; optional attendees come only if there is room."""
        return sum(seat.count for _, seat in self.seats())

    @property
    def calendars(self) -> tuple[str, ...]:
        """The closed-day calendars it keeps (see `kept_calendars`)."""
        return kept_calendars(self.observes, self.observe_school_holidays)

    def window_on(self, weekday: Weekday) -> TimeRange | None:
        """The allowed span of the day, or None when the weekday is not allowed."""
        if weekday not in self.weekdays:
            return None
        return self.windows.get(weekday) or self.window or TimeRange(start=8 * 60, end=16 * 60)


class Planning(Strict):
    slot_minutes: int = Field(default=30, description="granularity of start times")
    time_limit_seconds: float = Field(default=60.0, gt=0, le=3600)
    workers: int = Field(default=2, ge=1, le=64)
    seed: int = Field(default=0, ge=0)
    deterministic: bool = Field(
        default=False,
        description="the same config and seed give the same plan: time_limit_seconds counts the "
        "solver's work units (about a second each) instead of seconds",
    )
    max_meetings_per_day: int | None = Field(
        default=None, ge=1, description="a soft cap on anyone's meetings in one day; None means none"
    )

    @field_validator("slot_minutes")
    @classmethod
    def _divides_hour(cls, value: int) -> int:
        if value not in (5, 10, 15, 20, 30, 60):
            raise ValueError("slot_minutes skal være 5, 10, 15, 20, 30 eller 60")
        return value


# --------------------------------------------------------------------------- BAL rollout


class BalTeam(Strict):
    """A team that takes the BAL course and is followed by one PPR facilitator through its phase.

    Its institution is a unit of the config, so its district and kind (skole, dagtilbud, klub)
    follow from that unit. Team members are not staff: course invitations go to the team address."""

    id: Identifier
    name: OneLine
    unit: Identifier = Field(description="the institution (a unit of the config)")
    size: int = Field(ge=1, le=60, description="people in the team, for the course sessions' capacity")
    leaders: bool = Field(default=False, description="a leader team (pædagogiske ledere): own course, first")
    email: Email | None = Field(default=None, description="the team's address for course invitations")


class BalCourse(Strict):
    """The shared course sessions ('kursusgange') of a round: teams meet in larger groups."""

    sessions: int = Field(
        default=3, ge=1, le=12, description="course sessions each team attends in its round"
    )
    minutes: int = Field(default=180, ge=30, le=480)
    capacity: int = Field(default=60, ge=1, le=500, description="people per course session")
    sites: list[Identifier] = Field(min_length=1, description="where course sessions can be held")
    weekdays: list[Weekday] = Field(default_factory=lambda: list(WORKDAYS))
    window: TimeRange | None = Field(default=None, description="time of day, e.g. 08:30-15:00")
    max_groups: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="course groups one round can hold (the course's teachers and rooms); none: as many "
        "as needed",
    )


class BalSequence(Strict):
    """A team's facilitated analyses in its round: one per step, every 2-4 weeks, after its course
    sessions begin ("vekselvirkning mellem kursus og træning")."""

    analyses: int = Field(default=6, ge=1, le=20, description="facilitated analyses per team (one per step)")
    minutes: int = Field(default=90, ge=15, le=480)
    min_gap_days: int = Field(default=14, ge=1, le=60)
    max_gap_days: int = Field(default=28, ge=1, le=90)
    after_course_sessions: int = Field(
        default=1, ge=0, le=12, description="course sessions the team has had before its first analysis"
    )
    weekdays: list[Weekday] = Field(default_factory=lambda: list(WORKDAYS))
    window: TimeRange | None = Field(default=None, description="time of day, e.g. 08:00-16:00")

    @model_validator(mode="after")
    def _gaps(self) -> BalSequence:
        if self.max_gap_days < self.min_gap_days:
            raise invalid("bal_gaps", "max_gap_days er mindre end min_gap_days")
        return self


class BalFacilitator(Strict):
    """A PPR employee of the staff list who facilitates BAL analyses, and the hours a week of
    their work that BAL may take (the rest stays for the meeting structure)."""

    person: Identifier
    hours_per_week: float = Field(gt=0, le=37, description="hours a week for BAL (analyses and travel)")
    base_site: Identifier | None = Field(
        default=None, description="where their trips start (PPR's office); none: no travel counted"
    )


class BalPriorities(Strict):
    leaders_first: bool = Field(default=True, description="hard: leader teams in the first round")
    max_teams_per_institution: int | None = Field(
        default=None, ge=1, description="hard: at most this many teams of one institution in one round"
    )


class BalProgramme(Strict):
    """The BAL rollout: every team through course and facilitated analyses over several rounds.

    A round is one term of the config, in order from `first_term`; rounds after the config's last
    term are planned as rounds only (team, facilitator, course group), with `round_weeks` weeks,
    until a term for them is added and its meetings can be placed in the joint model."""

    first_term: Identifier | None = Field(
        default=None, description="the first round's term; default the first"
    )
    max_rounds: int = Field(default=8, ge=1, le=20, description="the horizon: rounds the rollout may take")
    round_weeks: int = Field(
        default=18, ge=4, le=26, description="weeks of a round beyond the config's terms"
    )
    teams: list[BalTeam] = Field(min_length=1)
    facilitators: list[BalFacilitator] = Field(min_length=1)
    course: BalCourse
    leader_course: BalCourse | None = Field(default=None, description="the leader teams' own course")
    sequence: BalSequence = Field(default_factory=BalSequence)
    priorities: BalPriorities = Field(default_factory=BalPriorities)


class MunicipalityConfig(Strict):
    """Everything the planner needs for one municipality; loaded from YAML."""

    municipality: OneLine
    timezone: Literal["Europe/Copenhagen"] = "Europe/Copenhagen"
    language: Literal["da", "en"] = "da"
    extra_roles: dict[str, OneLine] = Field(default_factory=dict, description="role id -> Danish label")
    districts: list[District] = Field(min_length=1)
    sites: list[Site] = Field(min_length=1)
    units: list[Unit] = Field(min_length=1)
    travel: Travel = Field(default_factory=Travel)
    staff: list[Person] = Field(min_length=1)
    terms: list[Term] = Field(min_length=1)
    public_holidays: PublicHolidays = Field(default_factory=PublicHolidays)
    closed_calendars: dict[Identifier, ClosedCalendar] = Field(
        default_factory=dict,
        description="named closed-day calendars beside the built-in helligdage and skoleferie; "
        "a series keeps those in its 'observes'",
    )
    series: list[Series] = Field(min_length=1)
    weights: dict[str, Annotated[int, Field(ge=0, le=10_000)]] = Field(
        default_factory=dict, description="soft rule name -> weight; 0 turns the rule off"
    )
    planning: Planning = Field(default_factory=Planning)
    bal: BalProgramme | None = Field(default=None, description="the BAL course and facilitation rollout")


# --------------------------------------------------------------------------- the plan


class PlanStatus(StrEnum):
    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"
    PARTIAL = "PARTIAL"
    """some meetings could not be placed; the rest is a plan, the missing ones are in `unplaced`"""


PLANNED = frozenset({PlanStatus.OPTIMAL, PlanStatus.FEASIBLE, PlanStatus.PARTIAL})
"""The statuses of a plan that can be used (kept as a draft, verified, published): a PARTIAL plan
is a plan of the meetings it has."""


OPTIONAL_SEAT = "optional"
"""The seat key of an optional attendee (every other seat key names a seat of the series)."""


class Attendee(BaseModel):
    person: str
    role: str
    required: bool
    seat: str = Field(
        description="chair, minute_taker, required_people[j], required_roles[j], rota or optional"
    )
    joins_after_minutes: int | None = Field(
        default=None, ge=0, description="a partial seat: minutes after the start they join; none: at once"
    )
    leaves_after_minutes: int | None = Field(
        default=None, ge=0, description="a partial seat: minutes after the start they leave; none: at the end"
    )

    def span_in(self, meeting_minutes: int) -> tuple[int, int]:
        """(join, leave) in minutes after the start, as the plan records it: the whole meeting
        unless the attendee holds a partial seat."""
        joins = self.joins_after_minutes or 0
        leaves = meeting_minutes if self.leaves_after_minutes is None else self.leaves_after_minutes
        return joins, leaves


class Guest(BaseModel):
    """Someone outside the staff list at a one-off meeting (the family, a foster parent).

    Only a label such as 'familien' and an e-mail address; never a child's name or CPR number.
    """

    name: str
    email: Email | None = None
    team: str | None = Field(
        default=None,
        description="the BAL team whose address this is: it gets the invitation (a family's never does)",
    )


class Meeting(BaseModel):
    uid: str = Field(description="stable across plan versions: series, term and period index")
    series: str
    occurrence: int = Field(description="index of the cadence period within the term")
    title: str
    unit: str
    site: str
    start: datetime = Field(description="ISO 8601 with offset, Europe/Copenhagen")
    end: datetime
    attendees: list[Attendee]
    locked: bool = False
    room: str | None = Field(default=None, description="the room at the site, when the site has rooms")
    one_off: bool = Field(
        default=False, description="booked on its own (Familiemøde, follow-up), not part of a config series"
    )
    guests: list[Guest] = Field(default_factory=list, description="people from outside the staff list")

    def span_of(self, attendee: Attendee) -> tuple[datetime, datetime]:
        """When the attendee is there: the whole meeting, or their part of it (a partial seat)."""
        minutes = int((self.end - self.start).total_seconds() // 60)
        joins, leaves = attendee.span_in(minutes)
        return self.start + timedelta(minutes=joins), self.start + timedelta(minutes=leaves)


class SkippedPeriod(BaseModel):
    """A cadence period with no meeting, and why (an explicit exception, e.g. vinterferie)."""

    series: str
    occurrence: int
    period_start: date
    period_end: date
    reason: str


class UnplacedMeeting(BaseModel):
    """A meeting a PARTIAL plan could not place: its series, its cadence period, and why."""

    series: str
    title: str
    occurrence: int = Field(description="the period index, as `Meeting.occurrence`")
    period_start: date
    period_end: date
    reason_da: list[str] = Field(
        default_factory=list,
        description="why it cannot be placed, in Danish, naming the meeting, people and rules",
    )


class RuleCost(BaseModel):
    rule: str
    title_da: str
    level: Literal["hard", "soft"]
    weight: int
    violations: int = Field(description="how many times the rule was bent")
    cost: int = Field(description="weight x violations, this rule's share of the objective")


class PlanStats(BaseModel):
    meetings: int
    regularity_pct: float = Field(description="share of meetings on their series' usual weekday and time")
    continuity_pct: float = Field(description="share of role seats kept by the series' usual person")
    changed_meetings: int | None = Field(
        default=None, description="meetings that differ from the live plan the solve started from"
    )
    notified_people: int | None = Field(
        default=None, description="people attending a changed meeting before or after: who is told"
    )


class Plan(BaseModel):
    schema_version: Literal[1] = 1
    municipality: str
    term: str
    status: PlanStatus
    objective: float | None = None
    best_bound: float | None = None
    solve_seconds: float
    first_feasible_seconds: float | None = None
    rule_costs: list[RuleCost] = Field(default_factory=list)
    stats: PlanStats | None = None
    meetings: list[Meeting] = Field(default_factory=list)
    skipped: list[SkippedPeriod] = Field(default_factory=list)
    unplaced: list[UnplacedMeeting] = Field(
        default_factory=list, description="meetings a PARTIAL plan could not place, each with its reason"
    )
    explanation: list[str] = Field(default_factory=list, description="why there is no plan, in Danish")


# --------------------------------------------------------------------------- the BAL rollout plan


class BalAssignment(BaseModel):
    """One team's place in the rollout: its round, its facilitator (the same all through) and
    the course group it takes the shared course sessions with."""

    team: str
    round: int = Field(ge=1, description="1 is the first round")
    term: str | None = Field(description="the config term of the round; none beyond the config's terms")
    facilitator: str
    course_group: int = Field(ge=1, description="the team's course group in its round")


class BalRollout(BaseModel):
    """Which team in which round with which facilitator; every facilitated analysis of a round
    with a term becomes a meeting of that term's joint plan."""

    schema_version: Literal[1] = 1
    municipality: str
    status: PlanStatus
    rounds_used: int = Field(ge=0, description="rounds until every team is through")
    objective: float | None = None
    best_bound: float | None = None
    solve_seconds: float = 0.0
    assignments: list[BalAssignment] = Field(default_factory=list)
    waiting: list[str] = Field(default_factory=list, description="teams not through within max_rounds")
    facilitator_hours: dict[str, list[float]] = Field(
        default_factory=dict, description="facilitator -> hours of BAL per week in each round"
    )
    rule_costs: list[RuleCost] = Field(
        default_factory=list, description="per soft rollout rule: its count and share of the objective"
    )
    explanation: list[str] = Field(default_factory=list, description="in Danish")
