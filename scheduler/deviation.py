"""What a meeting does differently from its series' usual rhythm, in words a leader recognises.

The one home of "is this meeting a deviation, and how": the summary, the web's meeting page and
the plan's regularity % (`regular_count`) all read it, so a meeting counted regular is never
listed as a deviation and the other way round. The usual pattern is the most common
(phase in period, weekday, start) of the series' meetings, as the regularity rule counts it
(`scheduler.term_dates.meeting_patterns`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.danish import weekday_da
from scheduler.model import CadenceKind, Meeting, MunicipalityConfig, Series, Term, format_clock
from scheduler.term_dates import (
    Pattern,
    Period,
    closed_days_for,
    local_shape,
    meeting_patterns,
    phase_of,
    series_periods,
)


@dataclass(frozen=True)
class Deviation:
    meeting: Meeting
    text_da: str
    """e.g. 'flyttet en uge pga. vinterferie', 'onsdag i stedet for tirsdag, kl. 13:00 i stedet for 12:30'"""


def usual_pattern(patterns: list[Pattern | None]) -> Pattern | None:
    """The series' usual shape: its most common pattern (the first such in plan order on a tie)."""
    counted = Counter(p for p in patterns if p is not None)
    return counted.most_common(1)[0][0] if counted else None


def regular_count(config: MunicipalityConfig, term: Term, series: Series, meetings: list[Meeting]) -> int:
    """How many of the meetings keep the usual pattern: the regularity % counts these."""
    return len(meetings) - len(deviations(config, term, series, meetings))


def deviations(
    config: MunicipalityConfig, term: Term, series: Series, meetings: list[Meeting]
) -> list[Deviation]:
    """The meetings off the series' usual pattern, each with what differs and, where the usual day
    of its period is closed, why."""
    patterns = meeting_patterns(config, term, series, [local_shape(m) for m in meetings])
    usual = usual_pattern(patterns)
    if usual is None:
        return []
    closed = closed_days_for(config, term, series)
    periods = series_periods(series, term, closed)
    holiday_names = {h.name for h in term.school_holidays}
    found = []
    for meeting, pattern in zip(meetings, patterns, strict=True):
        if pattern is None or pattern == usual:
            continue
        parts = _differences(series.cadence.kind, usual, pattern)
        usual_day = _usual_day(series.cadence.kind, usual, periods[meeting.occurrence])
        reason = closed.get(usual_day) if usual_day is not None else None
        text = ", ".join(parts)
        if reason:
            text += " pga. " + (_lower_first(reason) if reason in holiday_names else reason)
        found.append(Deviation(meeting, text))
    return found


def _differences(kind: CadenceKind, usual: Pattern, pattern: Pattern) -> list[str]:
    (usual_phase, usual_weekday, usual_start), (phase, weekday, start) = usual, pattern
    parts = []
    if phase != usual_phase:
        weeks = abs(phase - usual_phase)
        amount = "en uge" if weeks == 1 else f"{weeks} uger"
        parts.append(f"flyttet {amount}" + ("" if phase > usual_phase else " tidligere"))
    if weekday != usual_weekday and kind != CadenceKind.daily:
        parts.append(f"{weekday_da(weekday)} i stedet for {weekday_da(usual_weekday)}")
    if start != usual_start:
        parts.append(f"kl. {format_clock(start)} i stedet for {format_clock(usual_start)}")
    return parts


def _usual_day(kind: CadenceKind, usual: Pattern, period: Period) -> date | None:
    """The day of the period the usual pattern points at; None when there is no such day or the
    period is too long for one (a per_term slice spans months: 'the usual Tuesday' is no day)."""
    phase, weekday, _ = usual
    if kind == CadenceKind.daily:
        return period.start
    if kind == CadenceKind.per_term:
        return None
    days = (period.start + timedelta(days=i) for i in range((period.end - period.start).days + 1))
    return next((d for d in days if d.weekday() == weekday and phase_of(d, period, kind) == phase), None)


def _lower_first(text: str) -> str:
    """'Vinterferie' -> 'vinterferie': a school holiday is a common noun inside a sentence."""
    return text[:1].lower() + text[1:]
