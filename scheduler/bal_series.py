"""A BAL rollout's meetings as series of the term's one joint model.

The rollout (`BalRollout`) says which team takes its round in which term, with which facilitator
and course group. Here each round becomes ordinary series, so the facilitated analyses are planned
together with the coordination conferences (a facilitator is never booked against one) and solve,
verify, publish and calendars need nothing new:

- per course group, a `bal_kursus` series: `course.sessions` sessions in the term at one of the
  course's sites; leader groups take `leader_course` where there is one;
- per team, a `bal_analyse` series 'bal-<team id>': `sequence.analyses` analyses at the team's
  institution with its facilitator as a named seat (the same person all through), every
  `min_gap_days`-`max_gap_days` days, the first after the group's `after_course_sessions`-th
  course session (`Series.after`, the `after_series` rule).

A course group spans institutions, but every meeting of the product belongs to a unit (its
calendar, its district). A session is held at an address, so it belongs to the unit there: a
team's own institution when the course is at its address, else the first unit with that site.
Course sessions have no staff seats: the teams' members are not staff, and invitations go to the
teams' addresses: a course group's series names its teams, a team's analyses the team
(`Series.guest_teams`), and each meeting has them as guests (`bal_facts.team_guests`).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from scheduler.config import BAL_SERIES_PREFIX, ConfigError, cross_check
from scheduler.index import index_of
from scheduler.model import (
    After,
    BalAssignment,
    BalCourse,
    BalProgramme,
    BalRollout,
    BalTeam,
    Cadence,
    CadenceKind,
    MunicipalityConfig,
    Series,
    SeriesType,
    Term,
)


def analysis_series_id(team_id: str) -> str:
    """'bal-<team id>': stable, since a team has one round."""
    return f"{BAL_SERIES_PREFIX}{team_id}"


def course_series_id(term: Term, group: int) -> str:
    """'bal-kursus-<term>-hold-<group>': a course group's sessions in its round's term."""
    return f"{BAL_SERIES_PREFIX}kursus-{term.id}-hold-{group}"


def bal_series(config: MunicipalityConfig, rollout: BalRollout, term: Term) -> list[Series]:
    """The course groups' and teams' series of the rollout's round in `term` (none when the config
    has no `bal:` or no round falls in the term). A rollout naming a team or facilitator the config
    does not have is a ConfigError, in Danish."""
    bal = config.bal
    if bal is None:
        return []
    mine = [a for a in rollout.assignments if a.term == term.id]
    _check_assignments(config, bal, mine)
    teams = {team.id: team for team in bal.teams}
    groups: dict[int, list[BalAssignment]] = defaultdict(list)
    for assignment in mine:
        groups[assignment.course_group].append(assignment)

    out: list[Series] = []
    course_of: dict[int, str] = {}
    at_site: Counter[str] = Counter()
    for group, members in sorted(groups.items()):
        group_teams = [teams[a.team] for a in members]
        course, leaders = _course_for(bal, group_teams)
        site, unit = _course_place(config, course, group_teams, at_site)
        at_site[site] += 1
        what = "BAL-kursus for pædagogiske ledere" if leaders else "BAL-kursus"
        series = Series(
            id=course_series_id(term, group),
            type=SeriesType.bal_kursus,
            title=f"{what}, runde {members[0].round}, hold {group}",
            unit=unit,
            site=site,
            cadence=Cadence(kind=CadenceKind.per_term, count=course.sessions),
            duration_minutes=course.minutes,
            weekdays=list(course.weekdays),
            window=course.window,
            terms=[term.id],
            guest_teams=[team.id for team in group_teams],
        )
        course_of[group] = series.id
        out.append(series)

    sequence = bal.sequence
    order = {team.id: i for i, team in enumerate(bal.teams)}
    index = index_of(config)
    for assignment in sorted(mine, key=lambda a: order[a.team]):
        team = teams[assignment.team]
        after = (
            After(series=course_of[assignment.course_group], meetings=sequence.after_course_sessions)
            if sequence.after_course_sessions
            else None
        )
        out.append(
            Series(
                id=analysis_series_id(team.id),
                type=SeriesType.bal_analyse,
                title=f"BAL-analyse: {team.name}",
                unit=team.unit,
                site=index.units[team.unit].sites[0],
                cadence=Cadence(
                    kind=CadenceKind.per_term,
                    count=sequence.analyses,
                    min_gap_days=sequence.min_gap_days,
                    max_gap_days=sequence.max_gap_days,
                ),
                duration_minutes=sequence.minutes,
                weekdays=list(sequence.weekdays),
                window=sequence.window,
                required_people=[assignment.facilitator],
                terms=[term.id],
                after=after,
                guest_teams=[team.id],
            )
        )
    return out


def with_bal(config: MunicipalityConfig, rollout: BalRollout) -> MunicipalityConfig:
    """A copy of the config whose series also hold the rollout's, for every term it has rounds in;
    checked like a written config (`cross_check`), so a generated series that cannot be planned
    is a ConfigError naming it, not a crash in the solver."""
    generated = [series for term in config.terms for series in bal_series(config, rollout, term)]
    if not generated:
        return config
    result = config.model_copy(update={"series": [*config.series, *generated]})
    problems = list(cross_check(result))
    if problems:
        raise ConfigError(problems)
    return result


def _check_assignments(config: MunicipalityConfig, bal: BalProgramme, mine: list[BalAssignment]) -> None:
    """Every assignment names a team of `bal.teams` (once) and a staff member as facilitator."""
    teams = {team.id for team in bal.teams}
    people = index_of(config).people
    problems: list[str] = []
    for assignment in mine:
        if assignment.team not in teams:
            problems.append(f"rollout: teamet '{assignment.team}' findes ikke i bal.teams")
        if assignment.facilitator not in people:
            problems.append(
                f"rollout: facilitatoren '{assignment.facilitator}' for teamet '{assignment.team}' "
                "findes ikke i staff"
            )
    for team, n in Counter(a.team for a in mine).items():
        if n > 1:
            problems.append(f"rollout: teamet '{team}' står {n} gange i samme runde")
    if problems:
        raise ConfigError(problems)


def _course_for(bal: BalProgramme, teams: list[BalTeam]) -> tuple[BalCourse, bool]:
    """The course a group takes, and whether it is a leader group: a group of leader teams only
    takes `leader_course` ("et særligt kursusforløb", faq) when there is one, else `course`."""
    leaders = all(team.leaders for team in teams)
    if leaders and bal.leader_course is not None:
        return bal.leader_course, True
    return bal.course, leaders


def _course_place(
    config: MunicipalityConfig, course: BalCourse, teams: list[BalTeam], at_site: Counter[str]
) -> tuple[str, str]:
    """(site, unit) of a group's sessions: the course site nearest its teams (travel minutes from
    each team's institution, weighted by team size), then the one with fewer groups this term;
    the unit is a team's institution at that site, else the first unit there."""
    index = index_of(config)

    def distance(site: str) -> int:
        return sum(team.size * index.travel_minutes(index.units[team.unit].sites[0], site) for team in teams)

    position = {site: i for i, site in enumerate(course.sites)}
    site = min(course.sites, key=lambda s: (distance(s), at_site[s], position[s]))
    owner = next((team.unit for team in teams if site in index.units[team.unit].sites), None)
    if owner is None:
        owner = next(unit.id for unit in config.units if site in unit.sites)  # checked in config
    return site, owner
