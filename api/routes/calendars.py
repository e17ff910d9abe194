"""ICS subscription feeds per person, unit and district, behind an unguessable token.

A feed URL carries its own token, so it can be pasted into Outlook without a login; a signed-in
user asks for their link at `/calendars/{kind}/{id}/link` and gets one issued to them
(`api.feed_tokens`): revocable one by one (`DELETE …/tokens`, `moedeplan feed-revoke`) and
ended when their user is removed. The HTTP side only; the work is `api.services.calendars`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.deps import Admin, Anyone, Db, State
from api.services import calendars as service
from api.services.calendars import FeedKind, FeedLink, Revoked
from scheduler.model import Identifier

router = APIRouter(prefix="/calendars", tags=["calendars"])

# A reader id is an id of the config (a malformed one is a 422, never a database error).
ReaderId = Annotated[Identifier, Path(description="a person, unit or district id")]
# Free text for the audit log and user names: anything printable.
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


@router.get(
    "/{kind}/{reader_id}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "METHOD:PUBLISH calendar"}},
)
def feed(
    kind: FeedKind, reader_id: ReaderId, db: Db, state: State, token: str = Query(max_length=100)
) -> Response:
    """The feed; 404 for a wrong, revoked or ended token, so a guess cannot even learn that a
    reader exists. A token ends with the user it was issued to."""
    body = service.feed(db, state, kind, reader_id, token)
    return Response(
        body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=300"}
    )


@router.get("/{kind}/{reader_id}/link", response_model=FeedLink)
def link(kind: FeedKind, reader_id: ReaderId, db: Db, who: Anyone, state: State) -> FeedLink:
    """The subscription link for a feed: staff their own; a district leader their district(s),
    its units and the people who serve it; admin any."""
    return service.link(db, who, state, kind, reader_id)


@router.delete("/{kind}/{reader_id}/tokens", response_model=Revoked)
def revoke(
    kind: FeedKind,
    reader_id: ReaderId,
    db: Db,
    who: Admin,
    user: str | None = Query(
        default=None, min_length=1, max_length=200, pattern=_PRINTABLE, description="only this user's"
    ),
    reason: str = Query(default="", max_length=1000, pattern=_PRINTABLE),
) -> Revoked:
    """Stop every link to this feed (or only those issued to `user`) from working, now; audited.
    Asking for a link afterwards issues a new one."""
    return service.revoke(db, who, kind, reader_id, user, reason)
