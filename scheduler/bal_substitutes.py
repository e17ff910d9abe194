"""Who stands in for an absent BAL facilitator: the facilitators of the rollout who already follow
a team of the same institution first, then of the same district, then the rest.

The rollout is read from the config's generated series (`scheduler.bal_series.with_bal`): each
team's `bal_analyse` series names its facilitator (its required person) and its institution (its
unit), so this needs no rollout beside the config a plan was made from.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from scheduler.config import substitute_problem
from scheduler.danish import plural_da
from scheduler.index import index_of
from scheduler.model import Meeting, MunicipalityConfig, SeriesType


@dataclass(frozen=True)
class BalSubstitute:
    person: str
    tier: int
    """0: follows a team of the same institution; 1: of the same district; 2: neither"""
    reason_da: str
    """'følger allerede 2 team på Skovlunde Skole'"""


def followed_teams(config: MunicipalityConfig) -> dict[str, list[str]]:
    """Facilitator -> the units (institutions) of the teams they follow, one entry per team."""
    out: dict[str, list[str]] = {}
    for series in config.series:
        if series.type == SeriesType.bal_analyse and series.required_people:
            out.setdefault(series.required_people[0], []).append(series.unit)
    return out


def bal_substitutes(config: MunicipalityConfig, person: str, meeting: Meeting) -> list[BalSubstitute]:
    """The other BAL facilitators who may take `person`'s seat in a `bal_analyse` meeting, best
    first (same institution, same district, the rest; more teams there first, then the
    programme's order), each with its reason in Danish. [] for any other meeting."""
    index = index_of(config)
    series = index.series.get(meeting.series)
    if config.bal is None or series is None or series.type != SeriesType.bal_analyse:
        return []
    absent = index.people.get(person)
    if absent is None:
        return []
    unit = index.units[meeting.unit]
    districts = set(unit.districts)
    follows = followed_teams(config)
    ranked: list[tuple[int, int, int, BalSubstitute]] = []
    for order, facilitator in enumerate(config.bal.facilitators):
        pid = facilitator.person
        if pid == person or pid not in index.people or substitute_problem(config, absent, pid) is not None:
            continue
        units = Counter(follows.get(pid, []))
        here = units[unit.id]
        near = sum(n for u, n in units.items() if set(index.units[u].districts) & districts)
        if here:
            tier, count, reason = 0, here, f"følger allerede {plural_da(here, 'team', 'team')} på {unit.name}"
        elif near:
            names = " og ".join(index.district_name(d) for d in sorted(districts))
            tier, count, reason = 1, near, f"følger allerede {plural_da(near, 'team', 'team')} i {names}"
        else:
            tier, count, reason = 2, 0, f"følger endnu ingen team på {unit.name} eller i distriktet"
        ranked.append((tier, -count, order, BalSubstitute(pid, tier, reason)))
    return [entry[-1] for entry in sorted(ranked, key=lambda e: e[:3])]
