"""The Danish summary a district leader reads after planning: series by district, load by specialist."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from scheduler.calendar import week_monday
from scheduler.config import series_title
from scheduler.model import (
    CadenceKind,
    Meeting,
    MunicipalityConfig,
    Plan,
    Series,
    Weekday,
    format_clock,
)
from scheduler.roles import SPECIALIST_ROLES

MONTHS_DA = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]

CADENCE_DA = {
    CadenceKind.daily: "hver dag",
    CadenceKind.weekly: "hver",
    CadenceKind.fortnightly: "hver anden",
    CadenceKind.monthly: "en gang om måneden,",
}


def short_date(day: date) -> str:
    return f"{day.day}. {MONTHS_DA[day.month - 1]}"


def _clock(m: Meeting) -> str:
    start = m.start.hour * 60 + m.start.minute
    end = m.end.hour * 60 + m.end.minute
    return f"{format_clock(start)}-{format_clock(end)}"


def series_line(config: MunicipalityConfig, series: Series, meetings: list[Meeting]) -> str:
    """The usual shape, the dates and the exceptions, e.g.

    'hver anden tirsdag 13:00-15:00 · 9 møder: 12. jan, 26. jan, … (afvigelser: 9. mar onsdag 12:30-14:30)'
    """
    daily = series.cadence.kind == CadenceKind.daily
    shapes = Counter((None if daily else Weekday.of(m.start.date()), _clock(m)) for m in meetings)
    (weekday, clock), _ = shapes.most_common(1)[0]
    how = CADENCE_DA.get(series.cadence.kind, "")
    if series.cadence.kind == CadenceKind.every_n_weeks:
        how = f"hver {series.cadence.n}. uge,"
    elif series.cadence.kind == CadenceKind.per_term:
        how = f"{series.cadence.count} gange i terminen,"
    usual = f"{how} {weekday.danish if weekday else ''} {clock}".replace("  ", " ").strip()
    exceptions = [
        f"{short_date(m.start.date())} {Weekday.of(m.start.date()).danish} {_clock(m)}"
        for m in meetings
        if ((None if daily else Weekday.of(m.start.date())), _clock(m)) != (weekday, clock)
    ]
    dates = ", ".join(short_date(m.start.date()) for m in meetings)
    text = f"{usual} · {len(meetings)} møder"
    if not daily:
        text += f": {dates}"
    if exceptions:
        shown = ", ".join(exceptions[:6]) + (" …" if len(exceptions) > 6 else "")
        text += f" (afvigelser: {shown})"
    return text


def render_summary(config: MunicipalityConfig, plan: Plan) -> str:
    lines: list[str] = []
    term = next(t for t in config.terms if t.id == plan.term)
    status_da = {"OPTIMAL": "optimal", "FEASIBLE": "gyldig (ikke bevist optimal)"}.get(
        plan.status.value, plan.status.value
    )
    lines.append(f"Mødeplan for {config.municipality}, {term.name}: {status_da}")
    if plan.stats:
        lines.append(
            f"{plan.stats.meetings} møder · regelmæssighed {plan.stats.regularity_pct:.1f} % · "
            f"kontinuitet {plan.stats.continuity_pct:.1f} % · løst på {plan.solve_seconds:.1f} s"
        )
    by_series: dict[str, list[Meeting]] = defaultdict(list)
    for m in plan.meetings:
        by_series[m.series].append(m)
    units = {u.id: u for u in config.units}
    sites = {s.id: s for s in config.sites}
    skipped_by_series: dict[str, list[str]] = defaultdict(list)
    for s in plan.skipped:
        skipped_by_series[s.series].append(
            f"{short_date(s.period_start)} ({s.reason.removeprefix('udgår: ')})"
        )

    for district in config.districts:
        lines.append("")
        lines.append(f"Distrikt {district.name}")
        for series in config.series:
            unit = units[series.unit]
            if district.id not in unit.districts or series.id not in by_series:
                continue
            if len(unit.districts) > 1 and unit.districts[0] != district.id:
                lines.append(f"  {series_title(config, series)}: se distrikt {unit.districts[0]}")
                continue
            meetings = by_series[series.id]
            site = sites[meetings[0].site].name
            lines.append(f"  {series_title(config, series)} ({site})")
            lines.append(f"    {series_line(config, series, meetings)}")
            if skipped_by_series[series.id]:
                lines.append(f"    udgår: {', '.join(skipped_by_series[series.id][:5])}")
    others = [s for s in config.series if not units[s.unit].districts and s.id in by_series]
    if others:
        lines.append("")
        lines.append("Fælles for alle distrikter")
        for series in others:
            lines.append(f"  {series_title(config, series)}")
            lines.append(f"    {series_line(config, series, by_series[series.id])}")

    lines.append("")
    lines.append("Specialister: møder i alt · timer pr. uge (gennemsnit / travleste uge)")
    lines.extend(_specialist_lines(config, plan))
    costs = [c for c in plan.rule_costs if c.cost]
    if costs:
        lines.append("")
        lines.append("Bløde regler, der er bøjet: " + ", ".join(f"{c.title_da} {c.cost}" for c in costs))
    return "\n".join(lines)


def _specialist_lines(config: MunicipalityConfig, plan: Plan) -> list[str]:
    term = next(t for t in config.terms if t.id == plan.term)
    weeks = max(1, ((week_monday(term.end) - week_monday(term.start)).days // 7) + 1)
    minutes: dict[str, Counter[date]] = defaultdict(Counter)
    counts: Counter[str] = Counter()
    for m in plan.meetings:
        length = int((m.end - m.start).total_seconds() // 60)
        for a in m.attendees:
            counts[a.person] += 1
            minutes[a.person][week_monday(m.start.date())] += length
    lines = []
    for person in config.staff:
        if not SPECIALIST_ROLES & set(person.roles) or not counts[person.id]:
            continue
        per_week = minutes[person.id]
        average = sum(per_week.values()) / 60 / weeks
        busiest = max(per_week.values()) / 60
        lines.append(
            f"  {person.name:<40} {counts[person.id]:>3} møder · {average:4.1f} t / {busiest:4.1f} t"
        )
    return lines
