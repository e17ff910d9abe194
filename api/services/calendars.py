"""ICS subscription feeds per person, unit and district, and the links to them.

A feed URL carries its own token, so it can be pasted into Outlook without a login; a signed-in
user gets their link issued to them (`api.feed_tokens`): revocable one by one and ended when their
user is removed. Feeds serve each term's live plan (never a draft), rendered once per set of
versions and cached: plan versions never change, so neither do their feeds.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import quote

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api import feed_tokens, storage
from api.auth import Principal, Role
from api.db import Conflict, NotFound, commit
from api.deps import AppState
from api.errors import Forbidden
from api.jobs import effective_config
from calendar_sync.ics import reader_feeds
from calendar_sync.itip import render_feed
from scheduler.config import ConfigError, parse_config
from scheduler.model import MunicipalityConfig, Plan


class FeedKind(StrEnum):
    person = "person"
    unit = "unit"
    district = "district"


class FeedLink(BaseModel):
    kind: FeedKind
    id: str
    url: str
    webcal: str


class Revoked(BaseModel):
    revoked: int = Field(description="feed links that stopped working now")


def _feeds(db: Session, state: AppState, kind: FeedKind) -> dict[str, bytes]:
    """Every reader's feed of this kind, rendered once per set of published versions.

    Rendering happens under the lock: when a new version is published, the first reader renders
    and the others wait for that, rather than all rendering the same feeds at once.
    """
    published = storage.live_plan_ids(db)
    key = (hash(tuple(published)), kind.value)
    with state.feed_lock:
        cached = state.feed_cache.get(key)
        if cached is not None:
            return cached
        plans: list[tuple[MunicipalityConfig, Plan]] = []
        for version_id in published:
            row, plan = storage.get_plan(db, version_id)
            plans.append((effective_config(db, storage.get_config(db, row.config_version_id)), plan))
        feeds = reader_feeds(plans, kind.value, confidential=storage.absence_reasons(db))
        if len(state.feed_cache) > 32:
            state.feed_cache.clear()
        state.feed_cache[key] = feeds
        return feeds


def feed(db: Session, state: AppState, kind: FeedKind, reader_id: str, token: str) -> bytes:
    """The feed the token opens; `NotFound` for a wrong, revoked or ended token, so a guess cannot
    even learn that a reader exists. A token ends with the user it was issued to."""
    opens = feed_tokens.reader_of(db, token, state.directory.has_token_hash)
    if opens != (kind.value, reader_id):
        raise NotFound("ingen sådan kalender")
    try:
        feeds = _feeds(db, state, kind)
    except ConfigError:  # a config stored before today's checks: say so, name nothing in it
        raise Conflict("kalenderen kan ikke vises: den gemte konfiguration er ikke gyldig") from None
    body = feeds.get(reader_id)
    if body is None:  # a valid token for a reader no published plan knows (yet): an empty calendar
        body = render_feed([], f"Møder – {reader_id}")
    return body


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
    newest = storage.latest_config_key(db)
    if newest is None:
        return None
    config_id, sha256 = newest
    config = _SCOPE_CONFIGS.get(sha256)
    if config is None:
        version = storage.get_config(db, config_id)
        config = parse_config(version.yaml, source=version.name)
        if len(_SCOPE_CONFIGS) >= 8:
            _SCOPE_CONFIGS.clear()
        _SCOPE_CONFIGS[sha256] = config
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
        raise Forbidden(_NOT_YOURS.get(who.role, f"rollen '{who.role.value}' må ikke hente kalenderlinks"))
    token = feed_tokens.link_token(db, state.feed_secret, kind.value, reader_id, who)
    url = state.settings.link(f"/calendars/{kind.value}/{quote(reader_id, safe='')}.ics?token={token}")
    return FeedLink(kind=kind, id=reader_id, url=url, webcal=webcal(url))


def webcal(url: str) -> str:
    """The webcal:// form of a feed link: a click on it subscribes in the calendar program."""
    return "webcal://" + url.split("://", 1)[1]


def link(db: Session, who: Principal, state: AppState, kind: FeedKind, reader_id: str) -> FeedLink:
    """The subscription link for one feed, issued (and kept) now."""
    out = issue_link(db, state, who, kind, reader_id, scope_config(db))
    commit(db)
    return out


def links(
    db: Session, who: Principal, state: AppState, readers: dict[FeedKind, list[tuple[str, str]]]
) -> list[tuple[FeedKind, str, FeedLink]]:
    """(kind, name, link) for every reader (id, name) of each kind whose link the user may have;
    the links issued now are kept, so the same ones are shown next time."""
    scope = scope_config(db)
    out = [
        (kind, name, issue_link(db, state, who, kind, reader_id, scope))
        for kind, members in readers.items()
        for reader_id, name in members
        if who.may_link(scope, kind.value, reader_id)
    ]
    commit(db)
    return out


def revoke(
    db: Session, who: Principal, kind: FeedKind, reader_id: str, user: str | None, reason: str
) -> Revoked:
    """Stop every link to this feed (or only those issued to `user`) from working, now; audited."""
    rows = feed_tokens.revoke(
        db, who.name, kind=kind.value, reader_id=reader_id, issued_to=user, reason=reason
    )
    commit(db)
    return Revoked(revoked=len(rows))
