"""The facts of a BAL rollout that the solver, the verifier, the explanations and the baseline all
need: its rounds (a config term each, then rounds of `round_weeks` weeks), what a team costs a
facilitator, which course a team takes. One home, so the four never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.index import index_of
from scheduler.model import (
    BalCourse,
    BalFacilitator,
    BalProgramme,
    BalTeam,
    Guest,
    MunicipalityConfig,
    Series,
)
from scheduler.term_dates import open_weeks


@dataclass(frozen=True)
class BalRound:
    number: int
    """1-based"""
    term: str | None
    """the config term of the round; None beyond the config's terms"""
    weeks: int
    name: str
    """'runde 2 (Efterår 2027)', for users"""


class NoBalSection(ValueError):
    """The config has no `bal:` section; said in Danish."""


def programme(config: MunicipalityConfig) -> BalProgramme:
    """The config's `bal:` section, or a Danish error saying it is missing."""
    if config.bal is None:
        raise NoBalSection("konfigurationen har ingen bal:-sektion (BAL-forløbet)")
    return config.bal


def bal_rounds(config: MunicipalityConfig) -> list[BalRound]:
    """Rounds 1..max_rounds: the config's terms in order from `first_term` (their open weeks),
    then rounds of `round_weeks` weeks."""
    bal = programme(config)
    index = index_of(config)
    terms = list(config.terms)
    first = 0
    if bal.first_term is not None:
        first = next((i for i, t in enumerate(terms) if t.id == bal.first_term), 0)
    rounds: list[BalRound] = []
    for number in range(1, bal.max_rounds + 1):
        at = first + number - 1
        if at < len(terms):
            term = terms[at]
            name = f"runde {number} ({index.term_name(term.id)})"
            rounds.append(BalRound(number, term.id, max(1, open_weeks(config, term)), name))
        else:
            rounds.append(BalRound(number, None, bal.round_weeks, f"runde {number}"))
    return rounds


def team_site(config: MunicipalityConfig, team: BalTeam) -> str | None:
    """Where a team's analyses are held: its institution's first site (None for an unknown unit)."""
    unit = index_of(config).units.get(team.unit)
    return unit.sites[0] if unit is not None and unit.sites else None


def trip_minutes(config: MunicipalityConfig, team: BalTeam, facilitator: BalFacilitator) -> int:
    """The round trip from the facilitator's base to the team, per analysis (0 without a base)."""
    site = team_site(config, team)
    if facilitator.base_site is None or site is None:
        return 0
    index = index_of(config)
    return index.travel_minutes(facilitator.base_site, site) + index.travel_minutes(
        site, facilitator.base_site
    )


def team_minutes(config: MunicipalityConfig, team: BalTeam, facilitator: BalFacilitator) -> int:
    """A team's whole round for its facilitator: its analyses and a round trip to each."""
    bal = programme(config)
    return bal.sequence.analyses * (bal.sequence.minutes + trip_minutes(config, team, facilitator))


def travel_of(config: MunicipalityConfig, team: BalTeam, facilitator: BalFacilitator) -> int:
    """The travel part of `team_minutes`."""
    return programme(config).sequence.analyses * trip_minutes(config, team, facilitator)


def allowance_minutes(facilitator: BalFacilitator, weeks: int) -> int:
    """What a facilitator may give BAL in a round of `weeks` weeks, in whole minutes."""
    return int(round(facilitator.hours_per_week * 60)) * weeks


def course_of(bal: BalProgramme, team: BalTeam) -> BalCourse:
    """The course a team takes: leader teams the leader course when there is one."""
    if team.leaders and bal.leader_course is not None:
        return bal.leader_course
    return bal.course


def shares_groups(bal: BalProgramme, team: BalTeam, other: BalTeam) -> bool:
    """Whether two teams may sit in one course group: leader teams only with leader teams."""
    return team.leaders == other.leaders


def hours_per_week(
    config: MunicipalityConfig, placed: dict[str, tuple[int, str]], rounds_used: int
) -> dict[str, list[float]]:
    """Facilitator -> BAL hours a week in each round 1..rounds_used, from team -> (round,
    facilitator); unknown teams or facilitators are left out (the verifier names them)."""
    bal = programme(config)
    teams = {t.id: t for t in bal.teams}
    facilitators = {f.person: f for f in bal.facilitators}
    weeks = {r.number: r.weeks for r in bal_rounds(config)}
    minutes = {(f, n): 0 for f in facilitators for n in range(1, rounds_used + 1)}
    for team, (number, person) in placed.items():
        if team in teams and person in facilitators and (person, number) in minutes:
            minutes[person, number] += team_minutes(config, teams[team], facilitators[person])
    return {
        f: [round(minutes[f, n] / 60 / weeks.get(n, bal.round_weeks), 2) for n in range(1, rounds_used + 1)]
        for f in facilitators
    }


def team_guests(config: MunicipalityConfig, series: Series) -> list[Guest]:
    """The guests of a meeting of the series: each of its `guest_teams` by its label ('team
    Nordskolen, team 1') and address, marked as a team (invited, unlike a family's label)."""
    if not series.guest_teams or config.bal is None:
        return []
    teams = {team.id: team for team in config.bal.teams}
    return [
        Guest(name=f"team {teams[tid].name}", email=teams[tid].email, team=tid)
        for tid in series.guest_teams
        if tid in teams
    ]
