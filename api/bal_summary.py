"""The BAL rollout as a Danish user reads it on the command line: rounds, teams per round and the
facilitators' load; and the what-if table "with K facilitators, when is every team through?"."""

from __future__ import annotations

from collections import Counter

from scheduler.bal_facts import bal_rounds, programme
from scheduler.danish import number_da, plural_da
from scheduler.index import index_of
from scheduler.model import BalProgramme, BalRollout, MunicipalityConfig


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


def with_facilitators(config: MunicipalityConfig, count: int, hours: float | None) -> MunicipalityConfig:
    """The config with only the first `count` facilitators, each at `hours` a week when given."""
    bal = programme(config)
    chosen = [
        f if hours is None else f.model_copy(update={"hours_per_week": hours})
        for f in bal.facilitators[:count]
    ]
    changed: BalProgramme = bal.model_copy(update={"facilitators": chosen})
    return config.model_copy(update={"bal": changed})


def whatif_lines(
    config: MunicipalityConfig, results: dict[int, BalRollout], hours: float | None
) -> list[str]:
    """Teams through by the end of each round (cumulative) for each number of facilitators, and
    the round when all are through."""
    bal = programme(config)
    rounds = bal_rounds(config)
    used = max((r.rounds_used for r in results.values()), default=0)
    width = 16
    at = f" à {number_da(hours)} timer om ugen" if hours is not None else ""
    lines = [
        f"Team igennem ved slutningen af hver runde (i alt {plural_da(len(bal.teams), 'team', 'team')}), "
        f"med K facilitatorer{at}:",
        f"  {'K facilitatorer':<28}" + "".join(f"{k:>{width}}" for k in results),
    ]
    for rnd in rounds[:used]:
        cells = []
        for rollout in results.values():
            through = sum(1 for a in rollout.assignments if a.round <= rnd.number)
            cells.append(f"{through:>{width}}")
        lines.append(f"  {rnd.name:<28}" + "".join(cells))
    ends = []
    for rollout in results.values():
        if rollout.waiting or not rollout.rounds_used:
            ends.append(f"{f'nej, {len(rollout.waiting)} venter':>{width}}")
        else:
            ends.append(f"{f'i runde {rollout.rounds_used}':>{width}}")
    lines.append(f"  {'alle igennem':<28}" + "".join(ends))
    return lines
