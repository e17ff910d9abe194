"""'Hvorfor må dette team vente til runde 4?': the answer in Danish, with names and numbers.

Two parts. First, with the rest of the rollout as it is, what stands in the way in each earlier
round: the facilitators' hours (used of what they may give, against what the team needs), the
cap on teams from one institution, full course groups, leaders first. Then a re-solve with the
team required one or more rounds earlier: whether it can come earlier at all when other teams
move, and what that costs in the soft rules.
"""

from __future__ import annotations

import difflib

from scheduler.bal_facts import BalRound, allowance_minutes, bal_rounds, course_of, programme, team_minutes
from scheduler.bal_rollout import RolloutOptions, plan_rollout
from scheduler.danish import join_da, number_da, plural_da
from scheduler.index import index_of
from scheduler.model import BalRollout, BalTeam, MunicipalityConfig, PlanStatus
from scheduler.rollout_rules import rollout_rule_by_name

MOST_NAMED = 6
"""Facilitators named one by one; the rest are counted."""


class UnknownTeam(ValueError):
    """The team id is not in the config's BAL teams; the message is Danish, with a suggestion."""


def find_team(config: MunicipalityConfig, team_id: str) -> BalTeam:
    """The team with this id, or `UnknownTeam` naming the closest id."""
    teams = {t.id: t for t in programme(config).teams}
    if team_id in teams:
        return teams[team_id]
    close = difflib.get_close_matches(team_id, list(teams), n=1)
    hint = f" (mente du '{close[0]}'?)" if close else ""
    raise UnknownTeam(f"ukendt team '{team_id}'{hint}")


def why_round(
    config: MunicipalityConfig, rollout: BalRollout, team_id: str, options: RolloutOptions | None = None
) -> list[str]:
    """Why the team is in its round (or waits), in Danish; names, never ids."""
    bal = programme(config)
    index = index_of(config)
    team = find_team(config, team_id)
    rounds = bal_rounds(config)
    mine = next((a for a in rollout.assignments if a.team == team.id), None)
    at = mine.round if mine is not None else len(rounds) + 1
    who = f"«{team.name}» ({index.unit_name(team.unit)})"
    if mine is not None:
        lines = [
            f"{who} er med i {rounds[mine.round - 1].name} med "
            f"{index.person_name(mine.facilitator)} som facilitator."
        ]
    else:
        lines = [
            f"{who} venter: teamet når ikke igennem inden for {plural_da(len(rounds), 'runde', 'runder')}."
        ]
    if at == 1:
        lines.append("Det er første runde; tidligere kan teamet ikke komme.")
        return lines
    if team.size > course_of(bal, team).capacity:
        lines.append(
            f"«Kursusholdenes pladser»: teamet har {team.size} deltagere, men et kursushold har kun "
            f"plads til {course_of(bal, team).capacity}."
        )
        return lines
    earlier = rounds[: at - 1]
    if team.leaders and bal.priorities.leaders_first:
        earlier = earlier[:1]
        if at > 1:
            lines.append("«Ledere først»: et lederteam kan kun komme i første runde.")
    lines.extend(_obstacles(config, rollout, team, earlier))
    lines.extend(_earlier_at_a_cost(config, rollout, team, at, options))
    return lines


def _obstacles(
    config: MunicipalityConfig, rollout: BalRollout, team: BalTeam, earlier: list[BalRound]
) -> list[str]:
    """With the other teams where they are: what fills each earlier round for this team."""
    bal = programme(config)
    index = index_of(config)
    teams = {t.id: t for t in bal.teams}
    facilitators = {f.person: f for f in bal.facilitators}
    course = course_of(bal, team)
    cap = bal.priorities.max_teams_per_institution
    others = [a for a in rollout.assignments if a.team != team.id]
    lines: list[str] = []
    full: dict[str, list[BalRound]] = {}
    used: dict[tuple[str, int], int] = {}
    for a in others:
        key = (a.facilitator, a.round)
        if a.facilitator in facilitators:
            used[key] = used.get(key, 0) + team_minutes(config, teams[a.team], facilitators[a.facilitator])
    blocked: set[int] = set()
    for rnd in earlier:
        here = [a for a in others if a.round == rnd.number]
        same = [a for a in here if teams[a.team].unit == team.unit]
        if cap is not None and len(same) >= cap:
            blocked.add(rnd.number)
            lines.append(
                f"«Højst {cap} team fra {index.unit_name(team.unit)} ad gangen»: {rnd.name} har allerede "
                f"{plural_da(len(same), 'team', 'team')} derfra."
            )
        if course.max_groups is not None:
            seats: dict[int, int] = {}
            kinds: dict[int, bool] = {}
            for a in here:
                other = teams[a.team]
                if course_of(bal, other) is course:
                    seats[a.course_group] = seats.get(a.course_group, 0) + other.size
                    kinds[a.course_group] = other.leaders
            room = [course.capacity - s for g, s in seats.items() if kinds[g] == team.leaders]
            if len(seats) >= course.max_groups and all(r < team.size for r in room):
                blocked.add(rnd.number)
                lines.append(
                    f"«Kursusholdenes pladser»: kursusholdene i {rnd.name} er fulde "
                    f"({len(seats)} af {course.max_groups} hold; højst {max(room, default=0)} ledige "
                    f"pladser på et hold, teamet er {team.size})."
                )
        for f in bal.facilitators:
            if used.get((f.person, rnd.number), 0) + team_minutes(config, team, f) > allowance_minutes(
                f, rnd.weeks
            ):
                full.setdefault(f.person, []).append(rnd)
    everyone_full = [rnd for rnd in earlier if all(rnd in full.get(f.person, []) for f in bal.facilitators)]
    blocked.update(r.number for r in everyone_full)
    if everyone_full:
        lines.append(
            f"«Facilitatorernes timer»: ingen facilitator har tid til teamet i {_rounds_da(everyone_full)}:"
        )
        named = [f for f in bal.facilitators if full.get(f.person)][:MOST_NAMED]
        for f in named:
            rounds = [r for r in full[f.person] if r in everyone_full]
            hours = [used.get((f.person, r.number), 0) / 60 / r.weeks for r in rounds]
            needs = [team_minutes(config, team, f) / 60 / r.weeks for r in rounds]
            lines.append(
                f"  {index.person_name(f.person)} har {_span_da(hours)} af {number_da(f.hours_per_week)} "
                f"timer om ugen brugt i {_rounds_da(rounds)} (teamet kræver {_span_da(needs)})"
            )
        rest = len([f for f in bal.facilitators if full.get(f.person)]) - len(named)
        if rest > 0:
            lines.append(f"  … og {plural_da(rest, 'facilitator mere', 'facilitatorer mere')} ligeså")
    open_rounds = [rnd for rnd in earlier if rnd.number not in blocked]
    if open_rounds:
        lines.append(
            f"Med de andre team, hvor de er, er der plads til teamet i {_rounds_da(open_rounds)}; at det "
            "ligger senere, skyldes de bløde regler (se nedenfor)."
        )
    return lines


