"""The Danish a user reads about dates and times: one home for weekday and month names and the
phrases built from them, used by the CLI, e-mail, the web pages and the explanations.

Names come from CLDR (Babel), so no hand-written tables drift apart. The config's short
weekday codes (`tue`) are not user text: they are `scheduler.model.Weekday`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from scheduler.model import CadenceKind, Weekday, format_clock
from scheduler.term_dates import TZ

_DA = Locale("da")

WEEKDAY_DA: tuple[str, ...] = tuple(str(_DA.days["format"]["wide"][i]) for i in range(7))
"""'mandag' … 'søndag', Monday first as in `date.weekday()`."""
MONTH_DA: tuple[str, ...] = tuple(str(_DA.months["format"]["wide"][i]) for i in range(1, 13))
"""'januar' … 'december'."""


def weekday_da(day: Weekday | date | int) -> str:
    """'tirsdag' for `Weekday.tue`, a date on a Tuesday, or 1."""
    if isinstance(day, Weekday):
        return WEEKDAY_DA[day.number]
    if isinstance(day, date):
        return WEEKDAY_DA[day.weekday()]
    return WEEKDAY_DA[day]


def join_da(items: list[str]) -> str:
    """'a, b og c'"""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def plural_da(n: int, one: str, many: str) -> str:
    """'1 møde', '3 møder', '1.200 møder' (CLDR's Danish plural rule and digits)."""
    return plural_text_da(n, (f"{{n}} {one}", f"{{n}} {many}"))


def plural_text_da(n: int, forms: tuple[str, str]) -> str:
    """A phrase with '{n}' in its singular and plural form, e.g. ('{n} møde ligger …',
    '{n} møder ligger …'), said for n."""
    one, many = forms
    return (one if _DA.plural_form(n) == "one" else many).format(n=number_da(n, 0))


def number_da(value: float, decimals: int = 1) -> str:
    """'12,5', '1.234,5': decimal comma and thousands dot, as CLDR writes Danish."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, pattern, locale=_DA)


def genitive_da(name: str) -> str:
    """'Psykolog As', 'Mads'' (a name ending in s, x or z takes only an apostrophe)."""
    return f"{name}'" if name[-1:].lower() in "sxz" else f"{name}s"


def month_day_da(day: date) -> str:
    """'12. jan.', '3. maj': CLDR's abbreviated month, for lists of dates."""
    return format_date(day, "d. MMM", locale=_DA)


def short_date_da(day: date) -> str:
    """'9/3'."""
    return f"{day.day}/{day.month}"


def numeric_date_da(day: date) -> str:
    """'tirsdag 9/3 2027'."""
    return f"{weekday_da(day)} {day.day}/{day.month} {day.year}"


def long_date_da(day: date, weekday: bool = True, year: bool = True) -> str:
    """'tirsdag 9. marts 2027'; without weekday '9. marts 2027'; without year 'tirsdag 9. marts'."""
    text = f"{day.day}. {MONTH_DA[day.month - 1]}"
    if year:
        text += f" {day.year}"
    return f"{weekday_da(day)} {text}" if weekday else text


def clock_da(value: datetime) -> str:
    """'13:30', local time."""
    local = value.astimezone(TZ)
    return format_clock(local.hour * 60 + local.minute)


def when_da(value: datetime) -> str:
    """'tirsdag 9/3 kl. 13:30', local time."""
    local = value.astimezone(TZ)
    return f"{weekday_da(local.date())} {short_date_da(local.date())} kl. {clock_da(local)}"


def span_da(start: datetime, end: datetime) -> str:
    """'tirsdag 14/9' or '14/9-17/9' for whole days; 'fra … til …' with clock times otherwise."""
    a, b = start.astimezone(TZ), end.astimezone(TZ)
    if (a.hour, a.minute, b.hour, b.minute) == (0, 0, 0, 0):
        last = b.date() - timedelta(days=1)
        if last == a.date():
            return f"{weekday_da(a.date())} {short_date_da(a.date())}"
        return f"{short_date_da(a.date())}-{short_date_da(last)}"
    return f"fra {when_da(start)} til {when_da(end)}"


def part_da(start: datetime, end: datetime, joins: datetime, leaves: datetime) -> str:
    """The part of a meeting (start-end) someone attends, from `joins` to `leaves`:
    'kl. 14:15-15:00, de sidste 45 minutter', '… de første 30 minutter', or
    'kl. 13:30-14:15, 45 minutter fra kl. 13:30'."""
    minutes = int((leaves - joins).total_seconds() // 60)
    if joins == start:
        which = f"de første {minutes} minutter"
    elif leaves == end:
        which = f"de sidste {minutes} minutter"
    else:
        which = f"{minutes} minutter fra kl. {clock_da(joins)}"
    return f"kl. {clock_da(joins)}-{clock_da(leaves)}, {which}"


def date_range_da(first: date, last: date) -> str:
    """'9/3' or '9/3-12/3'."""
    return short_date_da(first) if first == last else f"{short_date_da(first)}-{short_date_da(last)}"


_ORDINAL_DA = {
    1: "første",
    2: "anden",
    3: "tredje",
    4: "fjerde",
    5: "femte",
    6: "sjette",
    7: "syvende",
    8: "ottende",
}
_ORDINAL_FROM_END_DA = {1: "sidste", 2: "næstsidste"}


def ordinal_da(n: int) -> str:
    """'anden' for 2 ('hver anden tirsdag'), '10.' for 10; counted from the end for negative n:
    'sidste' for -1, 'næstsidste' for -2, '3. sidste' for -3."""
    if n < 0:
        return _ORDINAL_FROM_END_DA.get(-n, f"{-n}. sidste")
    return _ORDINAL_DA.get(n, f"{n}.")


def period_da(kind: CadenceKind, first: date, last: date) -> str:
    """A series' cadence period as people say it: 'uge 10', 'uge 10-11' (a fortnight), 'marts',
    'tirsdag 9. marts' (a day), '4/1-28/2' (a share of the term)."""
    if kind in (CadenceKind.weekly, CadenceKind.fortnightly, CadenceKind.every_n_weeks):
        a, b = first.isocalendar().week, last.isocalendar().week
        return f"uge {a}" if a == b else f"uge {a}-{b}"
    if kind == CadenceKind.monthly:
        return MONTH_DA[first.month - 1]
    if kind == CadenceKind.daily:
        return long_date_da(first, year=False)
    return date_range_da(first, last)


BEST_POSSIBLE_DA = "bevist bedst mulige"
"""A plan the solver proved optimal, as a leader reads it."""
DISTANCE_DA = "højst {pct} % fra det bedst mulige"
"""A plan with a valid lower bound: (objective − bound) / objective, an upper limit on how much
better a plan can be (no plan costs less than the bound)."""


def distance_pct(status: str | None, objective: float | None, bound: float | None) -> float | None:
    """How far at most a plan is from the best possible, in per cent; None where that is not known
    to be true: only a FEASIBLE plan (a running solve's plans are) with a bound above 0 and at most
    its objective (a bound of 0 says nothing; an OPTIMAL plan is the best, see `distance_da`)."""
    if status != "FEASIBLE" or objective is None or bound is None:
        return None
    if not (0 < bound <= objective):
        return None
    return 100 * (objective - bound) / objective


def distance_da(status: str | None, objective: float | None, bound: float | None) -> str | None:
    """'bevist bedst mulige' for an OPTIMAL plan, 'højst 12,3 % fra det bedst mulige' for a
    FEASIBLE one with a valid bound, else None (say nothing about the distance)."""
    if status == "OPTIMAL":
        return BEST_POSSIBLE_DA
    pct = distance_pct(status, objective, bound)
    return None if pct is None else DISTANCE_DA.format(pct=number_da(pct))
