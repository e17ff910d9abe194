"""An absence as people type it, read the way they mean it; and every message when it cannot be.

The one home of the absence form's and the API's field-level messages (Danish; English for the
web pages' English mode), so the API, the web form and any later general translator say the same.
Reading happens before pydantic sees the values, so no library's words reach a user.

- A time is a whole day (`2027-03-08`, `8/3 2027`, `8.3.2027`: from the start of that day; as the
  end, to the end of it, so `start: 2027-03-08, end: 2027-03-10` is three whole days), a local
  time in Copenhagen (`2027-03-08T09:00`, `2027-03-08 09:00`, `8/3 2027 kl. 9.00`), or a time
  with an offset (`2027-03-08T09:00+01:00`, `…Z`). A start that is a whole day needs no end.
- A person is found by id or by name (any case, any spacing); not found, the answer suggests the
  nearest names (`difflib`), never a list of ids.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from api.db import Conflict
from api.errors import BadInput
from scheduler.danish import long_date_da
from scheduler.model import MunicipalityConfig, Person
from scheduler.term_dates import TZ

FIELDS = ("person", "start", "end", "substitute", "reason")
"""The inputs of an absence, by their API names (the web form's fields have the same names)."""

LIMITS = {"person": 200, "start": 40, "end": 40, "substitute": 200, "reason": 1000}
"""The most characters each input may have."""

API_LABELS: dict[str, str] = {name: name for name in FIELDS}
"""How the JSON API names its fields in messages: by their keys, as the caller wrote them."""

# key -> (Danish, English); {label}, {start}, {end} are the fields' names as the caller sees them
MESSAGES: dict[str, tuple[str, str]] = {
    "empty_person": ("Skriv, hvem der er fraværende.", "Write who is absent."),
    "unknown_person": ("Ingen person hedder '{typed}'.", "Nobody is called '{typed}'."),
    "unknown_person_in": (
        "Ingen person hedder '{typed}' (i «{label}»).",
        "Nobody is called '{typed}' (in «{label}»).",
    ),
    "did_you_mean": ("Mente du {names}?", "Did you mean {names}?"),
    "ambiguous_person": (
        "Flere personer hedder '{typed}': {names}. Skriv den enes id.",
        "Several people are called '{typed}': {names}. Write the id of the one you mean.",
    ),
    "empty_start": (
        "Skriv, hvornår fraværet starter, fx 2027-03-08 (hele dagen) eller 2027-03-08 09:00.",
        "Write when the absence starts, e.g. 2027-03-08 (the whole day) or 2027-03-08 09:00.",
    ),
    "empty_end": (
        "Skriv, hvornår fraværet slutter: «{start}» har et klokkeslæt, så «{end}» skal også have et "
        "(eller skriv kun datoer for hele dage).",
        "Write when the absence ends: «{start}» has a time of day, so «{end}» needs one too (or "
        "write dates only for whole days).",
    ),
    "bad_time": (
        "«{label}»: '{typed}' er ikke en dato eller et tidspunkt. Skriv fx 2027-03-08, 8/3 2027 eller "
        "2027-03-08 09:00.",
        "«{label}»: '{typed}' is not a date or a time. Write e.g. 2027-03-08, 8/3 2027 or 2027-03-08 09:00.",
    ),
    "end_before_start": (
        "«{end}» ({end_value}) ligger før «{start}» ({start_value}); fraværet skal slutte, efter det "
        "starter.",
        "«{end}» ({end_value}) is before «{start}» ({start_value}); the absence must end after it starts.",
    ),
    "end_is_start": (
        "«{end}» er det samme tidspunkt som «{start}» ({start_value}); fraværet skal slutte, efter det "
        "starter.",
        "«{end}» is the same time as «{start}» ({start_value}); the absence must end after it starts.",
    ),
    "too_long": (
        "«{label}» må højst være {limit} tegn (der er {length}).",
        "«{label}» may be at most {limit} characters (it has {length}).",
    ),
    "outside_terms": (
        "Fraværet {span} ligger uden for alle terminer ({terms}).",
        "The absence {span} lies outside every term ({terms}).",
    ),
    "duplicate": (
        "Fraværet findes allerede (fravær nr. {id}, {span}); der er ikke oprettet et nyt.",
        "The absence already exists (absence no. {id}, {span}); no new one was made.",
    ),
    "covered": (
        "Fraværet er allerede registreret: det ligger inden for fravær nr. {id} ({span}); der er ikke "
        "oprettet et nyt.",
        "The absence is registered already: it lies within absence no. {id} ({span}); no new one was made.",
    ),
    "overlap_trimmed": (
        "Fraværet overlapper {others}; kun den nye del, {span}, er registreret.",
        "The absence overlaps {others}; only the new part, {span}, was registered.",
    ),
    "overlap_inside": (
        "Fraværet omslutter {others} og er ikke registreret: registrér delene uden for det hver for sig "
        "({parts}), eller tilføj dem til det eksisterende fravær.",
        "The absence surrounds {others} and was not registered: register the parts outside it one by "
        "one ({parts}).",
    ),
    "absence_no": ("fravær nr. {id} ({span})", "absence no. {id} ({span})"),
    "and": ("og", "and"),
    "or": ("eller", "or"),
}
"""Every message about an absence's input, in Danish and English."""


def message(key: str, lang: str = "da", **values: object) -> str:
    danish, english = MESSAGES[key]
    return (english if lang == "en" else danish).format(**values)


def _join(items: list[str], lang: str, word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {message(word, lang)} " + items[-1]


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input (`field` None: the absence as a whole)."""

    key: str
    field: str | None
    values: Mapping[str, object] = dataclasses.field(default_factory=dict)
    hint: tuple[str, Mapping[str, object]] | None = None
    """a second sentence, e.g. the 'did you mean'"""

    def text(self, lang: str = "da", labels: Mapping[str, str] = API_LABELS) -> str:
        names = {"label": labels.get(self.field or "", self.field or ""), **_field_names(labels)}
        values = {k: (v(lang) if callable(v) else v) for k, v in self.values.items()}
        out = message(self.key, lang, **names, **values)
        if self.hint is not None:
            key, more = self.hint
            out += " " + message(key, lang, **{k: (v(lang) if callable(v) else v) for k, v in more.items()})
        return out


def _field_names(labels: Mapping[str, str]) -> dict[str, str]:
    return {"start": labels.get("start", "start"), "end": labels.get("end", "end")}


class AbsenceInputError(BadInput):
    """Input for an absence that cannot be used (-> 422), every problem with its field; its detail
    is the first problem in Danish with the API's field names."""

    def __init__(self, problems: list[Problem]):
        self.list = problems
        texts = [p.text() for p in problems]
        super().__init__(texts[0], problems[0].field, texts if len(texts) > 1 else None)

    def texts(self, lang: str, labels: Mapping[str, str]) -> dict[str | None, str]:
        """field -> its message (the first per field), for a form that shows each beside its field."""
        out: dict[str | None, str] = {}
        for problem in self.list:
            out.setdefault(problem.field, problem.text(lang, labels))
        return out


class AbsenceConflict(Conflict, AbsenceInputError):
    """An absence that clashes with one already registered in a way we do not guess about (-> 409,
    by `Conflict`'s row in `api.errors`; the body is `AbsenceInputError`'s)."""


# --------------------------------------------------------------------------- times


@dataclass(frozen=True)
class Moment:
    """A typed time: the moment, and whether it was a whole day (a date without a time)."""

    at: datetime
    whole_day: bool

    @property
    def day(self) -> date:
        return self.at.astimezone(TZ).date()


_DANISH_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./\- ]\s*(\d{4})$")
_CLOCK = re.compile(r"^(?:kl\.?\s*)?(\d{1,2})[:.](\d{2})$")


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _danish_day(text: str) -> date | None:
    found = _DANISH_DATE.match(text)
    if not found:
        return None
    try:
        return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
    except ValueError:
        return None


def _clock(text: str) -> time | None:
    found = _CLOCK.match(text.strip())
    if not found:
        return None
    hour, minute = int(found.group(1)), int(found.group(2))
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _local(day: date, clock: time = time(0)) -> datetime:
    return datetime.combine(day, clock, TZ)


def read_moment(typed: str) -> Moment | None:
    """The moment `typed` means, or None when it is no date or time we read."""
    text = " ".join(typed.split())
    day = _parse_day(text) or _danish_day(text)
    if day is not None:
        return Moment(_local(day), True) if 1900 < day.year < 2200 else None
    # ISO with or without offset, 'T' or a space between date and time
    iso = text.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} ", text) else text
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is not None and "T" in iso:
        if not 1900 < parsed.year < 2200:
            return None
        return Moment(parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=TZ), False)
    # a Danish date and a clock: '8/3 2027 9:00', '8.3.2027 kl. 9.00'
    parts = re.match(r"^(\d{1,2}[./-]\d{1,2}[./\- ]\s*\d{4})[ ,T]+(.+)$", text)
    if parts:
        day, clock = _danish_day(parts.group(1)), _clock(parts.group(2))
        if day is not None and clock is not None and 1900 < day.year < 2200:
            return Moment(_local(day, clock), False)
    return None


