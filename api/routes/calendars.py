"""ICS subscription feeds per person, unit and district, behind an unguessable token.

A feed URL carries its own token (an HMAC of the reader), so it can be pasted into Outlook
without a login; a signed-in user asks for their link at `/calendars/{kind}/{id}/link`. Feeds
serve the newest published version of each term, rendered once per set of versions and cached:
plan versions never change, so neither do their feeds.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import storage
from api.auth import Principal, Role, feed_token, feed_token_valid
from api.deps import Anyone, AppState, Db, State
from api.jobs import effective_config
from api.orm import PlanVersion
from calendar_sync.ics import reader_feeds
from calendar_sync.itip import render_feed
from scheduler.config import ConfigError
from scheduler.model import IDENTIFIER_PATTERN, MunicipalityConfig, Plan

router = APIRouter(prefix="/calendars", tags=["calendars"])


class FeedKind(StrEnum):
    person = "person"
    unit = "unit"
    district = "district"


class FeedLink(BaseModel):
    kind: FeedKind
    id: str
    url: str
    webcal: str


def _published(db: Session) -> list[int]:
    """The newest published version of each term."""
    newest = (
        select(func.max(PlanVersion.id))
        .where(PlanVersion.published_at.is_not(None))
        .group_by(PlanVersion.term)
    )
    return sorted(db.scalars(newest))


def _feeds(db: Session, state: AppState, kind: FeedKind) -> dict[str, bytes]:
    """Every reader's feed of this kind, rendered once per set of published versions.

    Rendering happens under the lock: when a new version is published, the first reader renders
    and the others wait for that, rather than all rendering the same feeds at once.
    """
    key = (hash(tuple(_published(db))), kind.value)
    with state.feed_lock:
        cached = state.feed_cache.get(key)
        if cached is not None:
            return cached
        plans: list[tuple[MunicipalityConfig, Plan]] = []
        for version_id in _published(db):
            row, plan = storage.get_plan(db, version_id)
            plans.append((effective_config(db, storage.get_config(db, row.config_version_id)), plan))
        feeds = reader_feeds(plans, kind.value)
        if len(state.feed_cache) > 32:
            state.feed_cache.clear()
        state.feed_cache[key] = feeds
        return feeds


@router.get(
    "/{kind}/{reader_id}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "METHOD:PUBLISH calendar"}},
)
def feed(
    kind: FeedKind,
    reader_id: Annotated[str, Path(pattern=IDENTIFIER_PATTERN, max_length=80)],
    db: Db,
    state: State,
    token: str = Query(max_length=100),
) -> Response:
    """The feed; 404 for a wrong token, so a guess cannot even learn that a reader exists."""
    if not feed_token_valid(state.feed_secret, kind.value, reader_id, token):
        raise HTTPException(404, "ingen sådan kalender")
    try:
        feeds = _feeds(db, state, kind)
    except ConfigError:  # a config stored before today's checks: say so, name nothing in it
        raise HTTPException(
            409, "kalenderen kan ikke vises: den gemte konfiguration er ikke gyldig"
        ) from None
    body = feeds.get(reader_id)
    if body is None:  # a valid token for a reader no published plan knows (yet): an empty calendar
        body = render_feed([], f"Møder – {reader_id}")
    return Response(
        body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=300"}
    )


def _may_link(who: Principal, kind: FeedKind, reader_id: str, db: Session) -> bool:
    if who.role == Role.admin:
        return True
    if who.role == Role.staff:
        return kind == FeedKind.person and who.person == reader_id
    if who.role == Role.distriktsleder:
        if kind == FeedKind.district:
            return reader_id in who.districts
        return True  # a leader hands links to their staff and units; reading needs the token
    return False


@router.get("/{kind}/{reader_id}/link", response_model=FeedLink)
def link(kind: FeedKind, reader_id: str, db: Db, who: Anyone, state: State) -> FeedLink:
    """The subscription link for a feed: staff their own, leaders their district's, admin any."""
    if not _may_link(who, kind, reader_id, db):
        raise HTTPException(403, "du kan kun hente link til dine egne kalendere")
    token = feed_token(state.feed_secret, kind.value, reader_id)
    url = f"{state.settings.public_url.rstrip('/')}/calendars/{kind.value}/{reader_id}.ics?token={token}"
    return FeedLink(kind=kind, id=reader_id, url=url, webcal="webcal://" + url.split("://", 1)[1])
