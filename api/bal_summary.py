"""The BAL rollout as a Danish user reads it on the command line: rounds, teams per round and the
facilitators' load; and the what-if "with K facilitators, when is every team through?": a table, a
small chart and what each K costs the meeting structure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from scheduler.bal_facts import bal_rounds, programme
from scheduler.bal_whatif import StructureCost, WhatIfRow
from scheduler.danish import number_da, plural_da
from scheduler.index import index_of
from scheduler.model import BalRollout, MunicipalityConfig


def rollout_lines(config: MunicipalityConfig, rollout: BalRollout) -> list[str]:
    """The headline, one line per round used, one per facilitator with hours a week per round."""
    bal = programme(config)
    index = index_of(config)
    rounds = bal_rounds(config)
    lines = list(rollout.explanation)
    per_round = Counter(a.round for a in rollout.assignments)
    groups = {(a.round, a.course_group) for a in rollout.assignments}
    lines.append("")
    lines.append("Runder:")
    for rnd in rounds[: rollout.rounds_used]:
        n_groups = sum(1 for r, _ in groups if r == rnd.number)
        lines.append(
            f"  {rnd.name[:1].upper()}{rnd.name[1:]}: {plural_da(per_round[rnd.number], 'team', 'team')}, "
            f"{plural_da(n_groups, 'kursushold', 'kursushold')}, {plural_da(rnd.weeks, 'uge', 'uger')}"
        )
    lines.append("")
    lines.append("Facilitatorernes BAL-timer om ugen pr. runde:")
    teams_of = Counter(a.facilitator for a in rollout.assignments)
    for f in bal.facilitators:
        hours = rollout.facilitator_hours.get(f.person, [])
        shown = " · ".join(number_da(h) for h in hours) or "-"
        lines.append(
            f"  {index.person_name(f.person)}: {shown} (af {number_da(f.hours_per_week)}; "
            f"{plural_da(teams_of[f.person], 'team', 'team')})"
        )
    return lines


WIDTH = 16
"""a what-if column's width"""
LABEL = 40
"""the width of a what-if row's label"""
BARS = "▁▂▃▄▅▆▇█"
"""the chart's bars, from a few teams through to all"""


def whatif_lines(config: MunicipalityConfig, rows: list[WhatIfRow], hours: float | None) -> list[str]:
    """The table of teams through by the end of each round (cumulative) for each number of
    facilitators and the round when all are through, the chart of the same, and, where the rows
    have it, the cost in the meeting structure."""
    lines = _through_table(config, rows, hours)
    lines += ["", *chart_lines(config, rows)]
    if any(r.cost is not None or r.cost_missing_da is not None for r in rows):
        lines += ["", *cost_lines(config, rows)]
    return lines


def _header(rows: list[WhatIfRow]) -> str:
    return f"  {'K facilitatorer':<{LABEL}}" + "".join(f"{r.facilitators:>{WIDTH}}" for r in rows)


def _row(label: str, cells: list[str]) -> str:
    return f"  {label:<{LABEL}}" + "".join(f"{c:>{WIDTH}}" for c in cells)


def _used(rows: list[WhatIfRow]) -> int:
    return max((r.rollout.rounds_used for r in rows), default=0)


def _end(row: WhatIfRow) -> str:
    """'i runde 3', 'nej, 3 venter'."""
    if row.all_through is None:
        return f"nej, {number_da(row.waiting, 0)} venter"
    return f"i runde {row.all_through}"


def _through_table(config: MunicipalityConfig, rows: list[WhatIfRow], hours: float | None) -> list[str]:
    bal = programme(config)
    at = f" à {number_da(hours)} timer om ugen" if hours is not None else ""
    lines = [
        f"Team igennem ved slutningen af hver runde (i alt {plural_da(len(bal.teams), 'team', 'team')}), "
        f"med K facilitatorer{at}:",
        _header(rows),
    ]
    for k, rnd in enumerate(bal_rounds(config)[: _used(rows)]):
        lines.append(_row(rnd.name, [number_da(r.through[k], 0) for r in rows]))
    lines.append(_row("alle igennem", [_end(r) for r in rows]))
    return lines


def chart_lines(config: MunicipalityConfig, rows: list[WhatIfRow]) -> list[str]:
    """One line per K, a bar per round as high as the share of the teams through by its end
    ('·' for none), then when all are through."""
    total = len(programme(config).teams)
    used = _used(rows)
    lines = [f"Team igennem pr. runde (█ = alle {plural_da(total, 'team', 'team')}):"]
    for row in rows:
        bars = " ".join(bar(n, total) for n in row.through[:used])
        who = plural_da(row.facilitators, "facilitator", "facilitatorer")
        ending = f"alle igennem {_end(row)}" if row.all_through is not None else _end(row)
        lines.append(f"  {who:<18} {bars}  {ending}")
    return lines


def bar(through: int, total: int) -> str:
    """One round's bar: '·' for no team through, '█' only when all are, else as high as the share
    through (rounded up, so a few teams show)."""
    if through <= 0 or total <= 0:
        return "·"
    level = -(-through * len(BARS) // total)  # 1..len(BARS)
    if through < total:
        level = min(level, len(BARS) - 1)
    return BARS[level - 1]


def _at_most(cost: StructureCost) -> str:
    """'højst ' when the plan with BAL is the joint plan itself, whose moves may be the solver's
    ties rather than BAL's need (`scheduler.bal_whatif.Placed`)."""
    return "højst " if cost.how == "joint" else ""


def cost_lines(config: MunicipalityConfig, rows: list[WhatIfRow]) -> list[str]:
    """The cost in the meeting structure per K: meetings moved and left out, BAL's meetings, the
    structure's regularity and the busiest facilitator's minutes a week, without BAL → with."""
    index = index_of(config)
    costs = [r.cost for r in rows]
    known = [c for c in costs if c is not None]
    if known:
        term = f"{index.term_name(known[0].term)} (runde {known[0].round})"
    else:
        term = "den første runde i en termin"
    lines = [f"Prisen i mødestrukturen i {term}, planlagt uden BAL → med BAL:", _header(rows)]

    def cells(text: Callable[[StructureCost], str]) -> list[str]:
        return ["–" if c is None else text(c) for c in costs]

    lines.append(
        _row(
            "strukturens møder flyttet",
            cells(lambda c: f"{_at_most(c)}{number_da(c.moved, 0)} af {number_da(c.meetings, 0)}"),
        )
    )
    if any(c.added for c in known):
        lines.append(_row("strukturens møder tilføjet", cells(lambda c: number_da(c.added, 0))))
    if any(c.left_out for c in known):
        lines.append(_row("strukturens møder uden plads", cells(lambda c: number_da(c.left_out, 0))))
    lines.append(_row("BAL-møder planlagt", cells(lambda c: number_da(c.bal_meetings, 0))))
    if any(c.bal_unplaced for c in known):
        lines.append(_row("BAL-møder uden plads", cells(lambda c: number_da(c.bal_unplaced, 0))))
    lines.append(
        _row(
            "regelmæssighed % (samme ugedag og tid)",
            cells(lambda c: f"{number_da(c.regularity_before)} → {number_da(c.regularity_after)}"),
        )
    )
    lines.append(
        _row(
            "travleste facilitator, minutter om ugen",
            cells(lambda c: f"{number_da(c.load_before, 0)} → {number_da(c.load_after, 0)}"),
        )
    )
    for row in rows:
        if row.cost_missing_da is not None:
            lines.append(f"  K = {row.facilitators}: {row.cost_missing_da}.")
    return lines
