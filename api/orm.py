"""The stored data, as SQLAlchemy 2 typed declarative models (the schema of migration 0001).

History is kept, not overwritten: config and plan versions and audit entries are never changed
or deleted through the ORM (a plan version only gets its ``published_at`` once), and a plan
version points at its parent. The rows that do change carry an integer ``version`` that
SQLAlchemy checks on every UPDATE/DELETE (``version_id_col``); the API hands it out as the ETag,
so a change based on an old read fails with `api.db.StaleVersion` instead of silently winning.

Times are timezone-aware everywhere and stored in UTC (`UTCDateTime`), also on SQLite, which
has no time zones of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates
from sqlalchemy.types import TypeDecorator

from api.db import ImmutableRow

# Named constraints: Alembic's batch mode on SQLite (and any later migration) can only alter
# or drop a constraint that has a name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC; naive datetimes are refused, not guessed at.

    PostgreSQL stores ``timestamptz``; SQLite stores naive UTC text (fixed width, so it sorts
    and compares correctly in SQL).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StrEnumType(TypeDecorator[Any]):
    """A StrEnum stored as its value in a VARCHAR (with a CHECK constraint in the table).

    Not a native PostgreSQL enum: adding a state later is then a plain migration on both
    databases.
    """

    impl = String(20)
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum]) -> None:
        super().__init__()
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self.enum_class(value)


class AbsenceState(StrEnum):
    open = "open"
    resolved = "resolved"


class PlanState(StrEnum):
    """Where a plan version stands (migration 0004). Only these moves exist, in the database too:
    draft -> published -> superseded, and draft -> discarded."""

    draft = "draft"
    """made (a solve, a what-if, a change of a draft); nobody's calendar has it"""
    published = "published"
    """the term's live plan: exactly one per term, what every page, feed and absence reads"""
    superseded = "superseded"
    """was live; another version was published after it"""
    discarded = "discarded"
    """a draft a leader threw away"""


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


def _check_in(column: str, enum_class: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(member.value) for member in enum_class)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class ConfigVersion(Base):
    """One uploaded municipality config (YAML text as given), never changed afterwards."""

    __tablename__ = "config_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    yaml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")


class PlanVersion(Base):
    """One plan of one term, immutable; replanning makes a child with ``parent_id`` set.

    Only its ``state`` moves on (`PlanState`, by `api.storage.publish_plan_version` and
    `discard_plan_version`) and ``published_at`` is set once, when it goes live; which is why the
    row has a ``version``. The database enforces the rest too (triggers of 0004), and "one
    published version per term" with a partial unique index. ``change_of`` is the version a move,
    an accepted proposal or a booking changed (its parent): unique, so a version is changed once
    and of two changes based on it, exactly one is stored.
    """

    __tablename__ = "plan_versions"
    __table_args__ = (
        CheckConstraint(_check_in("state", PlanState), name="state"),
        CheckConstraint("change_of IS NULL OR change_of = parent_id", name="change_of_parent"),
        Index(
            "uq_plan_versions_live",
            "term",
            unique=True,
            sqlite_where=text("state = 'published'"),
            postgresql_where=text("state = 'published'"),
        ),
        Index("uq_plan_versions_change_of", "change_of", unique=True),
    )

    IMMUTABLE = (
        "config_version_id",
        "parent_id",
        "change_of",
        "term",
        "status",
        "objective",
        "plan_json",
        "created_by",
        "created_at",
        "reason",
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_version_id: Mapped[int] = mapped_column(ForeignKey("config_versions.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("plan_versions.id"), index=True)
    term: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20))
    objective: Mapped[float | None] = mapped_column(Float)
    plan_json: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column()
    state: Mapped[PlanState] = mapped_column(StrEnumType(PlanState), default=PlanState.draft)
    change_of: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}

    @validates(*IMMUTABLE)
    def _refuse_change(self, key: str, value: Any) -> Any:
        """Setting a content attribute of a stored plan version raises at once."""
        if inspect(self).has_identity:
            raise ImmutableRow(f"plan version {self.id} is immutable: {key} cannot change")
        return value


