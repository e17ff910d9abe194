"""Access: issued calendar feed tokens and server-side web sessions.

`feed_tokens` replaces feed links that were an HMAC of the reader alone (computable by anyone who
knew the key): each link is now issued to one user for one feed, looked up by its SHA-256,
revoked one by one, and ends with its user. `web_sessions` lets logging out end a sign-in on the
server, so a copied cookie stops working. Written by hand to match `api.orm`.

Revision ID: 0002_auth
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_auth"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reader_id", sa.String(200), nullable=False),
        sa.Column("issued_to", sa.String(200), nullable=False),
        sa.Column("user_sha256", sa.String(64), nullable=False),
        _ts("created_at"),
        _ts("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_feed_tokens_token_sha256")),
    )
    op.create_index(op.f("ix_feed_tokens_kind"), "feed_tokens", ["kind", "reader_id"])
    op.create_index(op.f("ix_feed_tokens_issued_to"), "feed_tokens", ["issued_to"])

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_sha256", sa.String(64), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("ended_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("session_sha256", name=op.f("uq_web_sessions_session_sha256")),
    )
    op.create_index(op.f("ix_web_sessions_token_sha256"), "web_sessions", ["token_sha256"])
    op.create_index(op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("web_sessions")
    op.drop_table("feed_tokens")
