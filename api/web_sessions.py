"""Web sign-ins kept on the server, so that logging out ends them (`api.web.session` uses these).

The browser's cookie carries a random session id; the row keeps only its SHA-256, the signed-in
user's token hash, and when the sign-in began, expires and ended. A sign-in counts while its row
is neither ended nor expired and its user is still in the users file. Like `api.storage`, these
work in the caller's transaction and never commit; sign-in and sign-out are audited.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.auth import token_hash
from api.orm import WebSession, utcnow
from api.storage import audit


def start(session: Session, user_token_sha256: str, max_age: int, actor: str) -> str:
    """A new sign-in for the user with this token hash; returns the session id for the cookie.

    Sign-ins that expired are deleted here: they can never count again.
    """
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session_id = secrets.token_urlsafe(32)
    row = WebSession(
        session_sha256=token_hash(session_id),
        token_sha256=user_token_sha256,
        created_at=now,
        expires_at=now + timedelta(seconds=max_age),
    )
    session.add(row)
    session.flush()
    audit(session, actor, "web.sign_in", "web_session", row.id)
    session.flush()
    return session_id


def active(session: Session, session_id: str, now: datetime | None = None) -> WebSession | None:
    """The sign-in of this session id if it still counts (not ended, not expired), else None."""
    row = session.scalars(
        select(WebSession).where(WebSession.session_sha256 == token_hash(session_id))
    ).first()
    if row is None or row.ended_at is not None or row.expires_at <= (now or utcnow()):
        return None
    return row


def end(session: Session, session_id: str, actor: str) -> bool:
    """End the sign-in (logging out): its cookie, wherever copied, no longer signs anyone in."""
    row = active(session, session_id)
    if row is None:
        return False
    row.ended_at = utcnow()
    audit(session, actor, "web.sign_out", "web_session", row.id)
    session.flush()
    return True