class BalRolloutVersion(Base):
    """One stored BAL rollout of a config (migration 0006), a version like a plan version.

    A `bal_rollout` job makes a draft from a config version with a `bal:` section; an admin
    publishes it as the live rollout of that config *name* (the one before it is superseded),
    which term solves of the config then plan with (`scheduler.bal_series.with_bal`). Only
    ``state`` moves on (the moves of `PlanState`) and ``published_at`` is set once; the rest is
    history, refused by the validator and the ``before_update`` guard below.
    """

    __tablename__ = "bal_rollouts"
    __table_args__ = (
        CheckConstraint(_check_in("state", PlanState), name="state"),
        Index(
            "uq_bal_rollouts_live",
            "config_name",
            unique=True,
            sqlite_where=text("state = 'published'"),
            postgresql_where=text("state = 'published'"),
        ),
    )

    IMMUTABLE = (
        "config_version_id",
        "config_name",
        "status",
        "rounds_used",
        "objective",
        "rollout_json",
        "created_by",
        "created_at",
        "reason",
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_version_id: Mapped[int] = mapped_column(ForeignKey("config_versions.id"), index=True)
    config_name: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20))
    rounds_used: Mapped[int] = mapped_column(Integer)
    objective: Mapped[float | None] = mapped_column(Float)
    rollout_json: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column()
    state: Mapped[PlanState] = mapped_column(StrEnumType(PlanState), default=PlanState.draft)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}

    @validates(*IMMUTABLE)
    def _refuse_change(self, key: str, value: Any) -> Any:
        """Setting a content attribute of a stored rollout raises at once."""
        if inspect(self).has_identity:
            raise ImmutableRow(f"BAL rollout {self.id} is immutable: {key} cannot change")
        return value


class MeetingLock(Base):
    """A meeting a person has fixed: replanning must keep it where it is."""

    __tablename__ = "meeting_locks"
    __table_args__ = (UniqueConstraint("term", "meeting_uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term: Mapped[str] = mapped_column(String(100))
    meeting_uid: Mapped[str] = mapped_column(String(300))
    locked_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}


class Absence(Base):
    """A person away from ``start`` to ``end`` (UTC). ``reason`` is confidential: it never goes
    into the audit log, an invitation or a log line."""

    __tablename__ = "absences"
    __table_args__ = (
        CheckConstraint(_check_in("state", AbsenceState), name="state"),
        CheckConstraint('"start" < "end"', name="start_before_end"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(200), index=True)
    start: Mapped[datetime] = mapped_column()
    end: Mapped[datetime] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    substitute_id: Mapped[str | None] = mapped_column(String(200))
    """the person who takes the absent person's seats meanwhile (migration 0005)"""
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[AbsenceState] = mapped_column(StrEnumType(AbsenceState), default=AbsenceState.open)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}


class Proposal(Base):
    """A replanning option for an absence, computed from a base plan version; ranked 1, 2, …"""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    absence_id: Mapped[int] = mapped_column(ForeignKey("absences.id"), index=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"), index=True)
    proposal_json: Mapped[str] = mapped_column(Text)
    rank: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}


class AuditEntry(Base):
    """Who did what, when and why; written in the same transaction as the change itself."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="{}")


class Job(Base):
    """Work done outside a request (a solve, a replan, a publish), claimed by one worker.

    ``params`` (what to do) and ``worker_id`` (who has it) go beyond the bare list in the issue:
    a worker needs its input, and only the claiming worker may report on the job.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_check_in("state", JobState), name="state"),
        Index(None, "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    state: Mapped[JobState] = mapped_column(StrEnumType(JobState), default=JobState.queued)
    params: Mapped[str] = mapped_column(Text, default="{}")
    progress: Mapped[str | None] = mapped_column(Text)
    result_ref: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}


