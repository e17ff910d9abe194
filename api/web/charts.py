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
from scheduler.roles import fair_load_roles
from scheduler.term_dates import week_monday

BAR = "#1f5fa8"  # 6.4:1 on white
BUSY = "#a34700"  # 5.9:1 on white
INK = "#1a1a1a"
GRID = "#767676"  # 4.5:1 on white
SERIES_COLOURS = ["#1f5fa8", "#a34700", "#2d7a3a", "#7a3a8c", "#8c2a2a", "#4d4d4d"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "4 4"]


@dataclass
class Load:
    """Hours in meetings per week: per specialist (the roles fair load weighs, the config's
    `extra_roles` included: `scheduler.roles.fair_load_roles`), and specialist hours per district."""

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
    specialists = {p.id for p in config.staff if fair_load_roles(config.extra_roles) & set(p.roles)}
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


WIDTH = 1240
"""The charts' drawing width: the SVG scales to the page's width (CSS), so it uses all of it."""
CHAR_W = 7.2
"""A generous width of one character at 12 px, so a name's box is never too short for it."""


@dataclass(frozen=True)
class Labels:
    """The words of a chart, in the page's language."""

    title: str
    desc: str
    unit: str
    """'t': hours, after a number"""
    week: str
    """'Uge': the x axis"""
    hours: str
    """'Timer pr. uge': the y axis"""
    total: str
    """'I alt': the totals"""
    busy: str = ""
    """'Grænse for travl uge': the dashed line"""
    over: str = ""
    """'Over grænsen': the orange bars"""


def _num(value: float) -> str:
    return number_da(value)


def _week_no(monday: date) -> int:
    return monday.isocalendar().week


def _text_w(text: str) -> float:
    return len(text) * CHAR_W


def _open(height: float, ids: str, labels: Labels) -> list[str]:
    return [
        f'<svg class="chart" width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'role="img" aria-labelledby="{ids}-t {ids}-d" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{ids}-t">{escape(labels.title)}</title><desc id="{ids}-d">{escape(labels.desc)}</desc>',
    ]


