"""Case meetings (Familiemøde, follow-ups): find the best times around a plan, and book one.

Finding changes nothing. Booking adds the meeting (or the whole follow-up series) to a new plan
version, checked by the verifier, and — when the plan was published — sends the invitations
through calendar delivery to exactly the people invited.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.auth import Principal, Role
from api.deps import AppState
from api.errors import BadInput, Forbidden
from api.services.plans import ChangeOut, changeable, load, save_change
from scheduler.model import MunicipalityConfig
from scheduler.slots import (
    BookingError,
    RequestError,
    SlotRequest,
    SlotResult,
    find_and_book,
    find_slots,
    parse_request,
)
from scheduler.slots import booking_unit_for as booking_unit  # where a booking goes: the finder's rule


class SlotSearch(BaseModel):
    request: dict[str, Any] = Field(
        description="who, how long, where, when: the same fields as REQUEST.yaml for `moedeplan find-slots`",
        examples=[
            {
                "id": "fm-0412",
                "participants": [{"person": "fsr"}, {"name": "familien"}],
                "site": "baltorp-skole",
                "earliest": "2027-02-01",
                "latest": "2027-02-12",
            }
        ],
    )
    top: int = Field(default=5, ge=1, le=20)


class SlotBooking(SlotSearch):
    rank: int = Field(default=1, ge=1, le=20, description="the slot's rank in the search answer")
    reason: str = Field(default="", max_length=1000)


def _request(body: SlotSearch, config: MunicipalityConfig) -> SlotRequest:
    try:
        return parse_request(body.request, config)
    except RequestError as exc:
        first = exc.problems[0] if exc.problems else str(exc)
        raise BadInput(f"ugyldig forespørgsel – {first}", "request", exc.problems) from None


def _may_book(who: Principal, config: MunicipalityConfig, request: SlotRequest) -> None:
    """Admins book anything; a district leader only into units of their own district(s) (the unit
    the meeting goes into, as booking chooses it); staff (the social worker) only meetings they
    take part in themselves."""
    if who.role in (Role.admin, Role.distriktsleder):
        unit = booking_unit(config, request)
        if who.may_book_into(config, unit):
            return
        raise Forbidden(f"{who.name} må ikke booke møder i {unit} (et andet distrikt)", "request.unit")
    if who.role == Role.staff and any(p.person == who.person for p in request.participants):
        return
    raise Forbidden("du kan kun booke møder, du selv deltager i")


def search(db: Session, who: Principal, plan_id: int, body: SlotSearch) -> SlotResult:
    """The best times, ranked by the plan's own rules, or a Danish explanation why there is none."""
    if who.role == Role.service:
        raise Forbidden("rollen 'service' må ikke dette")
    row, plan, config = load(db, plan_id)
    return find_slots(config, plan, _request(body, config), top=body.top)


def book(db: Session, who: Principal, state: AppState, plan_id: int, body: SlotBooking) -> ChangeOut:
    """Book the slot of that rank: a new plan version; invitations go out if the plan is published."""
    row, plan, config = load(db, plan_id)
    request = _request(body, config)
    _may_book(who, config, request)
    changeable(db, row)
    try:
        new_plan, slot = find_and_book(config, plan, request, body.rank, top=body.top)
    except BookingError as exc:
        raise BadInput(str(exc), "rank") from None
    reason = body.reason or f"{request.kind} {request.id} booket af {who.name}"
    return save_change(db, state, row, plan, new_plan, config, who, reason)