def span_text(start: datetime, end: datetime) -> str:
    """'8/3 2027', '8/3-10/3 2027' for whole days; '8/3 2027 09:00-12:00', '8/3 2027 09:00-9/3 2027
    12:00' otherwise (the same numeric dates in Danish and English)."""
    a, b = start.astimezone(TZ), end.astimezone(TZ)
    if (a.hour, a.minute, b.hour, b.minute) == (0, 0, 0, 0):
        last = b.date() - timedelta(days=1)
        if last == a.date():
            return _numeric(a.date())
        first = f"{a.day}/{a.month}" if a.year == last.year else _numeric(a.date())
        return f"{first}-{_numeric(last)}"
    if a.date() == b.date():
        return f"{_numeric(a.date())} {a:%H:%M}-{b:%H:%M}"
    return f"{_numeric(a.date())} {a:%H:%M}-{_numeric(b.date())} {b:%H:%M}"


def _numeric(day: date) -> str:
    return f"{day.day}/{day.month} {day.year}"


def _moment_text(moment: datetime) -> str:
    local = moment.astimezone(TZ)
    return (
        _numeric(local.date())
        if (local.hour, local.minute) == (0, 0)
        else f"{_numeric(local.date())} {local:%H:%M}"
    )


@dataclass(frozen=True)
class Typed:
    """What the caller typed, every input a string ('' for nothing)."""

    person: str
    start: str
    end: str = ""
    substitute: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Read:
    """An absence read from what was typed: ids, aware times; `problems` if anything is wrong."""

    person: str | None
    start: datetime | None
    end: datetime | None
    substitute: str | None
    reason: str | None
    problems: list[Problem]


