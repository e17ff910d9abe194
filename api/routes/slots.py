"""Case meetings (Familiemøde, follow-ups): find the best times around a plan, and book one.

The HTTP side only; what each route does is `api.services.slots`.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Anyone, Db, Id, State
from api.services import slots as service
from api.services.plans import ChangeOut
from api.services.slots import SlotBooking, SlotSearch
from scheduler.slots import SlotResult

router = APIRouter(prefix="/plans/{plan_id}/slots", tags=["slots"])


@router.post("", response_model=SlotResult)
def search(plan_id: Id, body: SlotSearch, db: Db, who: Anyone) -> SlotResult:
    """The best times, ranked by the plan's own rules, or a Danish explanation why there is none."""
    return service.search(db, who, plan_id, body)


@router.post("/book", response_model=ChangeOut, status_code=201)
def book(plan_id: Id, body: SlotBooking, db: Db, who: Anyone, state: State) -> ChangeOut:
    """Book the slot of that rank: a new plan version; invitations go out if the plan is published."""
    return service.book(db, who, state, plan_id, body)
