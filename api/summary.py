"""The Danish summary a district leader reads after planning: series by district, load by specialist."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from scheduler.config import series_title
from scheduler.danish import (
    clock_da,
    distance_da,
    join_da,
    month_day_da,
    number_da,
    plural_da,
    weekday_da,
)
from scheduler.deviation import deviations, usual_pattern
from scheduler.index import index_of
from scheduler.model import (
    CadenceKind,
    Meeting,
    MunicipalityConfig,
    Plan,
    Series,
    Term,
    Weekday,
)
from scheduler.roles import SPECIALIST_ROLES
from scheduler.rules import load_rules
from scheduler.term_dates import local_shape, meeting_patterns, week_monday

CADENCE_DA = {
    CadenceKind.daily: "hver dag",
    CadenceKind.weekly: "hver",
    CadenceKind.fortnightly: "hver anden",
    CadenceKind.monthly: "en gang om måneden,",
}


def short_date(day: date) -> str:
    """'12. jan.': CLDR's abbreviated Danish month."""
    return month_day_da(day)


def _clock(m: Meeting) -> str:
    return f"{clock_da(m.start)}-{clock_da(m.end)}"


def series_line(config: MunicipalityConfig, term: Term, series: Series, meetings: list[Meeting]) -> str:
    """The usual shape, the dates and the exceptions, e.g.

    'hver anden tirsdag 13:00-15:00 · 9 møder: 12. jan., 26. jan., … (afvigelser: 16. mar. onsdag i
    stedet for tirsdag)'

    An exception is a meeting off the series' usual pattern, as the regularity rule counts it
    (another weekday or time, or the other week of a fortnight), said as `scheduler.deviation` says it.
    """
    daily = series.cadence.kind == CadenceKind.daily
    patterns = meeting_patterns(config, term, series, [local_shape(m) for m in meetings])
    pattern = usual_pattern(patterns)
    usual_meeting = meetings[patterns.index(pattern)] if pattern is not None else meetings[0]
    how = CADENCE_DA.get(series.cadence.kind, "")
    if series.cadence.kind == CadenceKind.every_n_weeks:
        how = f"hver {series.cadence.n}. uge,"
    elif series.cadence.kind == CadenceKind.per_term:
        how = f"{series.cadence.count} gange i terminen,"
    weekday = "" if daily else weekday_da(Weekday.of(usual_meeting.start.date()))
    usual = " ".join(part for part in (how, weekday, _clock(usual_meeting)) if part)
    found = deviations(config, term, series, meetings)
    exceptions = [f"{short_date(d.meeting.start.date())} {d.text_da}" for d in found]
    text = f"{usual} · {plural_da(len(meetings), 'møde', 'møder')}"
    if not daily:
        text += ": " + ", ".join(short_date(m.start.date()) for m in meetings)
    if exceptions:
        shown = "; ".join(exceptions[:6]) + (" …" if len(exceptions) > 6 else "")
        text += f" (afvigelser: {shown})"
    return text


def _groups(config: MunicipalityConfig) -> list[tuple[str, list[Series]]]:
    """Series by the districts of their unit: one section per district, then shared units."""
    index = index_of(config)
    names = {d.id: d.name for d in index.districts.values()}
    units = index.units
    groups: dict[tuple[str, ...], list[Series]] = {(d.id,): [] for d in config.districts}
    for series in config.series:
        key = tuple(units[series.unit].districts) or tuple(names)
        groups.setdefault(key, []).append(series)
    titled = []
    for key, members in groups.items():
        if len(key) == 1:
            title = f"Distrikt {names[key[0]]}"
        elif set(key) == set(names):
            title = "Fælles for alle distrikter"
        else:
            title = "Fælles for " + " og ".join(names[d] for d in key)
        titled.append((title, members))
    return titled


def render_summary(config: MunicipalityConfig, plan: Plan) -> str:
    index = index_of(config)
    term = index.terms[plan.term]
    distance = distance_da(plan.status.value, plan.objective, plan.best_bound)
    status_da = {
        "OPTIMAL": "bevist bedst mulige plan",
        "FEASIBLE": "gyldig plan" + (f", {distance}" if distance else ""),
        "PARTIAL": f"delvis ({plural_da(len(plan.unplaced), 'møde', 'møder')} kunne ikke placeres)",
        "INFEASIBLE": "ingen plan mulig",
        "UNKNOWN": "ingen plan fundet, før tiden løb ud",
    }.get(plan.status.value, plan.status.value)
    lines = [f"Mødeplan for {config.municipality}, {term.name}: {status_da}"]
    if plan.stats:
        lines.append(
            f"{plural_da(plan.stats.meetings, 'møde', 'møder')} · "
            f"regelmæssighed {number_da(plan.stats.regularity_pct)} % · "
            f"kontinuitet {number_da(plan.stats.continuity_pct)} % · "
            f"løst på {number_da(plan.solve_seconds)} s"
        )
    by_series: dict[str, list[Meeting]] = defaultdict(list)
    for m in plan.meetings:
        by_series[m.series].append(m)
    skipped_by_series: dict[str, list[str]] = defaultdict(list)
    for s in plan.skipped:
        skipped_by_series[s.series].append(
            f"{short_date(s.period_start)} ({s.reason.removeprefix('udgår: ')})"
        )

    for title, members in _groups(config):
        planned = [s for s in members if s.id in by_series]
        if not planned:
            continue
        lines += ["", title]
        for series in planned:
            meetings = by_series[series.id]
            sites = list(dict.fromkeys(index.site_name(m.site) for m in meetings))
            where = sites[0] if len(sites) == 1 else "skiftevis " + join_da(sites)
            lines.append(f"  {series_title(config, series)} ({where})")
            lines.append(f"    {series_line(config, term, series, meetings)}")
            skipped = skipped_by_series[series.id]
            if skipped:
                more = f" og {len(skipped) - 5} til" if len(skipped) > 5 else ""
                lines.append(f"    udgår: {', '.join(skipped[:5])}{more}")

    lines += ["", "Specialister: møder i alt · timer pr. uge (gennemsnit / travleste uge)"]
    lines.extend(_specialist_lines(config, plan))
    rules = {r.name: r for r in load_rules()}
    bent = [c for c in plan.rule_costs if c.violations and c.level == "soft"]
    if bent:
        lines += ["", "Bløde regler, der er bøjet:"]
        for c in bent:
            said = rules[c.rule].count_phrase_da(c.violations) if c.rule in rules else str(c.violations)
            lines.append(f"  {c.title_da}: {said}")
    return "\n".join(lines)


def _specialist_lines(config: MunicipalityConfig, plan: Plan) -> list[str]:
    term = index_of(config).terms[plan.term]
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
            f"  {person.name:<40} {counts[person.id]:>3} {'møde' if counts[person.id] == 1 else 'møder'} · "
            f"{number_da(average):>4} t / {number_da(busiest):>4} t"
        )
    return lines