def read_span(
    start_typed: str, end_typed: str, problems: list[Problem]
) -> tuple[datetime | None, datetime | None]:
    """(start, end) of the typed absence, or None where a problem was added."""
    start_text, end_text = start_typed.strip(), end_typed.strip()
    start = read_moment(start_text) if start_text else None
    if not start_text:
        problems.append(Problem("empty_start", "start"))
    elif start is None:
        problems.append(Problem("bad_time", "start", {"typed": start_text}))
    end: Moment | None = None
    if end_text:
        end = read_moment(end_text)
        if end is None:
            problems.append(Problem("bad_time", "end", {"typed": end_text}))
    elif start is not None and not start.whole_day:
        problems.append(Problem("empty_end", "end"))
    if start is None or (end is None and (end_text or not start.whole_day)):
        return None, None
    first = start.at
    if end is None:  # a whole day alone: that day
        last = _local(start.day + timedelta(days=1))
    elif end.whole_day:  # the end date is included: to the end of that day
        last = _local(end.day + timedelta(days=1))
    else:
        last = end.at
    if last < first or (last == first and not (end and end.whole_day)):
        key = "end_before_start" if last < first else "end_is_start"
        shown_end = end.at if end is not None else last
        values = {"start_value": _moment_text(first), "end_value": _moment_text(shown_end)}
        problems.append(Problem(key, "end", values))
        return None, None
    return first, last


