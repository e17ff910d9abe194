"""Plan version states (draft, published, superseded, discarded) and one live plan per term.

- ``plan_versions.state``: a version's place (`api.orm.PlanState`); existing rows get it from
  ``published_at`` (the newest published version of a term is live, older published ones are
  superseded) and from their status: a stored INFEASIBLE/UNKNOWN "plan" was never a plan, so it
  is discarded.
- ``uq_plan_versions_live``: a partial unique index, so a term has at most one published version
  (SQLite and PostgreSQL alike).
- ``plan_versions.change_of``: the version a change (move, accepted proposal, booking) was made
  of; unique, so a version is changed once — the compare-and-set that ``plan_heads`` did for the
  term's newest version, now per version, which lets a leader change the live plan while drafts
  exist. ``plan_heads`` is dropped.
- The immutability triggers of 0001 are replaced: besides ``published_at`` (set once, when the
  version goes live), ``state`` may change, but only draft -> published -> superseded and
  draft -> discarded.

Revision ID: 0004_plan_states
Revises: 0003_publishing
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_plan_states"
down_revision: str | Sequence[str] | None = "0003_publishing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FROZEN = (
    "id",
    "config_version_id",
    "parent_id",
    "term",
    "status",
    "objective",
    "plan_json",
    "created_by",
    "created_at",
    "reason",
)
"""The columns no UPDATE may change (0001's list); ``change_of`` joins them here."""

_STATES = "('draft', 'published', 'superseded', 'discarded')"
_MOVES = (
    "(OLD.state = 'draft' AND NEW.state IN ('published', 'discarded'))"
    " OR (OLD.state = 'published' AND NEW.state = 'superseded')"
)


def _postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def _drop_guard() -> None:
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS plan_versions_immutable ON plan_versions")
        op.execute("DROP FUNCTION IF EXISTS plan_versions_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS plan_versions_immutable")
        op.execute("DROP TRIGGER IF EXISTS plan_versions_no_delete")


def _create_guard(frozen: Sequence[str], with_state: bool) -> None:
    """The database refuses to rewrite history, whoever asks; `with_state`: 0004's rules."""
    published_again = "OLD.published_at IS NOT NULL AND NEW.published_at IS {op} OLD.published_at"
    if _postgresql():
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in frozen)
        state_rule = (
            f"""
                IF NEW.state IS DISTINCT FROM OLD.state AND NOT ({_MOVES}) THEN
                    RAISE EXCEPTION 'plan version % cannot go from % to %', OLD.id, OLD.state, NEW.state;
                END IF;
                IF NEW.state = 'published' AND NEW.published_at IS NULL THEN
                    RAISE EXCEPTION 'plan version % is published without published_at', OLD.id;
                END IF;"""
            if with_state
            else ""
        )
        op.execute(
            f"""
            CREATE FUNCTION plan_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'plan version % is history and is never deleted', OLD.id;
                END IF;
                IF {changed} OR ({published_again.format(op="DISTINCT FROM")}) THEN
                    RAISE EXCEPTION 'plan version % is immutable: only state and published_at change',
                        OLD.id;
                END IF;{state_rule}
                RETURN NEW;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER plan_versions_immutable BEFORE UPDATE OR DELETE ON plan_versions "
            "FOR EACH ROW EXECUTE FUNCTION plan_versions_immutable()"
        )
        return
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in frozen)
    when = f"{changed} OR ({published_again.format(op='NOT')})"
    if with_state:
        when += (
            f" OR (NEW.state IS NOT OLD.state AND NOT ({_MOVES}))"
            " OR (NEW.state = 'published' AND NEW.published_at IS NULL)"
        )
    op.execute(
        f"""
        CREATE TRIGGER plan_versions_immutable BEFORE UPDATE ON plan_versions
        WHEN {when}
        BEGIN
            SELECT RAISE(ABORT, 'plan versions are immutable: only the state moves on, published_at once');
        END
        """
    )
    op.execute(
        """
        CREATE TRIGGER plan_versions_no_delete BEFORE DELETE ON plan_versions
        BEGIN
            SELECT RAISE(ABORT, 'plan versions are history and are never deleted');
        END
        """
    )


def upgrade() -> None:
    _drop_guard()
    op.execute(
        "ALTER TABLE plan_versions ADD COLUMN state VARCHAR(20) DEFAULT 'draft' NOT NULL "
        f"CONSTRAINT ck_plan_versions_state CHECK (state IN {_STATES})"
    )
    op.execute(
        "ALTER TABLE plan_versions ADD COLUMN change_of INTEGER "
        "CONSTRAINT ck_plan_versions_change_of_parent CHECK (change_of IS NULL OR change_of = parent_id)"
    )
    op.execute("UPDATE plan_versions SET state = 'superseded' WHERE published_at IS NOT NULL")
    op.execute(
        "UPDATE plan_versions SET state = 'published' WHERE id IN "
        "(SELECT MAX(id) FROM plan_versions WHERE published_at IS NOT NULL GROUP BY term)"
    )
    op.execute(
        "UPDATE plan_versions SET state = 'discarded' "
        "WHERE published_at IS NULL AND status NOT IN ('OPTIMAL', 'FEASIBLE')"
    )
    op.create_index(
        "uq_plan_versions_live",
        "plan_versions",
        ["term"],
        unique=True,
        sqlite_where=sa.text("state = 'published'"),
        postgresql_where=sa.text("state = 'published'"),
    )
    op.create_index("uq_plan_versions_change_of", "plan_versions", ["change_of"], unique=True)
    _create_guard((*_FROZEN, "change_of"), with_state=True)
    op.drop_table("plan_heads")


def downgrade() -> None:
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
    op.execute(
        "INSERT INTO plan_heads (term, plan_version_id, version) "
        "SELECT term, MAX(id), 1 FROM plan_versions GROUP BY term"
    )
    _drop_guard()
    op.drop_index("uq_plan_versions_change_of", table_name="plan_versions")
    op.drop_index("uq_plan_versions_live", table_name="plan_versions")
    op.execute("ALTER TABLE plan_versions DROP COLUMN change_of")
    op.execute("ALTER TABLE plan_versions DROP COLUMN state")
    _create_guard(_FROZEN, with_state=False)
