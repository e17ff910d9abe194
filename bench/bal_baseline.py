"""A BAL rollout the way it is done by hand, as the baseline the rollout solver must beat.

Teams in list order (leader teams first, since they must be in the first round), each to the first
round and the first facilitator in the config's list with hours left for it, where its institution
is under the cap; course groups are filled in order: a team joins the round's newest group of its
kind while it has room, else opens the next one (up to the course's `max_groups`). A team that fits
no round waits. Nothing placed is moved. The facts (rounds, minutes, courses) are the product's
(`scheduler.bal_facts`), never its model. Deterministic: no randomness, no clock.
"""

from __future__ import annotations

from scheduler.bal_facts import (
    allowance_minutes,
    bal_rounds,
    course_of,
    hours_per_week,
    programme,
    team_minutes,
)
from scheduler.model import BalAssignment, BalRollout, MunicipalityConfig, PlanStatus


def first_fit_rollout(config: MunicipalityConfig) -> BalRollout:
    """The hand-made rollout: first round, first facilitator, groups in order."""
    bal = programme(config)
    rounds = bal_rounds(config)
    left = {(f.person, r.number): allowance_minutes(f, r.weeks) for f in bal.facilitators for r in rounds}
    per_unit: dict[tuple[str, int], int] = {}
    groups: dict[tuple[int, int], list[tuple[bool, int]]] = {}
    """(round, id of the course) -> its groups in order: (leader group?, seats taken)"""
    cap = bal.priorities.max_teams_per_institution
    order = [t for t in bal.teams if t.leaders] + [t for t in bal.teams if not t.leaders]
    assignments: list[BalAssignment] = []
    waiting: list[str] = []
    where: dict[str, tuple[int, int, int]] = {}
    for team in order:
        course = course_of(bal, team)
        last = 1 if team.leaders and bal.priorities.leaders_first else len(rounds)
        placed = False
        for rnd in rounds[:last]:
            if team.size > course.capacity:
                break
            if cap is not None and per_unit.get((team.unit, rnd.number), 0) >= cap:
                continue
            taken = groups.setdefault((rnd.number, id(course)), [])
            mine = [k for k, (leaders, _) in enumerate(taken) if leaders == team.leaders]
            if mine and taken[mine[-1]][1] + team.size <= course.capacity:
                group = mine[-1]
            elif course.max_groups is None or len(taken) < course.max_groups:
                group = len(taken)
            else:
                continue
            facilitator = next(
                (f for f in bal.facilitators if team_minutes(config, team, f) <= left[f.person, rnd.number]),
                None,
            )
            if facilitator is None:
                continue
            left[facilitator.person, rnd.number] -= team_minutes(config, team, facilitator)
            per_unit[team.unit, rnd.number] = per_unit.get((team.unit, rnd.number), 0) + 1
            if group == len(taken):
                taken.append((team.leaders, 0))
            taken[group] = (team.leaders, taken[group][1] + team.size)
            where[team.id] = (rnd.number, id(course), group)
            assignments.append(
                BalAssignment(
                    team=team.id,
                    round=rnd.number,
                    term=rnd.term,
                    facilitator=facilitator.person,
                    course_group=1,  # numbered below, leader groups first
                )
            )
            placed = True
            break
        if not placed:
            waiting.append(team.id)
    _number_groups(assignments, where, groups)
    rounds_used = max((a.round for a in assignments), default=0)
    placed_at = {a.team: (a.round, a.facilitator) for a in assignments}
    return BalRollout(
        municipality=config.municipality,
        status=PlanStatus.FEASIBLE,
        rounds_used=rounds_used,
        assignments=sorted(assignments, key=lambda a: [t.id for t in bal.teams].index(a.team)),
        waiting=waiting,
        facilitator_hours=hours_per_week(config, placed_at, rounds_used),
        explanation=["Første ledige runde og facilitator, team i listens rækkefølge (som i hånden)."],
    )


def _number_groups(
    assignments: list[BalAssignment],
    where: dict[str, tuple[int, int, int]],
    groups: dict[tuple[int, int], list[tuple[bool, int]]],
) -> None:
    """Each assignment's group number in its round: leader groups first, then in opening order."""
    per_round: dict[int, list[tuple[bool, int, int]]] = {}
    for (number, course_id), taken in groups.items():
        for k, (leaders, _) in enumerate(taken):
            per_round.setdefault(number, []).append((not leaders, course_id, k))
    numbers = {
        (number, course_id, k): n
        for number, entries in per_round.items()
        for n, (_, course_id, k) in enumerate(sorted(entries, key=lambda e: e[0]), start=1)
    }
    for a in assignments:
        a.course_group = numbers[where[a.team]]
