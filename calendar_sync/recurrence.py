"""A calendar item's rhythm as a typed value: what `calendar_sync.items` derives from a series.

`Recurrence` holds what the items actually produce — weekly every n weeks on a weekday, daily
on chosen weekdays, monthly on the n-th (or last) weekday — bounded by UNTIL (or COUNT). It is
made once, in `items`, and each back-end renders it in its own terms: iCalendar's RRULE
(`parts`, as icalendar's vRecur takes it), Exchange's weekly/relative-monthly patterns, Graph's
JSON pattern, the e-mail's Danish "hver anden tirsdag". `starts` is the one expansion of a rule
into instances (dateutil), used for EXDATE handling, Exchange's InstanceIndex and free/busy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from dateutil import rrule as du

from scheduler.term_dates import TZ

Frequency = Literal["DAILY", "WEEKLY", "MONTHLY"]
FREQUENCIES: tuple[Frequency, ...] = ("DAILY", "WEEKLY", "MONTHLY")
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
"""RFC 5545's weekday codes, Monday first as in `date.weekday()`."""

_DATEUTIL_FREQ = {"DAILY": du.DAILY, "WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY}
_PARTS = {"FREQ", "INTERVAL", "BYDAY", "BYSETPOS", "UNTIL", "COUNT"}


@dataclass(frozen=True)
class Recurrence:
    """An RRULE as the items use it. Weekdays count from Monday = 0."""

    frequency: Frequency
    weekdays: tuple[int, ...] = ()
    """BYDAY; empty means the weekday of the item's start"""
    interval: int = 1
    nth: int | None = None
    """MONTHLY: the n-th (1 … 5) or, negative, the last (-1) / next-to-last of `weekdays` in the month"""
    until: datetime | None = None
    """the last instance's start may not be later (aware; the items give it in UTC, as RFC 5545 asks)"""
    count: int | None = None

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"unsupported recurrence frequency {self.frequency!r}")
        if self.interval < 1:
            raise ValueError("a recurrence interval is at least 1")
        if any(not 0 <= day <= 6 for day in self.weekdays):
            raise ValueError(f"weekdays are 0 (Monday) … 6, not {self.weekdays}")
        if self.nth is not None and (self.frequency != "MONTHLY" or not 1 <= abs(self.nth) <= 5):
            raise ValueError(f"an n-th weekday ({self.nth}) needs a monthly rule and 1 ≤ |n| ≤ 5")
        if self.until is not None and self.until.utcoffset() is None:
            raise ValueError("a recurrence's UNTIL must be aware")

    # ------------------------------------------------------------------ from text and parts

    @classmethod
    def parse(cls, text: str, until: datetime | None = None) -> Recurrence:
        """'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU' (without UNTIL), bounded by `until`."""
        parts: dict[str, object] = {}
        for part in text.split(";"):
            key, _, value = part.partition("=")
            parts[key] = value.split(",") if "," in value else value
        if until is not None:
            parts["UNTIL"] = until
        return cls.from_parts(parts)

    @classmethod
    def from_parts(cls, parts: Mapping[str, object]) -> Recurrence:
        """From RRULE parts as vRecur takes them: the dict items carried before this type, as
        sync ledgers written then still hold it. Raises ValueError for what items never make."""
        upper = {key.upper(): value for key, value in parts.items()}
        for key in ("FREQ", "INTERVAL", "UNTIL", "COUNT"):  # vRecur.from_ical gives every part as a list
            value = upper.get(key)
            if isinstance(value, list | tuple) and len(value) == 1:
                upper[key] = value[0]
        unknown = set(upper) - _PARTS
        if unknown:
            raise ValueError(f"unsupported RRULE parts {sorted(unknown)}")
        frequency = str(upper.get("FREQ", "")).upper()
        if frequency not in FREQUENCIES:
            raise ValueError(f"unsupported recurrence frequency {frequency!r}")
        weekdays: list[int] = []
        nth: int | None = None
        for code in _codes(upper.get("BYDAY")):
            prefix, day = code[:-2], code[-2:].upper()
            if day not in DAY_CODES:
                raise ValueError(f"unknown weekday {code!r} in BYDAY")
            weekdays.append(DAY_CODES.index(day))
            if prefix:
                nth = int(prefix)
        positions = _codes(upper.get("BYSETPOS"))
        if positions and nth is None:
            nth = int(positions[0])
        until = upper.get("UNTIL")
        if until is not None and not isinstance(until, datetime):
            raise ValueError(f"UNTIL must be a datetime, not {until!r}")
        count = upper.get("COUNT")
        return cls(
            frequency=cast(Frequency, frequency),
            weekdays=tuple(weekdays),
            interval=int(str(upper.get("INTERVAL", 1))),
            nth=nth,
            until=until,
            count=None if count is None else int(str(count)),
        )

    # ------------------------------------------------------------------ rendering

    @property
    def codes(self) -> list[str]:
        """BYDAY as RFC 5545 writes it: 'TU', or '-1TU' for the last Tuesday of a month."""
        prefix = str(self.nth) if self.nth is not None else ""
        return [f"{prefix}{DAY_CODES[day]}" for day in self.weekdays]

    def parts(self) -> dict[str, object]:
        """The RRULE parts, as vRecur takes them and as fingerprints have always hashed them (so an
        existing ledger sees unchanged items as unchanged): INTERVAL always for a weekly rule and
        otherwise only when it is not 1; BYDAY one code as a string, several as a list."""
        parts: dict[str, object] = {"FREQ": self.frequency}
        if self.frequency == "WEEKLY" or self.interval != 1:
            parts["INTERVAL"] = self.interval
        codes = self.codes
        if codes:
            parts["BYDAY"] = codes[0] if len(codes) == 1 else codes
        if self.until is not None:
            parts["UNTIL"] = self.until
        if self.count is not None:
            parts["COUNT"] = self.count
        return parts

    def weekdays_or(self, start: datetime) -> tuple[int, ...]:
        """The rule's weekdays, or the start's weekday when it names none (as RFC 5545 reads it)."""
        return self.weekdays or (start.astimezone(TZ).weekday(),)

    # ------------------------------------------------------------------ expansion

    @property
    def bounded(self) -> bool:
        return self.until is not None or self.count is not None

    def starts(self, first: datetime, end: datetime | None = None) -> list[datetime]:
        """Every start of the rule from `first` (DTSTART) on, in Copenhagen wall time (so a
        13:00 meeting stays at 13:00 across the summer-time switch), up to UNTIL/COUNT and, if
        given, `end` (inclusive). An item's EXDATEs are not the rule's: they are in the list."""
        if end is None and not self.bounded:
            raise ValueError("an endless rule needs an end to be expanded")
        local = first.astimezone(TZ).replace(tzinfo=None)
        byweekday = [du.weekday(day, self.nth) if self.nth else du.weekday(day) for day in self.weekdays]
        rule = du.rrule(
            _DATEUTIL_FREQ[self.frequency],
            dtstart=local,
            interval=self.interval,
            byweekday=byweekday or None,
            until=None if self.until is None else self.until.astimezone(TZ).replace(tzinfo=None),
            count=self.count,
        )
        found = rule.between(local, end.astimezone(TZ).replace(tzinfo=None), inc=True) if end else list(rule)
        return [moment.replace(tzinfo=TZ) for moment in found]


def _codes(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in value.split(",") if part]
    if isinstance(value, list | tuple):
        return [str(part) for part in value]
    return [str(value)]