# --------------------------------------------------------------------------- people


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def find_person(
    config: MunicipalityConfig, typed: str, field_name: str, problems: list[Problem]
) -> str | None:
    """The id of the person `typed` names (an id, or a name in any case), or None with a problem."""
    text = " ".join(typed.split())
    if not text:
        problems.append(Problem("empty_person", field_name))
        return None
    people: list[Person] = list(config.staff)
    by_id = {p.id: p for p in people}
    if text in by_id:
        return text
    key = text.casefold()
    found = [p for p in people if _words(p.name) == key or p.id.casefold() == key]
    if len(found) == 1:
        return found[0].id
    if len(found) > 1:
        both = ", ".join(f"{p.name} ({p.id})" for p in found)
        problems.append(Problem("ambiguous_person", field_name, {"typed": text, "names": both}))
        return None
    names = {_words(p.name): p.name for p in people}
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
    unknown = "unknown_person" if field_name == "person" else "unknown_person_in"
    hint = None
    if close:
        suggestions = [names[c] for c in close]
        hint = ("did_you_mean", {"names": lambda lang: _join(suggestions, lang, "or")})
    problems.append(Problem(unknown, field_name, {"typed": text}, hint))
    return None


def check_lengths(typed: Typed, problems: list[Problem]) -> None:
    for name in FIELDS:
        value = getattr(typed, name)
        if len(value) > LIMITS[name]:
            problems.append(Problem("too_long", name, {"limit": LIMITS[name], "length": len(value)}))


def read_typed(config: MunicipalityConfig | None, typed: Typed) -> Read:
    """Everything a typed absence says that needs no database: lengths, times, person, substitute.

    Without a config (nothing uploaded yet) the person is taken as typed."""
    problems: list[Problem] = []
    check_lengths(typed, problems)
    long = {p.field for p in problems}
    person = substitute = None
    if "person" not in long:
        if config is None:
            person = " ".join(typed.person.split()) or None
            if person is None:
                problems.append(Problem("empty_person", "person"))
        else:
            person = find_person(config, typed.person, "person", problems)
    start = end = None
    if not {"start", "end"} & long:
        start, end = read_span(typed.start, typed.end, problems)
    if typed.substitute.strip() and "substitute" not in long:
        if config is None:
            substitute = typed.substitute.strip()
        else:
            substitute = find_person(config, typed.substitute, "substitute", problems)
    reason = typed.reason.strip() or None
    return Read(person, start, end, substitute, reason, problems)


def outside_terms(config: MunicipalityConfig, start: datetime, end: datetime) -> Problem | None:
    """A problem if no day of the absence lies in a term of the config."""
    first = start.astimezone(TZ).date()
    last = (end - timedelta(microseconds=1)).astimezone(TZ).date()
    if any(t.start <= last and first <= t.end for t in config.terms):
        return None
    terms = "; ".join(
        f"{t.name}: {long_date_da(t.start, weekday=False, year=t.start.year != t.end.year)}–"
        f"{long_date_da(t.end, weekday=False)}"
        for t in sorted(config.terms, key=lambda t: t.start)
    )
    return Problem("outside_terms", "start", {"span": span_text(start, end), "terms": terms})


def absence_no(absence_id: int, start: datetime, end: datetime) -> object:
    """'fravær nr. 3 (8/3-10/3 2027)', in the reader's language when rendered."""
    return lambda lang: message("absence_no", lang, id=absence_id, span=span_text(start, end))


def absences_no(items: list[tuple[int, datetime, datetime]]) -> object:
    return lambda lang: _join(
        [message("absence_no", lang, id=i, span=span_text(a, b)) for i, a, b in items], lang
    )


# --------------------------------------------------------------------------- the web form's words

FORM_TEXTS: dict[str, tuple[str, str]] = {
    "reason": ("Begrundelse", "Reason"),
    "person_hint": ("Navn eller id, fx Psykolog A", "Name or id, e.g. Psykolog A"),
    "time_hint": (
        "En dato (hele dagen), eller dato og klokkeslæt: fx 2027-03-08, 8/3 2027 eller 2027-03-08 09:00. "
        "Kun datoer: hele dage, begge dage med.",
        "A date (the whole day), or a date and a time: e.g. 2027-03-08, 8/3 2027 or 2027-03-08 09:00. "
        "Dates only: whole days, both included.",
    ),
    "see_absence": ("Se fraværet", "See the absence"),
    "form_problems": ("Fraværet er ikke registreret:", "The absence was not registered:"),
}
"""The absence form's own words beside `api.web.i18n`'s (field labels are i18n's)."""


def form_text(key: str, lang: str) -> str:
    danish, english = FORM_TEXTS[key]
    return english if lang == "en" else danish
