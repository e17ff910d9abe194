"""ICS subscription feeds per person, unit and district, behind an unguessable token.

A feed URL carries its own token, so it can be pasted into Outlook without a login; a signed-in
user asks for their link at `/calendars/{kind}/{id}/link` and gets one issued to them
(`api.feed_tokens`): revocable one by one (`DELETE …/tokens`, `moedeplan feed-revoke`) and
ended when their user is removed. Feeds serve the newest published version of each term,
rendered once per set of versions and cached: plan versions never change, so neither do their
feeds.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import feed_tokens, storage
from api.auth import Principal, Role
from api.deps import Admin, Anyone, AppState, Db, State, commit
from api.jobs import effective_config
from api.orm import ConfigVersion, PlanVersion
from calendar_sync.ics import reader_feeds
from calendar_sync.itip import render_feed
from scheduler.config import ConfigError, parse_config
from scheduler.model import Identifier, MunicipalityConfig, Plan

router = APIRouter(prefix="/calendars", tags=["calendars"])


class FeedKind(StrEnum):
    person = "person"
    unit = "unit"
    district = "district"


# A reader id is an id of the config (a malformed one is a 422, never a database error).
ReaderId = Annotated[Identifier, Path(description="a person, unit or district id")]
# Free text for the audit log and user names: anything printable.
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


class FeedLink(BaseModel):
    kind: FeedKind
    id: str
    url: str
    webcal: str


class Revoked(BaseModel):
    revoked: int = Field(description="feed links that stopped working now")


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
        feeds = reader_feeds(plans, kind.value, confidential=storage.absence_reasons(db))
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
    kind: FeedKind, reader_id: ReaderId, db: Db, state: State, token: str = Query(max_length=100)
) -> Response:
    """The feed; 404 for a wrong, revoked or ended token, so a guess cannot even learn that a
    reader exists. A token ends with the user it was issued to."""
    opens = feed_tokens.reader_of(db, token, state.directory.has_token_hash)
    if opens != (kind.value, reader_id):
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


_NOT_YOURS = {
    Role.staff: "du kan kun hente link til din egen kalender",
    Role.distriktsleder: "du kan kun hente link til kalendere i dine egne distrikter",
}


# Parsed configs by content hash: config versions never change, and parsing a municipality's
# config takes about half a second, too long for every link asked for.
_SCOPE_CONFIGS: dict[str, MunicipalityConfig] = {}


def scope_config(db: Session) -> MunicipalityConfig | None:
    """The config whose districts, units and people decide whose links a leader may get: the
    newest uploaded one (None before any upload)."""
    newest = db.execute(
        select(ConfigVersion.id, ConfigVersion.sha256).order_by(ConfigVersion.id.desc()).limit(1)
    ).first()
    if newest is None:
        return None
    config = _SCOPE_CONFIGS.get(newest.sha256)
    if config is None:
        version = storage.get_config(db, newest.id)
        config = parse_config(version.yaml, source=version.name)
        if len(_SCOPE_CONFIGS) >= 8:
            _SCOPE_CONFIGS.clear()
        _SCOPE_CONFIGS[newest.sha256] = config
    return config


def issue_link(
    db: Session,
    state: AppState,
    who: Principal,
    kind: FeedKind,
    reader_id: str,
    config: MunicipalityConfig | None,
) -> FeedLink:
    """The user's link to this feed, if their role may have it (`Principal.may_link`), else 403.

    The same link every time; the first time it is issued (and audited). The caller commits.
    """
    if not who.may_link(config, kind.value, reader_id):
        raise HTTPException(
            403, _NOT_YOURS.get(who.role, f"rollen '{who.role.value}' må ikke hente kalenderlinks")
        )
    token = feed_tokens.link_token(db, state.feed_secret, kind.value, reader_id, who)
    url = f"{state.settings.public_url.rstrip('/')}/calendars/{kind.value}/{reader_id}.ics?token={token}"
    return FeedLink(kind=kind, id=reader_id, url=url, webcal="webcal://" + url.split("://", 1)[1])


@router.get("/{kind}/{reader_id}/link", response_model=FeedLink)
def link(kind: FeedKind, reader_id: ReaderId, db: Db, who: Anyone, state: State) -> FeedLink:
    """The subscription link for a feed: staff their own; a district leader their district(s),
    its units and the people who serve it; admin any."""
    out = issue_link(db, state, who, kind, reader_id, scope_config(db))
    commit(db)
    return out


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
    rows = feed_tokens.revoke(
        db, who.name, kind=kind.value, reader_id=reader_id, issued_to=user, reason=reason
    )
    commit(db)
    return Revoked(revoked=len(rows))
