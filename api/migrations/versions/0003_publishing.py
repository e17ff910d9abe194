"""Plan heads (compare-and-set on a term's newest version), publications and publish locks.

Revision ID: 0003_publishing
Revises: 0002_auth
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_publishing"
down_revision: str | Sequence[str] | None = "0002_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "plan_heads",
        sa.Column("term", sa.String(100), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_plan_heads_plan_version_id_plan_versions"),
        ),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_plan_heads")),
    )
    # Every existing term's newest version is its head.
    op.execute(
        "INSERT INTO plan_heads (term, plan_version_id, version) "
        "SELECT term, MAX(id), 1 FROM plan_versions GROUP BY term"
    )

    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(100), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _ts("created_at"),
        _ts("finished_at", nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'done', 'superseded')", name=op.f("ck_publications_state")
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_publications_plan_version_id_plan_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
    )
    op.create_index(op.f("ix_publications_term"), "publications", ["term"])
    op.create_index(op.f("ix_publications_plan_version_id"), "publications", ["plan_version_id"])

    op.create_table(
        "publish_locks",
        sa.Column("term", sa.String(100), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        _ts("acquired_at"),
        _ts("expires_at"),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_publish_locks")),
    )


def downgrade() -> None:
    op.drop_table("publish_locks")
    op.drop_index(op.f("ix_publications_plan_version_id"), table_name="publications")
    op.drop_index(op.f("ix_publications_term"), table_name="publications")
    op.drop_table("publications")
    op.drop_table("plan_heads")
