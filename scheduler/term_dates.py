"""Dates of a term: which days are closed (the named calendars a series keeps: helligdage, school
holidays, e.g. day-care closure days) and the cadence periods.

A series is planned as one meeting per *period*: a week, a fortnight, a month, an N-th of the
term. A period whose days are all closed has no meeting, nor does a holiday fortnight whose
closed week is the series' own (`Period.optional`), and that exception is reported
(`SkippedPeriod`), so "every other Tuesday" can be kept and its gaps explained.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from scheduler.model import (
    DEFAULT_CALENDARS,
    HELLIGDAGE,
    SKOLEFERIE,
    CadenceKind,
    Holiday,
    Meeting,
    MunicipalityConfig,
    Series,
    Term,
    Weekday,
)

TZ = ZoneInfo("Europe/Copenhagen")


@cache
def danish_public_holidays(year: int, include_optional: bool) -> dict[date, str]:
    """Helligdage with Danish names; 'optional' adds Grundlovsdag, juleaften, nytårsaften, 1. maj."""
    categories = ("public", "optional") if include_optional else ("public",)
    found = holidays_lib.country_holidays("DK", years=year, language="da", categories=categories)
    return dict(found.items())


def closed_days(
    config: MunicipalityConfig, term: Term, calendars: Iterable[str] = DEFAULT_CALENDARS
) -> dict[date, str]:
    """Every day of the term closed in one of the named calendars, with the day's name.

    `helligdage` (public holidays and `public_holidays.extra`) names a day first, then the other
    calendars in the order given; `skoleferie` is the terms' school holidays, any other name a
    calendar of `closed_calendars` (an unknown name closes nothing: the config check reports it).
    """
    closed: dict[date, str] = {}
    wanted = list(dict.fromkeys(calendars))
    if HELLIGDAGE in wanted:
        for year in range(term.start.year, term.end.year + 1):
            for day, name in danish_public_holidays(year, config.public_holidays.include_optional).items():
                if term.start <= day <= term.end:
                    closed[day] = name
        for extra in config.public_holidays.extra:
            if term.start <= extra.date <= term.end:
                closed[extra.date] = extra.name
    for calendar in wanted:
        for span in _calendar_spans(config, calendar, [term]):
            day = max(span.start, term.start)
            while day <= min(span.end, term.end):
                closed.setdefault(day, span.name)
                day += timedelta(days=1)
    return closed


def _calendar_spans(config: MunicipalityConfig, calendar: str, terms: Iterable[Term]) -> list[Holiday]:
    """The closed spans of a calendar other than helligdage: school holidays of these terms, or
    the days of a named calendar."""
    if calendar == SKOLEFERIE:
        return [holiday for term in terms for holiday in term.school_holidays]
    named = config.closed_calendars.get(calendar)
    return list(named.days) if named is not None else []


def closed_reason(
    config: MunicipalityConfig, day: date, calendars: Iterable[str] = DEFAULT_CALENDARS
) -> str | None:
    """Why a day has no meetings in these calendars (a helligdag, an extra closed day, a school
    holiday of any term, a named calendar's day), or 'weekend'.

    For one-off meetings, which are not tied to one term: a follow-up every six weeks for a year
    crosses terms and the summer holiday between them.
    """
    wanted = list(dict.fromkeys(calendars))
    if HELLIGDAGE in wanted:
        public = danish_public_holidays(day.year, config.public_holidays.include_optional)
        if day in public:
            return public[day]
        for extra in config.public_holidays.extra:
            if extra.date == day:
                return extra.name
    for calendar in wanted:
        for span in _calendar_spans(config, calendar, config.terms):
            if span.start <= day <= span.end:
                return span.name
    if SKOLEFERIE in wanted:
        gap = between_terms(config, day)
        if gap is not None:
            return gap
    if day.weekday() >= 5:
        return "weekend"
    return None


def between_terms(config: MunicipalityConfig, day: date) -> str | None:
    """'skoleferie mellem Forår 2027 og Efterår 2027' for a day after one term and before the next
    (the summer and Christmas holidays, which no term lists as its own), else None."""
    terms = sorted(config.terms, key=lambda t: t.start)
    for before, after in zip(terms, terms[1:], strict=False):
        if before.end < day < after.start:
            return f"skoleferie mellem {before.name} og {after.name}"
    return None


def beyond_terms(config: MunicipalityConfig, day: date) -> str | None:
    """Why the school holidays of a day are not known: it lies before the first term or after the
    last one ('efter den sidste termin, Efterår 2027, der slutter 17/12 2027'), else None."""
    if not config.terms:
        return None
    first = min(config.terms, key=lambda t: t.start)
    last = max(config.terms, key=lambda t: t.end)
    if day > last.end:
        return f"efter den sidste termin, {last.name}, der slutter {_numeric(last.end)}"
    if day < first.start:
        return f"før den første termin, {first.name}, der begynder {_numeric(first.start)}"
    return None


def _numeric(day: date) -> str:
    """'17/12 2027' (`scheduler.danish` imports this module, so it cannot be used here)."""
    return f"{day.day}/{day.month} {day.year}"


def closed_days_for(config: MunicipalityConfig, term: Term, series: Series) -> dict[date, str]:
    """The closed days of the term in the calendars the series keeps (`Series.calendars`)."""
    return closed_days(config, term, series.calendars)


def term_days(term: Term) -> list[date]:
    return [term.start + timedelta(days=i) for i in range((term.end - term.start).days + 1)]


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Period:
    """One cadence period of a series: at most one meeting, on one of `days`."""

    index: int
    start: date
    end: date
    days: tuple[date, ...]
    """open days in the period on which the series may meet (weekday allowed, not closed)"""
    phase_origin: date
    """the day phases are counted from: the period's first Monday, or the 1st of the month"""
    holidays: tuple[str, ...] = ()
    """names of the closed days on the series' weekdays in the period: the gaps beside it may
    widen by the cadence's `holiday_shift_days`"""
    optional: bool = False
    """a fortnight (or longer period) with a whole closed week: its meeting is held in the open
    week when the series' rhythm falls there, else the period is skipped (`SkippedPeriod`)"""


def series_periods(series: Series, term: Term, closed: dict[date, str]) -> list[Period]:
    """Split the term into the series' cadence periods and list the usable days of each."""
    cadence = series.cadence
    spans: list[tuple[date, date, date]] = []  # (start, end, phase origin)
    first_monday = week_monday(term.start)
    if cadence.kind in (CadenceKind.weekly, CadenceKind.fortnightly, CadenceKind.every_n_weeks):
        weeks = {CadenceKind.weekly: 1, CadenceKind.fortnightly: 2}.get(cadence.kind, cadence.n or 1)
        start = first_monday
        while start <= term.end:
            spans.append((start, start + timedelta(days=7 * weeks - 1), start))
            start += timedelta(days=7 * weeks)
    elif cadence.kind == CadenceKind.monthly:
        start = term.start.replace(day=1)
        while start <= term.end:
            nxt = (start + timedelta(days=32)).replace(day=1)
            spans.append((start, nxt - timedelta(days=1), start))
            start = nxt
    elif cadence.kind == CadenceKind.daily:
        spans = [(d, d, d) for d in term_days(term)]
    else:  # per_term: count equal slices of the term
        count = cadence.count or 1
        total = (term.end - term.start).days + 1
        for k in range(count):
            a = term.start + timedelta(days=math.floor(k * total / count))
            b = term.start + timedelta(days=math.floor((k + 1) * total / count) - 1)
            spans.append((a, b, week_monday(a)))

    allowed = {wd.number for wd in series.weekdays}
    periods: list[Period] = []
    for start, end, origin in spans:
        inside_start, inside_end = max(start, term.start), min(end, term.end)
        span_len = (end - start).days + 1
        inside_len = (inside_end - inside_start).days + 1
        if cadence.kind != CadenceKind.daily and inside_len * 2 < span_len:
            continue  # a period mostly outside the term belongs to the neighbouring term
        inside = (inside_start + timedelta(days=i) for i in range(inside_len))
        weekdays = [d for d in inside if d.weekday() in allowed]
        days = tuple(d for d in weekdays if d not in closed)
        if cadence.kind == CadenceKind.daily and not days and (start.weekday() not in allowed):
            continue  # weekends are not periods of a daily series
        # "every other Tuesday" meets in a holiday fortnight only if its week is open: the solver
        # may leave the meeting out (the cadence's gaps rule out the other week)
        optional = bool(days) and cadence.skips_holiday_weeks and _has_closed_week(weekdays, closed)
        holidays = tuple(sorted({closed[d] for d in weekdays if d in closed}))
        periods.append(Period(len(periods), inside_start, inside_end, days, origin, holidays, optional))
    return periods


def _has_closed_week(weekdays: list[date], closed: dict[date, str]) -> bool:
    """Whether some week of the period has the series' weekdays in the term, all of them closed.

    Then a series whose rhythm falls in that week cannot meet: a meeting in the period's other
    week would be a week off its rhythm, so its meeting may be left out (`Period.optional`)."""
    by_week: dict[date, list[bool]] = {}
    for day in weekdays:
        by_week.setdefault(week_monday(day), []).append(day in closed)
    return any(all(flags) for flags in by_week.values())


def skip_reason(period: Period, closed: dict[date, str], series: Series) -> str:
    """Why a period has no usable day, in Danish."""
    names = sorted(
        {
            closed[d]
            for d in (period.start + timedelta(days=i) for i in range((period.end - period.start).days + 1))
            if d in closed and Weekday.of(d) in series.weekdays
        }
    )
    return "udgår: " + (", ".join(names) if names else "ingen tilladte ugedage i perioden")


def phase_of(day: date, period: Period, kind: CadenceKind) -> int:
    """Where in its period a day lies, for regularity: week number, or n-th weekday of the month."""
    if kind == CadenceKind.monthly:
        return min((day.day - 1) // 7, 3)
    if kind in (CadenceKind.fortnightly, CadenceKind.every_n_weeks):
        return (day - period.phase_origin).days // 7
    return 0


Pattern = tuple[int, int, int]


def pattern_of(day: date, start: int, period: Period, kind: CadenceKind) -> Pattern:
    """(phase in period, weekday, start): the shape a regular series repeats all term."""
    if kind == CadenceKind.daily:
        return (0, 0, start)
    return (phase_of(day, period, kind), day.weekday(), start)


def local_shape(meeting: Meeting) -> tuple[int, date, int]:
    """(period index, local date, local start minute) of a meeting, for `meeting_patterns`."""
    start = meeting.start.astimezone(TZ)
    return meeting.occurrence, start.date(), start.hour * 60 + start.minute


def meeting_patterns(
    config: MunicipalityConfig, term: Term, series: Series, meetings: list[tuple[int, date, int]]
) -> list[Pattern | None]:
    """Patterns of a series' meetings, given as (period index, local date, local start minute).

    Used to read regularity back from a plan the way the regularity rule counts it, so the
    summary's exceptions and the plan's regularity % agree with the objective."""
    periods = series_periods(series, term, closed_days_for(config, term, series))
    return [
        pattern_of(day, start, periods[index], series.cadence.kind) if 0 <= index < len(periods) else None
        for index, day, start in meetings
    ]


def local_datetime(day: date, minute_of_day: int) -> datetime:
    """A wall-clock time in Copenhagen; 13:00 stays 13:00 across summer time."""
    return datetime(day.year, day.month, day.day, minute_of_day // 60, minute_of_day % 60, tzinfo=TZ)


def open_weeks(config: MunicipalityConfig, term: Term, calendars: Iterable[str] = DEFAULT_CALENDARS) -> int:
    """Weeks of the term with at least one open weekday (not a helligdag or school holiday): the
    weeks in which term work such as a BAL round's analyses can happen."""
    closed = closed_days(config, term, calendars)
    return len({week_monday(d) for d in term_days(term) if d.weekday() < 5 and d not in closed})