class PublicationState(StrEnum):
    pending = "pending"
    """the version is live; its messages are (still) being sent"""
    done = "done"
    superseded = "superseded"
    """a newer publication of the term was sent instead (it carries this one's changes too)"""


class Publication(Base):
    """A plan version made live, and whether everything it owes the calendars has been sent.

    Written in the same transaction that marks the version published, before anything is sent;
    a publication still pending after a crash is resumed from the calendar outbox
    (`api.publishing.resume_pending`).
    """

    __tablename__ = "publications"
    __table_args__ = (CheckConstraint(_check_in("state", PublicationState), name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term: Mapped[str] = mapped_column(String(100), index=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"), index=True)
    backend: Mapped[str] = mapped_column(String(40))
    state: Mapped[PublicationState] = mapped_column(
        StrEnumType(PublicationState), default=PublicationState.pending
    )
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    messages: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[str] = mapped_column(Text, default="[]")
    reason: Mapped[str] = mapped_column(Text, default="")


class PublishLock(Base):
    """Who is sending a term's calendars right now: one sender per term, in every process.

    A lease, not a held transaction: sending takes minutes and must not block the database. A
    holder that died is replaced once the lease expires (or at once, by a process on the same host
    that sees the holder's pid is gone).
    """

    __tablename__ = "publish_locks"

    term: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


# --------------------------------------------------------------------------- history guards


@event.listens_for(PlanVersion, "before_update")
def _plan_version_update(_mapper: Any, _connection: Any, target: PlanVersion) -> None:
    """Second line behind the validator (e.g. `set_committed_value` tricks): only ``state`` and
    ``published_at`` may reach an UPDATE."""
    state = inspect(target)
    for key in PlanVersion.IMMUTABLE:
        if state.attrs[key].history.has_changes():
            raise ImmutableRow(f"plan version {target.id} is immutable: {key} cannot change")


@event.listens_for(BalRolloutVersion, "before_update")
def _bal_rollout_update(_mapper: Any, _connection: Any, target: BalRolloutVersion) -> None:
    """Only ``state`` and ``published_at`` of a stored rollout may reach an UPDATE."""
    state = inspect(target)
    for key in BalRolloutVersion.IMMUTABLE:
        if state.attrs[key].history.has_changes():
            raise ImmutableRow(f"BAL rollout {target.id} is immutable: {key} cannot change")


@event.listens_for(ConfigVersion, "before_update")
@event.listens_for(AuditEntry, "before_update")
def _history_update(_mapper: Any, _connection: Any, target: Any) -> None:
    raise ImmutableRow(f"{target.__tablename__} rows are history and never change")


@event.listens_for(PlanVersion, "before_delete")
@event.listens_for(BalRolloutVersion, "before_delete")
@event.listens_for(ConfigVersion, "before_delete")
@event.listens_for(AuditEntry, "before_delete")
def _history_delete(_mapper: Any, _connection: Any, target: Any) -> None:
    raise ImmutableRow(f"{target.__tablename__} rows are history and are never deleted")


# --------------------------------------------------------------------------- access (migration 0002_auth)


class FeedToken(Base):
    """A calendar feed link given to one user for one reader's feed (`api.feed_tokens`).

    Only the token's SHA-256 is looked up; ``nonce`` lets the app show the same link again
    (the token is an HMAC of it under the app's key), so neither the table nor the key alone
    yields a working link. A row ends when revoked, and counts only while ``issued_to`` is a user.
    """

    __tablename__ = "feed_tokens"
    __table_args__ = (Index(None, "kind", "reader_id"), Index(None, "issued_to"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    reader_id: Mapped[str] = mapped_column(String(200))
    issued_to: Mapped[str] = mapped_column(String(200))
    user_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class WebSession(Base):
    """A sign-in to the web pages: the cookie carries the random id, the row keeps its SHA-256.

    Logging out sets ``ended_at``, so a copied cookie stops working at once; the user's token
    hash ties the session to the user, so removing the user ends it too.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None] = mapped_column()
