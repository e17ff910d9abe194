"""Free/busy from Exchange into planning: busy times become unavailability for the next solve.

Reads each person's busy blocks for a term from the configured Exchange back-end (EWS or Graph),
leaves out the meetings moedeplan itself published (the newest published plan of the term), and
stores the rest as absences, which every later solve, move and replanning respects. Only times
are kept: Exchange's subjects never reach the database.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api import storage
from api.db import commit
from api.deps import MAX_ID, Db, Leader, State
from api.errors import BadInput, Unreachable
from api.orm import AbsenceState
from calendar_sync.backends.base import DeliveryError
from calendar_sync.freebusy import merged, read_busy
from calendar_sync.items import items_from_plan
from scheduler.config import parse_config
from scheduler.index import index_of

router = APIRouter(prefix="/freebusy", tags=["freebusy"])

BUSY_REASON = "optaget i Exchange"


class FreeBusyRequest(BaseModel):
    config_id: int = Field(ge=1, le=MAX_ID)
    term: str = Field(min_length=1, max_length=100)
    backend: str | None = Field(
        default=None, pattern=r"^exchange_(ews|graph)$", description="default: MOEDEPLAN_CALENDAR_BACKEND"
    )


class FreeBusyOut(BaseModel):
    people: int = Field(description="people with an e-mail address whose calendars were read")
    busy_blocks: int = Field(description="busy blocks found, our own meetings left out")
    added: int = Field(description="new unavailabilities stored (blocks already stored are skipped)")


@router.post("", response_model=FreeBusyOut)
def import_busy(body: FreeBusyRequest, db: Db, who: Leader, state: State) -> FreeBusyOut:
    """Read busy times for the term and store them for planning; run it before a solve."""
    version = storage.get_config(db, body.config_id)
    config = parse_config(version.yaml, source=version.name)
    if body.term not in index_of(config).terms:
        raise BadInput(f"ukendt termin '{body.term}'", "term")
    published = storage.latest_plan_version(db, body.term, published=True)
    own = items_from_plan(config, storage.get_plan(db, published.id)[1]) if published is not None else []
    try:
        busy = read_busy(config, body.term, state.calendar, body.backend, own=own)
    except ValueError as exc:
        raise BadInput(str(exc), "backend") from None
    except (DeliveryError, OSError) as exc:
        raise Unreachable(f"Exchange kunne ikke læses: {exc}") from None
    known = storage.absence_spans(db)
    added = 0
    for person, blocks in busy.items():
        for start, end in merged(blocks):
            if (person, start, end) in known:
                continue
            absence = storage.create_absence(db, person, start, end, BUSY_REASON, who.name)
            storage.update_absence(
                db, absence.id, absence.version, actor=who.name, state=AbsenceState.resolved
            )
            added += 1
    commit(db)
    return FreeBusyOut(people=len(busy), busy_blocks=sum(len(b) for b in busy.values()), added=added)