def _earlier_at_a_cost(
    config: MunicipalityConfig, rollout: BalRollout, team: BalTeam, at: int, options: RolloutOptions | None
) -> list[str]:
    """Re-solve with the team before round `at`: can it come earlier, and at what cost?"""
    rounds = bal_rounds(config)
    quick = RolloutOptions(time_limit=5, workers=1, deterministic=True)
    other = plan_rollout(config, options or quick, earlier=(team.id, at))
    if other.status == PlanStatus.INFEASIBLE:
        return [f"Heller ikke hvis andre team flyttes, kan teamet komme før {_round_word(rounds, at)}."]
    if other.status not in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE):
        return ["Det kunne ikke afgøres inden for tidsgrænsen, om teamet kan komme tidligere."]
    moved = next(a for a in other.assignments if a.team == team.id)
    where = rounds[moved.round - 1].name
    old = {c.rule: c for c in rollout.rule_costs}
    later = _moved_later(config, rollout, other, team)
    instead = f" ({join_da(later[:5])}{' …' if len(later) > 5 else ''} kommer så senere)" if later else ""
    if old and _no_worse(other.objective, rollout.objective):
        return [f"Teamet kan komme i {where} uden at udrulningen bliver dårligere{instead}."]
    worse: list[str] = []
    better: list[str] = []
    for cost in other.rule_costs:
        before_cost = old.get(cost.rule)
        if before_cost is None or cost.violations == before_cost.violations:
            continue
        rule = rollout_rule_by_name(cost.rule)
        (worse if cost.cost > before_cost.cost else better).append(
            f"  «{rule.title_da}»: {rule.count_phrase_da(cost.violations)} i stedet for "
            f"{rule.count_phrase_da(before_cost.violations)}"
        )
    lines = [
        f"Teamet kan komme i {where}, hvis andre team flyttes{instead}" + ("; det koster:" if worse else ".")
    ]
    lines.extend(worse)
    if better:
        lines.append("Til gengæld:")
        lines.extend(better)
    return lines


def _moved_later(
    config: MunicipalityConfig, rollout: BalRollout, other: BalRollout, team: BalTeam
) -> list[str]:
    """The names of the teams that come later (or wait) in `other` than in `rollout`."""
    names = {t.id: t.name for t in programme(config).teams}
    last = len(bal_rounds(config)) + 1
    was = {a.team: a.round for a in rollout.assignments}
    now = {a.team: a.round for a in other.assignments}
    return [f"«{names[t]}»" for t in names if t != team.id and t in was and now.get(t, last) > was[t]]


def _no_worse(new: float | None, old: float | None) -> bool:
    return new is not None and old is not None and new <= old


def _round_word(rounds: list[BalRound], at: int) -> str:
    return rounds[at - 1].name if at <= len(rounds) else f"runde {at}"


def _rounds_da(rounds: list[BalRound]) -> str:
    """'runde 1-3', 'runde 1, 3 og 5', 'runde 2'."""
    numbers = [r.number for r in rounds]
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"runde {numbers[0]}-{numbers[-1]}"
    return "runde " + join_da([str(n) for n in numbers])


def _span_da(values: list[float]) -> str:
    """'4,0' or '3,5-4,0'."""
    low, high = min(values), max(values)
    return number_da(high) if number_da(low) == number_da(high) else f"{number_da(low)}-{number_da(high)}"
