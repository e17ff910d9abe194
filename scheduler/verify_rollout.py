"""An independent check of a BAL rollout against the config, in plain Python.

The rollout solver is trusted only as far as this module agrees with it: nothing here imports
CP-SAT, the rollout model or its rules; every hard rule is re-derived from the config. The plain
facts (a round's weeks, what a team costs its facilitator, which course a team takes) come from
their one home, `scheduler.bal_facts`. `plan_rollout` runs it on every result.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from scheduler.bal_facts import BalRound, allowance_minutes, bal_rounds, course_of, programme, team_minutes
from scheduler.danish import join_da, number_da, plural_da
from scheduler.index import index_of
from scheduler.model import BalRollout, BalTeam, MunicipalityConfig

TITLES = {
    "bal_facilitator_hours": "Facilitatorernes timer",
    "bal_leaders_first": "Ledere først",
    "bal_max_per_institution": "Højst N team fra en institution ad gangen",
    "bal_course_capacity": "Kursusholdenes pladser",
    "bal_teams": "Hvert team én gang",
}
"""The rules' titles as users know them (the same words as the rule modules'; a test keeps them so)."""


def _say(rule: str, text: str) -> str:
    return f"«{TITLES[rule]}»: {text}"


def verify_rollout(config: MunicipalityConfig, rollout: BalRollout) -> list[str]:
    """Every way the rollout breaks a hard rule, one Danish line each (none: it holds)."""
    bal = programme(config)
    index = index_of(config)
    teams = {t.id: t for t in bal.teams}
    facilitators = {f.person: f for f in bal.facilitators}
    rounds = {r.number: r for r in bal_rounds(config)}
    problems: list[str] = []

    def team_name(team_id: str) -> str:
        team = teams.get(team_id)
        return f"«{team.name}»" if team else f"'{team_id}'"

    seen = Counter(a.team for a in rollout.assignments)
    for team_id, n in seen.items():
        if team_id not in teams:
            problems.append(_say("bal_teams", f"ukendt team '{team_id}' i udrulningen"))
        elif n > 1:
            problems.append(_say("bal_teams", f"{team_name(team_id)} er med {n} gange"))
    for team_id in rollout.waiting:
        if team_id not in teams:
            problems.append(_say("bal_teams", f"ukendt team '{team_id}' venter"))
        elif team_id in seen:
            problems.append(_say("bal_teams", f"{team_name(team_id)} er både med og venter"))
    for team_id in teams:
        if team_id not in seen and team_id not in rollout.waiting:
            problems.append(_say("bal_teams", f"{team_name(team_id)} mangler i udrulningen"))

    valid = []
    for a in rollout.assignments:
        if a.team not in teams:
            continue
        if a.round not in rounds:
            problems.append(
                _say(
                    "bal_teams",
                    f"{team_name(a.team)} er i runde {a.round}, men der er kun {len(rounds)} runder",
                )
            )
            continue
        if a.term != rounds[a.round].term:
            problems.append(
                _say(
                    "bal_teams",
                    f"{team_name(a.team)}: runde {a.round} hører til terminen "
                    f"'{rounds[a.round].term}', ikke '{a.term}'",
                )
            )
        if a.facilitator not in facilitators:
            problems.append(
                _say(
                    "bal_teams",
                    f"{team_name(a.team)} har facilitatoren '{a.facilitator}', som ikke er facilitator",
                )
            )
            continue
        valid.append(a)

    load: dict[tuple[str, int], int] = defaultdict(int)
    for a in valid:
        load[a.facilitator, a.round] += team_minutes(config, teams[a.team], facilitators[a.facilitator])
    for (person, number), minutes in sorted(load.items()):
        facilitator, rnd = facilitators[person], rounds[number]
        if minutes > allowance_minutes(facilitator, rnd.weeks):
            problems.append(
                _say(
                    "bal_facilitator_hours",
                    f"{index.person_name(person)} har {number_da(minutes / 60 / rnd.weeks)} timer om ugen "
                    f"i {rnd.name}, men højst {number_da(facilitator.hours_per_week)}",
                )
            )

    if bal.priorities.leaders_first:
        for a in valid:
            if teams[a.team].leaders and a.round != 1:
                problems.append(
                    _say("bal_leaders_first", f"lederteamet {team_name(a.team)} er i runde {a.round}")
                )

    cap = bal.priorities.max_teams_per_institution
    if cap is not None:
        per_unit: dict[tuple[str, int], list[str]] = defaultdict(list)
        for a in valid:
            per_unit[teams[a.team].unit, a.round].append(a.team)
        for (unit, number), members in sorted(per_unit.items()):
            if len(members) > cap:
                problems.append(
                    _say(
                        "bal_max_per_institution",
                        f"{plural_da(len(members), 'team', 'team')} fra {index.unit_name(unit)} i "
                        f"{rounds[number].name}, højst {cap}",
                    )
                )

    problems.extend(_check_groups(config, rollout, teams, rounds))
    return problems


def _check_groups(
    config: MunicipalityConfig, rollout: BalRollout, teams: dict[str, BalTeam], rounds: dict[int, BalRound]
) -> list[str]:
    """Each course group: one course, leader teams alone, sizes within capacity; per round no more
    groups of a course than its `max_groups`."""
    bal = programme(config)
    problems = []
    groups: dict[tuple[int, int], list[BalTeam]] = defaultdict(list)
    for a in rollout.assignments:
        if a.team in teams and a.round in rounds:
            groups[a.round, a.course_group].append(teams[a.team])
    per_course: Counter[tuple[int, int]] = Counter()
    for (number, group), members in sorted(groups.items()):
        names = join_da([f"«{t.name}»" for t in members])
        courses = {id(course_of(bal, t)): course_of(bal, t) for t in members}
        if len({t.leaders for t in members}) > 1 or len(courses) > 1:
            problems.append(
                _say(
                    "bal_course_capacity",
                    f"runde {number}, hold {group} blander lederteam og andre team: {names}",
                )
            )
            continue
        course = next(iter(courses.values()))
        per_course[number, id(course)] += 1
        size = sum(t.size for t in members)
        if size > course.capacity:
            problems.append(
                _say(
                    "bal_course_capacity",
                    f"runde {number}, hold {group} har {size} deltagere, men plads til "
                    f"{course.capacity}: {names}",
                )
            )
    for maybe in [bal.course, bal.leader_course]:
        if maybe is None or maybe.max_groups is None:
            continue
        most = maybe.max_groups
        for number in sorted(rounds):
            if per_course[number, id(maybe)] > most:
                problems.append(
                    _say(
                        "bal_course_capacity",
                        f"runde {number} har {per_course[number, id(maybe)]} kursushold, højst {most}",
                    )
                )
    return problems
