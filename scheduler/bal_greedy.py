"""A quick rollout that keeps every hard rule, as the rollout solver's warm start.

Without it CP-SAT's first answer on 200 teams is "everyone waits", and it does not get far from
there in seconds. Round by round, the teams not yet placed are tried in turn: leader teams first,
then the institutions that still need the most rounds under the cap on teams at once, then each
institution's teams together in list order. A team goes into the round when a facilitator has the
hours (one who already serves the institution first, else the one with the most hours left), the
institution is under its cap and a course group has room. Team by team instead (each to its
earliest round) left a big school's last teams for an eighth round of the example, where seven
do (2026-12-01). Deterministic: no randomness, no clock.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from scheduler.bal_facts import BalRound, allowance_minutes, bal_rounds, course_of, programme, team_minutes
from scheduler.model import BalCourse, BalTeam, MunicipalityConfig


@dataclass(frozen=True)
class Placement:
    round: int
    facilitator: str
    group: int
    """the team's course group among its course's groups of the round, 1-based"""


def greedy_rollout(
    config: MunicipalityConfig, earlier: tuple[str, int] | None = None
) -> dict[str, Placement]:
    """Team id -> its placement; a team missing from the answer waits. `earlier=(team, k)`: that
    team goes first, into a round before k (when it fits one)."""
    bal = programme(config)
    rounds = bal_rounds(config)
    facilitators = {f.person: f for f in bal.facilitators}
    left = {(f.person, r.number): allowance_minutes(f, r.weeks) for f in bal.facilitators for r in rounds}
    per_unit: dict[tuple[str, int], int] = {}
    serves: dict[str, set[str]] = {f: set() for f in facilitators}
    groups: dict[tuple[int, int], list[tuple[bool, int]]] = {}
    """(round, id of the course) -> per group: (leader group?, seats taken)"""
    cap = bal.priorities.max_teams_per_institution
    pinned = earlier[0] if earlier is not None else None
    position = {t.id: i for i, t in enumerate(bal.teams)}
    unit_at = {t.unit: _first_of_unit(bal.teams, t) for t in bal.teams}
    remaining = [t for t in bal.teams if t.size <= course_of(bal, t).capacity]
    placed: dict[str, Placement] = {}

    def last_round(team: BalTeam) -> int:
        last = 1 if team.leaders and bal.priorities.leaders_first else len(rounds)
        return min(last, earlier[1] - 1) if earlier is not None and team.id == pinned else last

    def place(team: BalTeam, rnd: BalRound) -> bool:
        course = course_of(bal, team)
        if cap is not None and per_unit.get((team.unit, rnd.number), 0) >= cap:
            return False
        group = _group_with_room(groups.setdefault((rnd.number, id(course)), []), team, course)
        fits = [f for f in facilitators if team_minutes(config, team, facilitators[f]) <= left[f, rnd.number]]
        if group is None or not fits:
            return False
        chosen = max(fits, key=lambda f: (team.unit in serves[f], left[f, rnd.number]))
        left[chosen, rnd.number] -= team_minutes(config, team, facilitators[chosen])
        per_unit[team.unit, rnd.number] = per_unit.get((team.unit, rnd.number), 0) + 1
        serves[chosen].add(team.unit)
        taken = groups[rnd.number, id(course)]
        if group == len(taken):
            taken.append((team.leaders, 0))
        kind, seats = taken[group]
        taken[group] = (kind, seats + team.size)
        placed[team.id] = Placement(rnd.number, chosen, group + 1)
        return True

    for rnd in rounds:
        # the institutions that need the most rounds still (their teams over the cap) go first,
        # so the cap does not leave a big school's teams for rounds of their own at the end
        waiting_of = Counter(t.unit for t in remaining)
        needs = {u: -(-n // cap) if cap is not None else 0 for u, n in waiting_of.items()}
        order = sorted(
            remaining,
            key=lambda t: (t.id != pinned, not t.leaders, -needs[t.unit], unit_at[t.unit], position[t.id]),
        )
        for team in order:
            if rnd.number <= last_round(team):
                place(team, rnd)
        remaining = [t for t in remaining if t.id not in placed]
    return placed


def _first_of_unit(teams: list[BalTeam], team: BalTeam) -> int:
    """Where the team's institution first appears in the list: institutions stay together."""
    return next(i for i, t in enumerate(teams) if t.unit == team.unit)


def _group_with_room(taken: list[tuple[bool, int]], team: BalTeam, course: BalCourse) -> int | None:
    """The 0-based index of the first group of the team's kind with room, len(taken) for a new
    one, None when the course's groups are all taken."""
    for k, (leaders, seats) in enumerate(taken):
        if leaders == team.leaders and seats + team.size <= course.capacity:
            return k
    if course.max_groups is not None and len(taken) >= course.max_groups:
        return None
    return len(taken)
