"""Initial schema: config and plan versions, meeting locks, absences, proposals, audit log, jobs.

Written by hand to match `api.orm` (a test compares the two with Alembic's autogenerate), with
every constraint named, and plan versions made immutable in the database itself: a trigger
refuses any UPDATE except setting ``published_at`` once, and any DELETE.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plan version columns that never change once written.
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


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "config_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("yaml", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _ts("created_at"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_versions")),
    )
    op.create_index(op.f("ix_config_versions_name"), "config_versions", ["name"])

    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("config_version_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("term", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("objective", sa.Float(), nullable=True),
        sa.Column("plan_json", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _ts("created_at"),
        sa.Column("reason", sa.Text(), nullable=False),
        _ts("published_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["config_version_id"],
            ["config_versions.id"],
            name=op.f("fk_plan_versions_config_version_id_config_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["plan_versions.id"], name=op.f("fk_plan_versions_parent_id_plan_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
    )
    op.create_index(op.f("ix_plan_versions_config_version_id"), "plan_versions", ["config_version_id"])
    op.create_index(op.f("ix_plan_versions_parent_id"), "plan_versions", ["parent_id"])
    op.create_index(op.f("ix_plan_versions_term"), "plan_versions", ["term"])

    op.create_table(
        "meeting_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(100), nullable=False),
        sa.Column("meeting_uid", sa.String(300), nullable=False),
        sa.Column("locked_by", sa.String(200), nullable=False),
        _ts("created_at"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_locks")),
        sa.UniqueConstraint("term", "meeting_uid", name=op.f("uq_meeting_locks_term_meeting_uid")),
    )

    op.create_table(
        "absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(200), nullable=False),
        _ts("start"),
        _ts("end"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        _ts("created_at"),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("state IN ('open', 'resolved')", name=op.f("ck_absences_state")),
        sa.CheckConstraint('"start" < "end"', name=op.f("ck_absences_start_before_end")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absences")),
    )
    op.create_index(op.f("ix_absences_person_id"), "absences", ["person_id"])

    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("absence_id", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("proposal_json", sa.Text(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("accepted_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["absence_id"], ["absences.id"], name=op.f("fk_proposals_absence_id_absences")
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_proposals_plan_version_id_plan_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    op.create_index(op.f("ix_proposals_absence_id"), "proposals", ["absence_id"])
    op.create_index(op.f("ix_proposals_plan_version_id"), "proposals", ["plan_version_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        _ts("at"),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("object_type", sa.String(50), nullable=False),
        sa.Column("object_id", sa.String(300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_object_type"), "audit_log", ["object_type", "object_id"])

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("progress", sa.Text(), nullable=True),
        sa.Column("result_ref", sa.String(300), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(200), nullable=True),
        _ts("created_at"),
        _ts("started_at", nullable=True),
        _ts("finished_at", nullable=True),
        _ts("heartbeat_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_jobs_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_state"), "jobs", ["state", "id"])

    _create_plan_version_guard()


def _create_plan_version_guard() -> None:
    """The database refuses to rewrite history, whoever asks (not only our ORM)."""
    if op.get_context().dialect.name == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FROZEN)
        op.execute(
            f"""
            CREATE FUNCTION plan_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'plan version % is history and is never deleted', OLD.id;
                END IF;
                IF {changed} OR (OLD.published_at IS NOT NULL
                                 AND NEW.published_at IS DISTINCT FROM OLD.published_at) THEN
                    RAISE EXCEPTION 'plan version % is immutable: only published_at may be set, once',
                        OLD.id;
                END IF;
                RETURN NEW;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER plan_versions_immutable BEFORE UPDATE OR DELETE ON plan_versions "
            "FOR EACH ROW EXECUTE FUNCTION plan_versions_immutable()"
        )
    else:
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FROZEN)
        op.execute(
            f"""
            CREATE TRIGGER plan_versions_immutable BEFORE UPDATE ON plan_versions
            WHEN {changed} OR (OLD.published_at IS NOT NULL AND NEW.published_at IS NOT OLD.published_at)
            BEGIN
                SELECT RAISE(ABORT, 'plan versions are immutable: only published_at may be set, once');
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


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS plan_versions_immutable ON plan_versions")
        op.execute("DROP FUNCTION IF EXISTS plan_versions_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS plan_versions_immutable")
        op.execute("DROP TRIGGER IF EXISTS plan_versions_no_delete")
    for table in ("jobs", "audit_log", "proposals", "absences", "meeting_locks", "plan_versions"):
        op.drop_table(table)
    op.drop_table("config_versions")
