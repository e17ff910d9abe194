"""What every request needs: the app's state, a database session, the caller and their role.

Routes declare these as FastAPI dependencies, so the checks cannot be forgotten on one route:
`requires(Role.admin, …)` on every route that is not public, `if_match` on every change.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from threading import Lock
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Directory, Principal, Role
from api.db import make_session_factory, migrate
from api.settings import AppSettings, SettingsError, check_secret
from calendar_sync.settings import CalendarSettings

bearer = HTTPBearer(auto_error=False, description="the token `moedeplan user-add` printed")


def _feed_secret(settings: AppSettings) -> str:
    """The app's key: from the environment, else made once and kept (0600) beside the data.

    A kept file that is empty or short (truncated, or written by hand) is refused, not used.
    """
    if settings.feed_secret is not None:
        return settings.feed_secret.get_secret_value()
    path = settings.secret_file
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path} (MOEDEPLAN_SECRET_FILE) kan ikke læses: {exc}") from None
        hint = ", eller slet filen, så laves en ny (MOEDEPLAN_FEED_SECRET er ikke sat)"
        return check_secret(f"{path} (MOEDEPLAN_SECRET_FILE)", text, hint)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        value = secrets.token_hex(32)
        handle.write(value)
    return value


@dataclass
class AppState:
    """Built once per app (and shared with an in-process worker)."""

    settings: AppSettings
    directory: Directory
    sessions: sessionmaker[Session]
    feed_secret: str
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    # Rendered ICS feeds per (plan version, kind): plan versions never change, so neither do they.
    feed_cache: dict[tuple[int, str], dict[str, bytes]] = field(default_factory=dict)
    feed_lock: Lock = field(default_factory=Lock)

    @classmethod
    def open(cls, settings: AppSettings, directory: Directory) -> AppState:
        migrate(settings.database_url)
        return cls(settings, directory, make_session_factory(settings.database_url), _feed_secret(settings))


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.moedeplan
    return state


State = Annotated[AppState, Depends(app_state)]


def session(state: State) -> Iterator[Session]:
    """A session per request; routes that write call `commit` before they answer."""
    db = state.sessions()
    try:
        yield db
    finally:
        db.rollback()
        db.close()


Db = Annotated[Session, Depends(session)]


def principal(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise HTTPException(401, "log ind med et bearer-token", headers={"WWW-Authenticate": "Bearer"})
    who = state.directory.authenticate(credentials.credentials)
    if who is None:
        raise HTTPException(401, "ukendt token", headers={"WWW-Authenticate": "Bearer"})
    return who


def requires(*roles: Role) -> Any:
    """A dependency that lets only the given roles through (403 for the others)."""

    def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role not in roles:
            raise HTTPException(403, f"rollen '{who.role.value}' må ikke dette")
        return who

    return Depends(check)


ANYONE = (Role.admin, Role.distriktsleder, Role.staff, Role.service)
Anyone = Annotated[Principal, requires(*ANYONE)]
Leader = Annotated[Principal, requires(Role.admin, Role.distriktsleder)]
# Whole plans are for leaders; staff see their own meetings in them; the service role (an HR
# system) registers absences and reads their proposals, never plans.
PlanReader = Annotated[Principal, requires(Role.admin, Role.distriktsleder, Role.staff)]
Admin = Annotated[Principal, requires(Role.admin)]


def if_match(value: Annotated[str | None, Header(alias="If-Match")] = None) -> int | None:
    """The version a change is based on (an ETag from an earlier answer), or None."""
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise HTTPException(422, 'If-Match skal være en ETag fra et tidligere svar, fx "3"')
    return int(text)


IfMatch = Annotated[int | None, Depends(if_match)]


def require_if_match(version: IfMatch) -> int:
    """Changing something others may change too needs the version it was read at (428 without)."""
    if version is None:
        raise HTTPException(428, "send If-Match med den ETag du fik, så ingen ændring går tabt")
    return version


# Row ids as the databases store them (32-bit): a larger number is bad input, not a crash.
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="a row id")]


def etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'
