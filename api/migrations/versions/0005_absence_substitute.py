"""An absence may name a substitute (``absences.substitute_id``): the person who takes the absent
person's seats meanwhile. Re-solves, moves by hand and publishing read registered absences back
into the config (`api.jobs.effective_config`), so the substitute must be stored with them, or a
plan in which the substitute sits would no longer verify.

Revision ID: 0005_absence_substitute
Revises: 0004_plan_states
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_absence_substitute"
down_revision: str | Sequence[str] | None = "0004_plan_states"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("absences") as batch:
        batch.add_column(sa.Column("substitute_id", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("absences") as batch:
        batch.drop_column("substitute_id")