def people_chart(load: Load, names: dict[str, str], labels: Labels) -> Markup:
    """Small multiples: one row of weekly bars per specialist on one scale, a dashed line at the
    busy limit, the term's total at the right; the names get the room they need."""
    weeks = load.weeks
    total_w = max(_text_w(labels.total), _text_w(f"999,9 {labels.unit}")) + 12
    label_w = max([_text_w(names[pid]) for pid in load.people] + [_text_w(labels.week), 80.0]) + 14
    plot_w = WIDTH - label_w - total_w - 8
    step = plot_w / max(1, len(weeks))
    bar_w = max(2.0, step * 0.7)
    row_h, top = 34, 58
    peak = max([h for w in load.people.values() for h in w.values()] + [load.busy_limit, 1.0])
    scale = (row_h - 8) / peak
    height = top + row_h * max(1, len(load.people)) + 44
    parts = _open(height, "pc", labels)
    # The key: what a bar, the dashed line and an orange bar mean, and the scale of a row.
    parts.append(
        f'<rect x="{label_w}" y="6" width="12" height="12" fill="{BAR}"/>'
        f'<text x="{label_w + 18}" y="16" fill="{INK}">{escape(labels.hours)} '
        f"(0–{_num(peak)} {escape(labels.unit)})</text>"
    )
    x = label_w + 18 + _text_w(f"{labels.hours} (0–{_num(peak)} {labels.unit})") + 24
    parts.append(
        f'<line x1="{x:.0f}" x2="{x + 24:.0f}" y1="12" y2="12" stroke="{BUSY}" stroke-dasharray="4 3" '
        f'stroke-width="2"/><text x="{x + 30:.0f}" y="16" fill="{INK}">{escape(labels.busy)} '
        f"({_num(load.busy_limit)} {escape(labels.unit)})</text>"
    )
    x += 30 + _text_w(f"{labels.busy} ({_num(load.busy_limit)} {labels.unit})") + 24
    parts.append(
        f'<rect x="{x:.0f}" y="6" width="12" height="12" fill="{BUSY}"/>'
        f'<text x="{x + 18:.0f}" y="16" fill="{INK}">{escape(labels.over)}</text>'
    )
    parts.append(
        f'<text x="{WIDTH - 4}" y="{top - 8}" text-anchor="end" font-weight="700" fill="{INK}">'
        f"{escape(labels.total)}</text>"
    )
    for row, (pid, per_week) in enumerate(load.people.items()):
        base = top + row_h * (row + 1) - 4
        parts.append(
            f'<text class="name" x="{label_w - 8:.0f}" y="{base - 4}" text-anchor="end" fill="{INK}">'
            f"{escape(names[pid])}</text>"
        )
        parts.append(
            f'<line x1="{label_w:.0f}" x2="{label_w + plot_w:.0f}" y1="{base}" y2="{base}" stroke="{GRID}"/>'
        )
        limit_y = base - load.busy_limit * scale
        parts.append(
            f'<line x1="{label_w:.0f}" x2="{label_w + plot_w:.0f}" y1="{limit_y:.1f}" y2="{limit_y:.1f}" '
            f'stroke="{BUSY}" stroke-dasharray="4 3"/>'
        )
        for i, monday in enumerate(weeks):
            hours = per_week.get(monday, 0.0)
            if hours <= 0:
                continue
            h = hours * scale
            x = label_w + i * step + (step - bar_w) / 2
            colour = BUSY if hours > load.busy_limit else BAR
            tip = f"{names[pid]}, {labels.week} {_week_no(monday)}: {_num(hours)} {labels.unit}"
            parts.append(
                f'<rect class="bar{" busy" if colour == BUSY else ""}" x="{x:.1f}" y="{base - h:.1f}" '
                f'width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
        total = sum(per_week.values())
        parts.append(
            f'<text class="total" x="{WIDTH - 4}" y="{base - 4}" text-anchor="end" fill="{INK}">'
            f"{_num(total)} {escape(labels.unit)}</text>"
        )
    axis_y = top + row_h * max(1, len(load.people)) + 14
    for i, monday in enumerate(weeks):
        mid = label_w + i * step + step / 2
        parts.append(
            f'<text x="{mid:.1f}" y="{axis_y}" text-anchor="middle" fill="{INK}">{_week_no(monday)}</text>'
        )
    parts.append(
        f'<text x="{label_w + plot_w / 2:.0f}" y="{axis_y + 22}" text-anchor="middle" font-weight="700" '
        f'fill="{INK}">{escape(labels.week)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def districts_chart(load: Load, names: dict[str, str], labels: Labels) -> Markup:
    """One line per district across the weeks, on labelled axes; colours and dash patterns both
    tell them apart, and the legend gives each district's total."""
    left, top, plot_h = 74, 16, 260
    weeks = load.weeks
    plot_w = WIDTH - left - 20
    step = plot_w / max(1, len(weeks) - 1)
    peak = max([h for w in load.districts.values() for h in w.values()] + [1.0])
    scale = plot_h / peak
    base = top + plot_h
    legend: list[tuple[float, float, str]] = []  # (x, y, text) of each entry, wrapped to the width
    x, y = float(left), base + 64.0
    for did, per_week in load.districts.items():
        text = f"{names[did]} ({labels.total.lower()} {_num(sum(per_week.values()))} {labels.unit})"
        width = 30 + _text_w(text) + 24
        if x + width > WIDTH and x > left:
            x, y = float(left), y + 22
        legend.append((x, y, text))
        x += width
    height = y + 16
    parts = _open(height, "dc", labels)
    for tick in range(0, 5):
        value = peak * tick / 4
        ty = base - value * scale
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#d0d0d0"/>')
        parts.append(
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="{INK}">{_num(value)}</text>'
        )
    parts.append(
        f'<text x="14" y="{top + plot_h / 2:.0f}" text-anchor="middle" font-weight="700" fill="{INK}" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.0f})">{escape(labels.hours)}</text>'
    )
    for i, monday in enumerate(weeks):
        parts.append(
            f'<text x="{left + i * step:.1f}" y="{base + 16}" text-anchor="middle" fill="{INK}">'
            f"{_week_no(monday)}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{base + 36}" text-anchor="middle" font-weight="700" '
        f'fill="{INK}">{escape(labels.week)}</text>'
    )
    for k, ((did, per_week), (lx, ly, text)) in enumerate(zip(load.districts.items(), legend, strict=True)):
        colour, dash = SERIES_COLOURS[k % len(SERIES_COLOURS)], DASHES[k % len(DASHES)]
        points = " ".join(
            f"{left + i * step:.1f},{base - per_week.get(m, 0.0) * scale:.1f}" for i, m in enumerate(weeks)
        )
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline class="line" points="{points}" fill="none" stroke="{colour}" '
            f'stroke-width="2.5"{dash_attr}/>'
        )
        for i, monday in enumerate(weeks):
            value = per_week.get(monday, 0.0)
            tip = f"{names[did]}, {labels.week} {_week_no(monday)}: {_num(value)} {labels.unit}"
            parts.append(
                f'<circle cx="{left + i * step:.1f}" cy="{base - value * scale:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(tip)}</title></circle>"
            )
        parts.append(
            f'<line x1="{lx:.0f}" x2="{lx + 24:.0f}" y1="{ly - 4:.0f}" y2="{ly - 4:.0f}" stroke="{colour}" '
            f'stroke-width="3"{dash_attr}/>'
            f'<text class="legend" x="{lx + 30:.0f}" y="{ly:.0f}" fill="{INK}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
