"""Absences: someone is unavailable → ranked proposals → one accepted → a new plan version.

The HTTP side only; what each route does is `api.services.absences`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.deps import Anyone, Db, Id, Leader, State, etag, require_if_match
from api.services import absences as service
from api.services.absences import AbsenceOut, AbsenceRequest
from api.services.plans import ChangeOut

router = APIRouter(prefix="/absences", tags=["absences"])


@router.post("", response_model=AbsenceOut, status_code=201)
def register(body: AbsenceRequest, db: Db, who: Anyone, state: State, response: Response) -> AbsenceOut:
    """Register an absence and get ranked proposals; nothing is sent until one is accepted.

    Whole days (`2027-03-08`), local times without an offset and a person's name are accepted.
    The same absence again is answered 200 with the registered one (`created` false, `message`
    "findes allerede"); one that overlaps a registered absence at one end is registered for its
    new part only (`message` says so); one around a registered absence is refused (409)."""
    out = service.register(db, who, state, body)
    if not out.created:
        response.status_code = 200
    etag(response, out.version)
    return out


@router.get("/{absence_id}", response_model=AbsenceOut)
def read(absence_id: Id, db: Db, who: Anyone, response: Response) -> AbsenceOut:
    out = service.read(db, who, absence_id)
    etag(response, out.version)
    return out


@router.post("/{absence_id}/proposals/{proposal_id}/accept", response_model=ChangeOut, status_code=201)
def accept(
    absence_id: Id,
    proposal_id: Id,
    db: Db,
    who: Leader,
    state: State,
    version: Annotated[int, Depends(require_if_match)],
) -> ChangeOut:
    """Make the proposal the plan: a new version; sent at once to the people it notifies
    (if the plan was published). If-Match: the proposal's ETag."""
    return service.accept(db, who, state, absence_id, proposal_id, version)
