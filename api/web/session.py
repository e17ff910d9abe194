"""Sign-in for the web pages: a signed, HttpOnly, SameSite=Lax cookie, and a CSRF token per session.

The cookie keeps a random session id (never the user's token), a random CSRF token and when it
was issued, signed with HMAC-SHA256. The sign-in itself lives on the server (`api.web_sessions`):
each request looks the session up there and its user in the same `Directory` as the API, so
logging out ends the session for every copy of the cookie, and removing a user from the users
file signs them out of the pages at once. Every POST
must carry the session's CSRF token (form field `csrf` or header `X-CSRF-Token`): SameSite=Lax
already keeps the cookie off cross-site POSTs; the token also covers same-site attackers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

from api import web_sessions
from api.auth import Principal
from api.deps import AppState

COOKIE = "moedeplan_session"
LANG_COOKIE = "moedeplan_lang"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


def session_key(state: AppState) -> bytes:
    """MOEDEPLAN_SESSION_SECRET, or a key derived from the feed key (so nothing new to keep)."""
    secret = state.settings.session_secret
    if secret is not None:
        return secret.get_secret_value().encode("utf-8")
    return hmac.new(state.feed_secret.encode("utf-8"), b"moedeplan web session", hashlib.sha256).digest()


@dataclass(frozen=True)
class WebSession:
    """What the cookie says: who (if signed in) and the CSRF token of this browser session."""

    csrf: str
    session_id: str | None = None
    issued: int = 0


def _sign(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def encode(key: bytes, session: WebSession) -> str:
    body = {"c": session.csrf, "s": session.session_id, "t": session.issued}
    payload = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).rstrip(b"=")
    return f"{payload.decode()}.{_sign(key, payload)}"


def decode(key: bytes, value: str | None, max_age: int, now: float | None = None) -> WebSession | None:
    """The session in a cookie value; None when missing, forged, malformed or expired."""
    if not value or value.count(".") != 1 or len(value) > 4096:
        return None
    payload, signature = value.split(".")
    if not hmac.compare_digest(_sign(key, payload.encode()).encode(), signature.encode("utf-8", "replace")):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        sid = body.get("s")
        session = WebSession(csrf=str(body["c"]), session_id=str(sid) if sid else None, issued=int(body["t"]))
    except (ValueError, KeyError, TypeError):
        return None
    if (now if now is not None else time.time()) - session.issued > max_age:
        return None
    return session


def new_session(session_id: str | None = None) -> WebSession:
    return WebSession(csrf=secrets.token_urlsafe(24), session_id=session_id, issued=int(time.time()))


def read(request: Request, state: AppState) -> WebSession | None:
    return decode(session_key(state), request.cookies.get(COOKIE), state.settings.session_max_age)


def principal_of(session: WebSession | None, state: AppState) -> Principal | None:
    """The signed-in user: the server's session must still count, and its user still exist."""
    if session is None or session.session_id is None:
        return None
    with state.sessions() as db:
        row = web_sessions.active(db, session.session_id)
        digest = row.token_sha256 if row is not None else None
    return None if digest is None else state.directory.by_token_hash(digest)


def sign_in(state: AppState, user_token_sha256: str, name: str) -> WebSession:
    """A new server-side session for the user (and a new CSRF token with the new identity)."""
    with state.sessions() as db, db.begin():
        session_id = web_sessions.start(db, user_token_sha256, state.settings.session_max_age, name)
    return new_session(session_id)


def sign_out(state: AppState, session: WebSession, name: str) -> None:
    """End the server-side session: no copy of this cookie signs anyone in any more."""
    if session.session_id is None:
        return
    with state.sessions() as db, db.begin():
        web_sessions.end(db, session.session_id, name)


def store(response: Response, request: Request, state: AppState, session: WebSession) -> None:
    response.set_cookie(
        COOKIE,
        encode(session_key(state), session),
        max_age=state.settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def csrf_ok(session: WebSession | None, sent: str | None) -> bool:
    if session is None or not sent:
        return False
    return hmac.compare_digest(session.csrf.encode(), sent.encode("utf-8", "replace"))
