"""The BAL rollout in the product: start a rollout job, read a stored rollout (a district
leader: their district's teams; staff: the teams they facilitate), publish it as the live rollout
of its config name, and answer "Hvorfor runde N?" for a team.

A rollout is municipality-wide (the facilitators are shared), so making and publishing one is for
administrators, as a municipality-wide plan is.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api import storage
from api.auth import Principal, Role
from api.db import commit
from api.deps import MAX_ID, AppState
from api.errors import Forbidden
from api.job_types import BalRolloutParams
from api.jobs import dispatch, enqueue
from api.orm import BalRolloutVersion, PlanState
from api.schemas import JobOut, job_out
from scheduler.bal_facts import NoBalSection, programme
from scheduler.bal_why import UnknownTeam, find_team
from scheduler.config import parse_config
from scheduler.index import index_of
from scheduler.model import BalAssignment, BalRollout, MunicipalityConfig, RuleCost


class RolloutRequest(BaseModel):
    config_id: int = Field(ge=1, le=MAX_ID, description="a stored config version with a `bal:` section")
    time_limit: float | None = Field(default=None, gt=0, le=3600, description="seconds")
    workers: int | None = Field(default=None, ge=1, le=64)
    seed: int | None = Field(default=None, ge=0, le=2_147_483_647)
    reason: str = Field(default="", max_length=1000)


class RolloutPublishRequest(BaseModel):
    reason: str = Field(default="", max_length=1000)


class RolloutVersionOut(BaseModel):
    id: int
    config_id: int
    config_name: str = Field(description="the config name whose live rollout this is once published")
    state: PlanState = Field(description="draft, published (the live rollout of its config name), superseded")
    status: str
    rounds_used: int
    objective: float | None
    created_by: str
    created_at: datetime
    reason: str
    published_at: datetime | None
    version: int = Field(description="the ETag of this rollout")


class RolloutOut(RolloutVersionOut):
    assignments: list[BalAssignment] = Field(description="the teams the reader may see")
    waiting: list[str] = Field(description="teams not through within max_rounds (the reader's)")
    facilitator_hours: dict[str, list[float]] = Field(
        description="facilitator -> BAL hours a week in each round (staff: their own)"
    )
    rule_costs: list[RuleCost]
    explanation: list[str] = Field(description="in Danish")


class WhyRoundOut(BaseModel):
    rollout_id: int
    team: str
    round: int | None = Field(description="the team's round; none while it waits")
    reasons: list[str] = Field(
        description="in Danish: what fills each earlier round, and the cost of earlier"
    )


# --------------------------------------------------------------------------- helpers


def rollout_config(db: Session, row: BalRolloutVersion) -> MunicipalityConfig:
    """The config version the rollout was made from (as uploaded: its `bal:` is what counts)."""
    version = storage.get_config(db, row.config_version_id)
    return parse_config(version.yaml, source=version.name)


def visible_teams(who: Principal, config: MunicipalityConfig, rollout: BalRollout) -> set[str] | None:
    """The teams a reader may see (None: all): a district leader their districts' institutions'
    teams, staff the teams they facilitate."""
    if who.role == Role.admin:
        return None
    if who.role == Role.staff:
        return {a.team for a in rollout.assignments if a.facilitator == who.person}
    units = index_of(config).units
    return {
        team.id
        for team in programme(config).teams
        if team.unit in units and set(units[team.unit].districts) & who.districts
    }


def version_out(row: BalRolloutVersion) -> RolloutVersionOut:
    return RolloutVersionOut(
        id=row.id,
        config_id=row.config_version_id,
        config_name=row.config_name,
        state=row.state,
        status=row.status,
        rounds_used=row.rounds_used,
        objective=row.objective,
        created_by=row.created_by,
        created_at=row.created_at,
        reason=row.reason,
        published_at=row.published_at,
        version=row.version,
    )


def rollout_out(
    who: Principal, config: MunicipalityConfig, row: BalRolloutVersion, rollout: BalRollout
) -> RolloutOut:
    seen = visible_teams(who, config, rollout)
    hours = rollout.facilitator_hours
    if who.role == Role.staff:
        hours = {p: h for p, h in hours.items() if p == who.person}
    return RolloutOut(
        **version_out(row).model_dump(),
        assignments=[a for a in rollout.assignments if seen is None or a.team in seen],
        waiting=[t for t in rollout.waiting if seen is None or t in seen],
        facilitator_hours=hours,
        rule_costs=rollout.rule_costs,
        explanation=rollout.explanation,
    )


# --------------------------------------------------------------------------- services


def start_rollout(db: Session, who: Principal, state: AppState, body: RolloutRequest) -> JobOut:
    """Queue a rollout of a config version with a `bal:` section (422 in Danish without one)."""
    version = storage.get_config(db, body.config_id)
    config = parse_config(version.yaml, source=version.name)
    if config.bal is None:
        raise NoBalSection(f"konfigurationen {version.name} (version {version.id}) har ingen bal:-sektion")
    params = BalRolloutParams(
        config_version_id=version.id,
        time_limit=body.time_limit,
        workers=body.workers,
        seed=body.seed,
        actor=who.name,
        reason=body.reason,
    )
    job = enqueue(db, params, who.name)
    commit(db)
    dispatch(state.settings, job.id)
    return job_out(job)


def read(db: Session, who: Principal, rollout_id: int) -> RolloutOut:
    """A stored rollout, as much of it as the reader may see."""
    row, rollout = storage.get_rollout(db, rollout_id)
    return rollout_out(who, rollout_config(db, row), row, rollout)


def read_live(db: Session, who: Principal, config_name: str | None) -> RolloutOut:
    """The live rollout of a config name (default: the newest config's name); 404 before the
    first publish."""
    if config_name is None:
        newest = storage.latest_config(db)
        if newest is None:
            raise storage.NotFound("der er ingen konfiguration endnu")
        config_name = newest.name
    row = storage.live_rollout_version(db, config_name)
    if row is None:
        raise storage.NotFound(f"{config_name} har ingen gældende BAL-udrulning endnu")
    return read(db, who, row.id)


def publish(
    db: Session, who: Principal, rollout_id: int, body: RolloutPublishRequest, version: int | None
) -> RolloutVersionOut:
    """Make the rollout the live one of its config name (the one before is superseded). If-Match,
    when sent, must be the rollout's ETag (412 otherwise)."""
    row = storage.get_rollout_version(db, rollout_id)
    expected = row.version if version is None else version
    row = storage.publish_rollout(db, rollout_id, expected, who.name, body.reason or "udsendt")
    commit(db)
    return version_out(row)


def why(db: Session, who: Principal, state: AppState, rollout_id: int, team_id: str) -> WhyRoundOut:
    """'Hvorfor må dette team vente til runde N?' in Danish (`scheduler.bal_why.why_round`); the
    re-solve it makes is short (the settings' replan time limit, one worker)."""
    from scheduler.bal_rollout import RolloutOptions
    from scheduler.bal_why import why_round

    row, rollout = storage.get_rollout(db, rollout_id)
    config = rollout_config(db, row)
    try:
        team = find_team(config, team_id)
    except UnknownTeam as exc:
        raise storage.NotFound(f"{exc} i BAL-udrulning {row.id}") from None
    seen = visible_teams(who, config, rollout)
    if seen is not None and team.id not in seen:
        raise Forbidden(f"{who.name} må ikke se teamet «{team.name}» (et andet distrikt)")
    options = RolloutOptions(time_limit=state.settings.replan_time_limit, workers=1)
    reasons = why_round(config, rollout, team.id, options)
    mine = next((a for a in rollout.assignments if a.team == team.id), None)
    return WhyRoundOut(
        rollout_id=row.id, team=team.id, round=mine.round if mine is not None else None, reasons=reasons
    )
