"""Calendar feed links: issued to one user for one feed, revocable one by one, ended with the user.

A link belongs to the user's token (its SHA-256, as in the users file): when the user is removed,
or re-added with a new token, their links stop working, without anyone having to revoke them.

A feed URL carries a token so that it can be pasted into Outlook without a login. The token is
not a function of the reader alone (which anyone knowing the key could compute): each row holds a
random nonce, the token is an HMAC of that nonce under the app's key, and only its SHA-256 is
looked up. So the app can show a user the same link again (`link_token`), while neither a copy
of the table nor the key alone gives a working link. Rotating the key leaves issued links
working (they are found by hash); the next `link_token` then issues a fresh one.

Like `api.storage`, these functions work in the caller's transaction, never commit, and write an
audit entry for every issue and revoke (never the token itself).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal, token_hash
from api.orm import FeedToken, utcnow
from api.storage import audit

_LABEL = b"moedeplan feed token:"


def derive(key: str, nonce: str) -> str:
    """The token of a row: HMAC-SHA256 of its nonce under the app's key, URL-safe (43 characters)."""
    digest = hmac.new(key.encode("utf-8"), _LABEL + nonce.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue(session: Session, key: str, kind: str, reader_id: str, user: Principal) -> tuple[FeedToken, str]:
    """A new token for `user` to read this feed; returns the row and the token."""
    nonce = secrets.token_hex(16)
    token = derive(key, nonce)
    row = FeedToken(
        token_sha256=token_hash(token),
        nonce=nonce,
        kind=kind,
        reader_id=reader_id,
        issued_to=user.name,
        user_sha256=user.token_sha256,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit(
        session,
        user.name,
        "feed_token.issue",
        "feed_token",
        row.id,
        {"kind": kind, "reader_id": reader_id, "issued_to": user.name},
    )
    session.flush()
    return row, token


def link_token(session: Session, key: str, kind: str, reader_id: str, user: Principal) -> str:
    """The user's active token for this feed, the same one each time; issued if they have none."""
    if not user.token_sha256:
        raise ValueError(f"{user.name} has no token hash: feed links need a user from the directory")
    rows = session.scalars(
        select(FeedToken)
        .where(
            FeedToken.kind == kind,
            FeedToken.reader_id == reader_id,
            FeedToken.user_sha256 == user.token_sha256,
            FeedToken.revoked_at.is_(None),
        )
        .order_by(FeedToken.id.desc())
    )
    for row in rows:
        token = derive(key, row.nonce)
        if hmac.compare_digest(token_hash(token), row.token_sha256):
            return token
        # Issued under an earlier key: it still works where it was pasted, but cannot be shown.
    return issue(session, key, kind, reader_id, user)[1]


def find(session: Session, token: str) -> FeedToken | None:
    """The active (not revoked) row of this token, or None."""
    row = session.scalars(select(FeedToken).where(FeedToken.token_sha256 == token_hash(token))).first()
    return row if row is not None and row.revoked_at is None else None


def reader_of(session: Session, token: str, user_exists: Callable[[str], bool]) -> tuple[str, str] | None:
    """(kind, reader id) the token opens: None if it is unknown, revoked or its user is gone.

    `user_exists` answers for a user's token hash (`Directory.has_token_hash`)."""
    row = find(session, token)
    if row is None or not user_exists(row.user_sha256):
        return None
    return row.kind, row.reader_id


def revoke(
    session: Session,
    actor: str,
    *,
    kind: str | None = None,
    reader_id: str | None = None,
    issued_to: str | None = None,
    reason: str = "",
) -> list[FeedToken]:
    """End every active token matching all the given filters (at least one); each is audited."""
    if kind is None and reader_id is None and issued_to is None:
        raise ValueError("say whose feed links to revoke (a feed or a user)")
    query = select(FeedToken).where(FeedToken.revoked_at.is_(None)).order_by(FeedToken.id)
    if kind is not None:
        query = query.where(FeedToken.kind == kind)
    if reader_id is not None:
        query = query.where(FeedToken.reader_id == reader_id)
    if issued_to is not None:
        query = query.where(FeedToken.issued_to == issued_to)
    rows = list(session.scalars(query))
    now = utcnow()
    for row in rows:
        row.revoked_at = now
        audit(
            session,
            actor,
            "feed_token.revoke",
            "feed_token",
            row.id,
            {"kind": row.kind, "reader_id": row.reader_id, "issued_to": row.issued_to, "reason": reason},
        )
    session.flush()
    return rows
