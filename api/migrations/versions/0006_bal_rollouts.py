"""Stored BAL rollouts (``bal_rollouts``): versions of a config's rollout, like plan versions.

A `bal_rollout` job stores a draft; an admin publishes it as the live rollout of its config name
(``uq_bal_rollouts_live``: at most one published row per config name, on SQLite and PostgreSQL
alike), and the one live before it is superseded. The content columns never change; the ORM
refuses it (`api.orm.BalRolloutVersion`).

Revision ID: 0006_bal_rollouts
Revises: 0005_absence_substitute
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_bal_rollouts"
down_revision: str | Sequence[str] | None = "0005_absence_substitute"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bal_rollouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("config_version_id", sa.Integer(), nullable=False),
        sa.Column("config_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("rounds_used", sa.Integer(), nullable=False),
        sa.Column("objective", sa.Float(), nullable=True),
        sa.Column("rollout_json", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "state IN ('draft', 'published', 'superseded', 'discarded')", name=op.f("ck_bal_rollouts_state")
        ),
        sa.ForeignKeyConstraint(
            ["config_version_id"],
            ["config_versions.id"],
            name=op.f("fk_bal_rollouts_config_version_id_config_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bal_rollouts")),
    )
    op.create_index(op.f("ix_bal_rollouts_config_version_id"), "bal_rollouts", ["config_version_id"])
    op.create_index(op.f("ix_bal_rollouts_config_name"), "bal_rollouts", ["config_name"])
    op.create_index(
        "uq_bal_rollouts_live",
        "bal_rollouts",
        ["config_name"],
        unique=True,
        sqlite_where=sa.text("state = 'published'"),
        postgresql_where=sa.text("state = 'published'"),
    )


def downgrade() -> None:
    op.drop_index("uq_bal_rollouts_live", table_name="bal_rollouts")
    op.drop_index(op.f("ix_bal_rollouts_config_name"), table_name="bal_rollouts")
    op.drop_index(op.f("ix_bal_rollouts_config_version_id"), table_name="bal_rollouts")
    op.drop_table("bal_rollouts")
