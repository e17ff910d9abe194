"""The BAL rollout pages ("BAL-udrulning"): per district (its teams by round, course groups and
each team's facilitator), per facilitator (teams, institutions, BAL hours a week per round against
what they may give, as a bar), and "Hvorfor runde N?" for a team.

They read the live rollout (of `?config=`, default the newest live one) through the API's own
services, so a district leader sees their district's teams only and staff their own page only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from api import storage
from api.auth import Principal, Role
from api.deps import Db
from api.orm import BalRolloutVersion
from api.services import bal as bal_service
from api.web.common import Page, User, WebError
from scheduler.bal_facts import BalRound, bal_rounds
from scheduler.index import ConfigIndex, index_of
from scheduler.model import BalAssignment, BalRollout, MunicipalityConfig

router = APIRouter(include_in_schema=False)


@dataclass
class Live:
    """The rollout a page shows, its config, and names."""

    row: BalRolloutVersion
    rollout: BalRollout
    config: MunicipalityConfig
    visible: set[str] | None
    """the teams the reader may see (None: all)"""

    @property
    def index(self) -> ConfigIndex:
        return index_of(self.config)

    @property
    def rounds(self) -> list[BalRound]:
        return bal_rounds(self.config)

    def mine(self) -> list[BalAssignment]:
        return [a for a in self.rollout.assignments if self.visible is None or a.team in self.visible]

    def round_name(self, p: Page, number: int) -> str:
        """'Runde 2 · Efterår 2027' in the page's language (the term's name is the config's)."""
        term = self.rounds[number - 1].term if number <= len(self.rounds) else None
        name = f"{p.t('bal_round')} {number}"
        return f"{name} · {self.index.term_name(term)}" if term is not None else name


def _live(p: Page, db: Session, config: str | None) -> Live | None:
    rows = storage.live_rollout_versions(db)
    if config is not None:
        rows = [r for r in rows if r.config_name == config]
    if not rows:
        return None
    row, rollout = storage.get_rollout(db, rows[0].id)
    cfg = bal_service.rollout_config(db, row)
    return Live(row, rollout, cfg, bal_service.visible_teams(p.who, cfg, rollout))


@dataclass
class TeamRow:
    team: str
    name: str
    institution: str
    district: str
    group: int
    facilitator: str


@dataclass
class RoundBlock:
    number: int
    name: str
    teams: list[TeamRow] = field(default_factory=list)
    groups: int = 0


def _district_choices(who: Principal, live: Live) -> list[tuple[str, str]]:
    districts = live.index.districts
    if who.role == Role.admin:
        return [(d.id, d.name) for d in districts.values()]
    return [(d.id, d.name) for d in districts.values() if d.id in who.districts]


@router.get("/bal")
def districts_view(
    p: User,
    db: Db,
    config: str | None = Query(default=None, max_length=200),
    district: str | None = Query(default=None, max_length=100),
) -> Response:
    """A district's teams by round: course group and facilitator, and why each is in its round."""
    if p.who.role not in (Role.admin, Role.distriktsleder):
        raise WebError(403, p.t("forbidden"))
    live = _live(p, db, config)
    if live is None:
        return p.render("bal.html", title=p.t("bal_title"), live=None)
    choices = _district_choices(p.who, live)
    if district is not None and district not in {d for d, _ in choices}:
        raise WebError(404, p.t("bal_unknown_district"))
    shown = district or (choices[0][0] if choices else None)
    index = live.index
    teams = {t.id: t for t in live.config.bal.teams} if live.config.bal is not None else {}
    blocks: dict[int, RoundBlock] = {}
    for a in sorted(live.mine(), key=lambda a: (a.round, a.course_group, a.team)):
        team = teams.get(a.team)
        if team is None or shown not in index.units[team.unit].districts:
            continue
        block = blocks.setdefault(a.round, RoundBlock(a.round, live.round_name(p, a.round)))
        block.teams.append(
            TeamRow(
                a.team,
                team.name,
                index.unit_name(team.unit),
                index.district_name(shown) if shown else "",
                a.course_group,
                index.person_name(a.facilitator),
            )
        )
    for block in blocks.values():
        block.groups = len({t.group for t in block.teams})
    waiting = [
        teams[t].name
        for t in live.rollout.waiting
        if t in teams
        and shown in index.units[teams[t].unit].districts
        and (live.visible is None or t in live.visible)
    ]
    return p.render(
        "bal.html",
        title=p.t("bal_title"),
        live=live,
        choices=choices,
        shown=shown,
        district_name=index.district_name(shown) if shown else "",
        blocks=[blocks[n] for n in sorted(blocks)],
        waiting=waiting,
        config=config,
    )


@dataclass
class FacilitatorRow:
    person: str
    name: str
    allowance: float
    teams: list[tuple[str, str, int]]
    """(team name, institution, round)"""
    institutions: list[str]
    hours: list[tuple[str, float, int]]
    """(round name, hours a week, the bar's width in % of the allowance, at most 100)"""


@router.get("/bal/facilitators")
def facilitators_view(
    p: User,
    db: Db,
    config: str | None = Query(default=None, max_length=200),
) -> Response:
    """Each facilitator's teams and institutions, and BAL hours a week per round against their
    BAL hours (a bar); staff see their own only."""
    if p.who.role not in (Role.admin, Role.distriktsleder, Role.staff):
        raise WebError(403, p.t("forbidden"))
    live = _live(p, db, config)
    if live is None or live.config.bal is None:
        return p.render("bal_facilitators.html", title=p.t("bal_facilitators_title"), live=None)
    index = live.index
    teams = {t.id: t for t in live.config.bal.teams}
    mine = live.mine()
    rows = []
    for f in live.config.bal.facilitators:
        if p.who.role == Role.staff and f.person != p.who.person:
            continue
        followed = [a for a in mine if a.facilitator == f.person]
        if p.who.role == Role.distriktsleder and not followed:
            continue
        places = Counter(index.unit_name(teams[a.team].unit) for a in followed)
        hours = live.rollout.facilitator_hours.get(f.person, [])
        rows.append(
            FacilitatorRow(
                f.person,
                index.person_name(f.person),
                f.hours_per_week,
                [(teams[a.team].name, index.unit_name(teams[a.team].unit), a.round) for a in followed],
                [f"{name} ({n})" for name, n in places.most_common()],
                [
                    (live.round_name(p, n), h, min(100, round(100 * h / f.hours_per_week)))
                    for n, h in enumerate(hours[: live.rollout.rounds_used], start=1)
                ],
            )
        )
    return p.render(
        "bal_facilitators.html", title=p.t("bal_facilitators_title"), live=live, rows=rows, config=config
    )


@router.get("/bal/why/{team}")
def why_view(
    p: User,
    db: Db,
    team: str,
    config: str | None = Query(default=None, max_length=200),
) -> Response:
    """'Hvorfor runde N?' for one team, in Danish (the scheduler's words)."""
    live = _live(p, db, config)
    if live is None:
        raise WebError(404, p.t("bal_none"))
    answer = bal_service.why(db, p.who, p.state, live.row.id, team)
    teams = {t.id: t for t in live.config.bal.teams} if live.config.bal is not None else {}
    title = p.t("bal_why_title").format(n=answer.round) if answer.round else p.t("bal_why_waiting")
    return p.render(
        "bal_why.html",
        title=title,
        team_name=teams[answer.team].name,
        reasons=answer.reasons,
        config=config,
    )
