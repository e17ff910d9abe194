"""Server-rendered SVG charts of meeting load: no JavaScript library, nothing fetched at run time.

Each chart is an `<svg role="img">` with a title and description for screen readers and a
`<title>` per bar for a tooltip; the page also offers the same figures as a table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape

from markupsafe import Markup

from scheduler.danish import number_da
from scheduler.index import index_of
from scheduler.model import MunicipalityConfig, Plan
from scheduler.roles import SPECIALIST_ROLES
from scheduler.term_dates import week_monday

BAR = "#1f5fa8"  # 6.4:1 on white
BUSY = "#a34700"  # 5.9:1 on white
INK = "#1a1a1a"
GRID = "#767676"  # 4.5:1 on white
SERIES_COLOURS = ["#1f5fa8", "#a34700", "#2d7a3a", "#7a3a8c", "#8c2a2a", "#4d4d4d"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "4 4"]


@dataclass
class Load:
    """Hours in meetings per week: per specialist, and specialist hours per district."""

    weeks: list[date]
    people: dict[str, dict[date, float]] = field(default_factory=dict)
    districts: dict[str, dict[date, float]] = field(default_factory=dict)

    @property
    def busy_limit(self) -> float:
        """1.5 times the average of the weeks a specialist has any meeting: 'a lot, for us'."""
        values = [h for weeks in self.people.values() for h in weeks.values() if h > 0]
        return round(1.5 * sum(values) / len(values), 1) if values else 0.0


def compute_load(config: MunicipalityConfig, plan: Plan) -> Load:
    term = index_of(config).terms.get(plan.term)
    mondays = sorted({week_monday(m.start.date()) for m in plan.meetings})
    if term is not None:
        first, last = week_monday(term.start), week_monday(term.end)
        mondays = [first + timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]
    specialists = {p.id for p in config.staff if SPECIALIST_ROLES & set(p.roles)}
    unit_districts = {u.id: u.districts for u in config.units}
    people: dict[str, dict[date, float]] = defaultdict(lambda: dict.fromkeys(mondays, 0.0))
    districts: dict[str, dict[date, float]] = {d.id: dict.fromkeys(mondays, 0.0) for d in config.districts}
    for m in plan.meetings:
        week = week_monday(m.start.date())
        hours = (m.end - m.start).total_seconds() / 3600
        present = [a.person for a in m.attendees if a.person in specialists]
        for person in present:
            people[person][week] = people[person].get(week, 0.0) + hours
        for district in unit_districts.get(m.unit, []):
            if district in districts:
                districts[district][week] = districts[district].get(week, 0.0) + hours * len(present)
    order = [p.id for p in config.staff if p.id in people]
    return Load(mondays, {pid: people[pid] for pid in order}, districts)


def _num(value: float) -> str:
    return number_da(value)


def _week_no(monday: date) -> int:
    return monday.isocalendar().week


def people_chart(load: Load, names: dict[str, str], title: str, desc: str, unit: str, week: str) -> Markup:
    """Small multiples: one row of weekly bars per specialist, a dashed line at the busy limit."""
    label_w, bar_w, gap, row_h, top = 170, 14, 4, 46, 24
    weeks = load.weeks
    peak = max([h for w in load.people.values() for h in w.values()] + [load.busy_limit, 1.0])
    plot_w = len(weeks) * (bar_w + gap)
    width = label_w + plot_w + 60
    height = top + row_h * max(1, len(load.people)) + 30
    scale = (row_h - 12) / peak
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="pc-t pc-d" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="pc-t">{escape(title)}</title><desc id="pc-d">{escape(desc)}</desc>',
    ]
    for row, (pid, per_week) in enumerate(load.people.items()):
        base = top + row_h * (row + 1) - 6
        parts.append(
            f'<text x="{label_w - 8}" y="{base - 4}" text-anchor="end" fill="{INK}">'
            f"{escape(names[pid])}</text>"
        )
        parts.append(
            f'<line x1="{label_w}" x2="{label_w + plot_w}" y1="{base}" y2="{base}" stroke="{GRID}"/>'
        )
        limit_y = base - load.busy_limit * scale
        parts.append(
            f'<line x1="{label_w}" x2="{label_w + plot_w}" y1="{limit_y:.1f}" y2="{limit_y:.1f}" '
            f'stroke="{BUSY}" stroke-dasharray="4 3"/>'
        )
        for i, monday in enumerate(weeks):
            hours = per_week.get(monday, 0.0)
            if hours <= 0:
                continue
            h = hours * scale
            x = label_w + i * (bar_w + gap)
            colour = BUSY if hours > load.busy_limit else BAR
            tip = f"{names[pid]}, {week} {_week_no(monday)}: {_num(hours)} {unit}"
            parts.append(
                f'<rect class="bar{" busy" if colour == BUSY else ""}" x="{x}" y="{base - h:.1f}" '
                f'width="{bar_w}" height="{h:.1f}" fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
        total = sum(per_week.values())
        parts.append(
            f'<text x="{label_w + plot_w + 6}" y="{base - 4}" fill="{INK}">{_num(total)} {unit}</text>'
        )
    axis_y = top + row_h * max(1, len(load.people)) + 16
    for i, monday in enumerate(weeks):
        if i % 2 == 0:
            mid = label_w + i * (bar_w + gap) + bar_w / 2
            parts.append(
                f'<text x="{mid}" y="{axis_y}" text-anchor="middle" fill="{INK}">{_week_no(monday)}</text>'
            )
    parts.append(f'<text x="{label_w - 8}" y="{axis_y}" text-anchor="end" fill="{INK}">{escape(week)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def districts_chart(load: Load, names: dict[str, str], title: str, desc: str, unit: str, week: str) -> Markup:
    """One line per district across the weeks; colours and dash patterns both tell them apart."""
    left, top, plot_h, step = 50, 20, 200, 30
    weeks = load.weeks
    plot_w = max(1, len(weeks) - 1) * step
    width, height = left + plot_w + 40, top + plot_h + 80
    peak = max([h for w in load.districts.values() for h in w.values()] + [1.0])
    scale = plot_h / peak
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="dc-t dc-d" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="dc-t">{escape(title)}</title><desc id="dc-d">{escape(desc)}</desc>',
    ]
    base = top + plot_h
    for tick in range(0, 5):
        value = peak * tick / 4
        y = base - value * scale
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d0d0"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">{_num(value)}</text>'
        )
    for i, monday in enumerate(weeks):
        if i % 2 == 0:
            parts.append(
                f'<text x="{left + i * step}" y="{base + 16}" text-anchor="middle" fill="{INK}">'
                f"{_week_no(monday)}</text>"
            )
    parts.append(f'<text x="{left}" y="{base + 32}" fill="{INK}">{escape(week)}</text>')
    for k, (did, per_week) in enumerate(load.districts.items()):
        colour, dash = SERIES_COLOURS[k % len(SERIES_COLOURS)], DASHES[k % len(DASHES)]
        points = " ".join(
            f"{left + i * step},{base - per_week.get(m, 0.0) * scale:.1f}" for i, m in enumerate(weeks)
        )
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline class="line" points="{points}" fill="none" stroke="{colour}" '
            f'stroke-width="2.5"{dash_attr}/>'
        )
        for i, monday in enumerate(weeks):
            value = per_week.get(monday, 0.0)
            tip = f"{names[did]}, {week} {_week_no(monday)}: {_num(value)} {unit}"
            parts.append(
                f'<circle cx="{left + i * step}" cy="{base - value * scale:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(tip)}</title></circle>"
            )
        legend_y = base + 52
        legend_x = left + k * 150
        parts.append(
            f'<line x1="{legend_x}" x2="{legend_x + 24}" y1="{legend_y}" y2="{legend_y}" stroke="{colour}" '
            f'stroke-width="3"{dash_attr}/>'
            f'<text x="{legend_x + 30}" y="{legend_y + 4}" fill="{INK}">{escape(names[did])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
