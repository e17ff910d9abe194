"""Plans: start a solve, read a plan (per district, unit, person), lock, move, explain, publish.

The HTTP side only (paths, roles, ETags, headers); what each route does is `api.services.plans`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import MAX_ID, Db, Id, Leader, PlanReader, State, etag, require_if_match
from api.orm import PlanState
from api.schemas import JobOut
from api.services import plans as service
from api.services.plans import (
    ChangeOut,
    DeliveryOut,
    DiscardRequest,
    LockOut,
    LockRequest,
    MoveRequest,
    PlanOut,
    PlanVersionOut,
    PreviewOut,
    PublishOut,
    PublishRequest,
    SolveRequest,
    WhatIfRequest,
    WhyOut,
)
from scheduler.replan import MeetingChange

router = APIRouter(prefix="/plans", tags=["plans"])


@router.post("/solve", response_model=JobOut, status_code=202)
def start_solve(body: SolveRequest, db: Db, who: Leader, response: Response, state: State) -> JobOut:
    """Queue a solve of one term; poll `GET /jobs/{id}` for progress and the plan version."""
    job = service.start_solve(db, who, state, body)
    response.headers["Location"] = f"/jobs/{job.id}"
    return job


@router.get("", response_model=list[PlanVersionOut])
def versions(
    db: Db,
    who: Leader,
    term: str | None = Query(default=None, max_length=100),
    state: PlanState | None = None,
    limit: int = Query(default=50, ge=1, le=500),
) -> list[PlanVersionOut]:
    """Plan versions (of a term; in a state: draft, published, superseded, discarded), newest first."""
    return service.versions(db, who, term, limit, state)


@router.get("/live", response_model=PlanOut)
def read_live(
    db: Db,
    who: PlanReader,
    response: Response,
    term: str | None = Query(default=None, max_length=100),
    district: str | None = None,
    unit: str | None = None,
    person: str | None = None,
) -> PlanOut:
    """The term's live plan (default: the newest term that has one; 404 before the first publish),
    read like `GET /plans/{id}` (staff: their own meetings). Never a draft."""
    out = service.read_live(db, who, term, district, unit, person)
    etag(response, out.version)
    return out


@router.get("/{plan_id}", response_model=PlanOut)
def read(
    plan_id: Id,
    db: Db,
    who: PlanReader,
    response: Response,
    district: str | None = None,
    unit: str | None = None,
    person: str | None = None,
) -> PlanOut:
    """A plan, optionally only a district's, a unit's or a person's meetings (staff: their own)."""
    out = service.read_plan(db, who, plan_id, district, unit, person)
    etag(response, out.version)
    return out


@router.get("/{plan_id}/diff", response_model=list[MeetingChange])
def diff(
    plan_id: Id, db: Db, who: Leader, against: int | None = Query(default=None, ge=1, le=MAX_ID)
) -> list[MeetingChange]:
    """What changed from `against` (default: the parent) to this version."""
    return service.diff(db, who, plan_id, against)


@router.post("/{plan_id}/discard", response_model=PlanVersionOut)
def discard(plan_id: Id, db: Db, who: Leader, body: DiscardRequest | None = None) -> PlanVersionOut:
    """Throw a draft away (it stays in the history); the live plan cannot be discarded (409)."""
    return service.discard(db, who, plan_id, body or DiscardRequest())


@router.get("/{plan_id}/explanation", response_model=WhyOut)
def why_no_plan(plan_id: Id, db: Db, who: Leader) -> WhyOut:
    """Why there is no plan (the rules and people that clash), or that there is one."""
    return service.why_no_plan(db, who, plan_id)


@router.get("/{plan_id}/meetings/{uid}/why", response_model=WhyOut)
def why_here(plan_id: Id, uid: str, db: Db, who: Leader) -> WhyOut:
    """Why this meeting sits where it does: what rules out each other time in its period."""
    return service.why_here(db, who, plan_id, uid)


@router.put("/{plan_id}/meetings/{uid}/lock", response_model=LockOut, status_code=201)
def lock(plan_id: Id, uid: str, body: LockRequest, db: Db, who: Leader, response: Response) -> LockOut:
    """Keep the meeting where it is: replanning and re-solving will not move it."""
    out = service.lock(db, who, plan_id, uid, body)
    etag(response, out.version)
    return out


@router.delete("/{plan_id}/meetings/{uid}/lock", status_code=204)
def unlock(
    plan_id: Id,
    uid: str,
    db: Db,
    who: Leader,
    version: Annotated[int, Depends(require_if_match)],
    reason: str = Query(default="", max_length=1000),
) -> Response:
    """Release the lock (If-Match: the lock's ETag)."""
    service.unlock(db, who, plan_id, uid, version, reason)
    return Response(status_code=204)


@router.post("/{plan_id}/meetings/{uid}/move", response_model=ChangeOut, status_code=201)
def move(
    plan_id: Id,
    uid: str,
    body: MoveRequest,
    db: Db,
    who: Leader,
    state: State,
    version: Annotated[int, Depends(require_if_match)],
) -> ChangeOut:
    """Move one meeting; checked against every rule, saved as a new version of the plan.
    If-Match: the plan's ETag (`GET /plans/{id}`)."""
    return service.move(db, who, state, plan_id, uid, body, version)


@router.post("/{plan_id}/what-if", response_model=JobOut, status_code=202)
def what_if(
    plan_id: Id, body: WhatIfRequest, db: Db, who: Leader, response: Response, state: State
) -> JobOut:
    """Plan a changed config with the least change from this plan; nothing is published."""
    job = service.what_if(db, who, state, plan_id, body)
    response.headers["Location"] = f"/jobs/{job.id}"
    return job


@router.post("/{plan_id}/publish", response_model=PublishOut)
def publish(plan_id: Id, body: PublishRequest, db: Db, who: Leader, state: State) -> PublishOut:
    """Make the plan live and send it to calendars; only what changed since the last publish goes
    out. One publish per term at a time: a second one is refused (409) before it sends anything."""
    return service.publish(db, who, state, plan_id, body)


@router.get("/{plan_id}/preview", response_model=PreviewOut)
def preview(
    plan_id: Id,
    db: Db,
    who: Leader,
    state: State,
    backend: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
) -> PreviewOut:
    """What publishing this version would send now, per person and why; nothing is sent. Confirm
    its `messages` (and `fingerprint`) in the publish, which refuses (409) to send anything else."""
    return service.preview(db, who, state, plan_id, backend)


@router.get("/{plan_id}/delivery", response_model=DeliveryOut)
def delivery(plan_id: Id, db: Db, who: Leader, state: State) -> DeliveryOut:
    """Whether a published version has reached every calendar, and what is still unsent."""
    return service.delivery(db, who, state, plan_id)
