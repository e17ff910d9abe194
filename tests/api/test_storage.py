"""Storage against both databases: a SQLite file and a real PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (database ``test``; another by
``MOEDEPLAN_TEST_POSTGRES_URL``). The session gets its own schema (``search_path`` set through
``connect_args``), migrated once and dropped at the end; each test starts from empty tables
(TRUNCATE). If the server cannot be reached the PostgreSQL tests FAIL, saying so — they are
skipped only with ``MOEDEPLAN_SKIP_POSTGRES=1``. SQLite tests get a fresh file each.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from api import storage
from api.db import (
    alembic_config,
    current_revision,
    make_engine,
    migrate,
    normalize_url,
    session_scope,
)
from api.orm import (
    Absence,
    AbsenceState,
    AuditEntry,
    Base,
    ConfigVersion,
    Job,
    JobState,
    MeetingLock,
    PlanState,
    PlanVersion,
    Proposal,
    PublicationState,
)
from api.settings import AppSettings, mask_database_url
from api.storage import Conflict, ImmutableRow, JobLost, NotFound, StaleVersion
from scheduler.model import Attendee, Meeting, Plan, PlanStatus
from tests.api.databases import TABLES, Db

ROOT = Path(__file__).resolve().parents[2]
CPH = ZoneInfo("Europe/Copenhagen")
TERM = "foraar-2027"


# --------------------------------------------------------------------------- data


def make_plan(term: str = TERM, hour: int = 13, objective: float = 12.0) -> Plan:
    """A small solved plan, built by hand: two meetings of one series."""
    meetings = [
        Meeting(
            uid=f"kk-nordskolen.{term}.{week}",
            series="kk-nordskolen",
            occurrence=week,
            title="Koordineringskonference, skole, Nordskolen",
            unit="nordskolen",
            site="nordskolen",
            start=datetime(2027, 3, 23 + 7 * week, hour, 0, tzinfo=CPH),  # across the DST change
            end=datetime(2027, 3, 23 + 7 * week, hour + 1, 30, tzinfo=CPH),
            attendees=[
                Attendee(person="psykolog-a", role="psykolog", required=True, seat="required_roles[0]"),
                Attendee(person="leder-nord", role="skoleleder", required=True, seat="chair"),
            ],
        )
        for week in range(2)
    ]
    return Plan(
        municipality="Ballerup Kommune",
        term=term,
        status=PlanStatus.OPTIMAL,
        objective=objective,
        best_bound=objective,
        solve_seconds=0.5,
        meetings=meetings,
    )


def saved_config(session: Session) -> ConfigVersion:
    return storage.save_config(session, "ballerup", "organisation: Ballerup\n", "admin", "first upload")


def tables_of(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


# --------------------------------------------------------------------------- migrations


def head_revision() -> str:
    """The newest migration, as Alembic's scripts say (so a new migration needs no test edit)."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def test_migrate_from_empty_to_head_matches_the_models(empty_db: Db) -> None:
    assert current_revision(empty_db.engine) is None
    assert tables_of(empty_db.engine) == set()

    migrate(empty_db.engine)

    assert current_revision(empty_db.engine) == head_revision()
    assert tables_of(empty_db.engine) == TABLES | {"alembic_version"}
    with empty_db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []

    migrate(empty_db.engine)  # at head already: nothing happens
    assert current_revision(empty_db.engine) == head_revision()

    command.downgrade(alembic_config(empty_db.engine), "base")
    assert tables_of(empty_db.engine) == {"alembic_version"}
    migrate(empty_db.engine)
    assert tables_of(empty_db.engine) == TABLES | {"alembic_version"}


def test_migrate_by_url_creates_the_sqlite_file(tmp_path: Path) -> None:
    """`moedeplan serve` with nothing configured: the default-style URL just works."""
    path = tmp_path / "new.sqlite3"
    migrate(f"sqlite:///{path}")
    assert path.exists()
    engine = make_engine(f"sqlite:///{path}")
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_postgresql_urls_use_psycopg3() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.sqlite3").drivername == "sqlite"


def test_settings_never_show_the_database_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOEDEPLAN_DATABASE_URL", raising=False)
    assert AppSettings().database_url == "sqlite:///moedeplan.sqlite3"

    monkeypatch.setenv("MOEDEPLAN_DATABASE_URL", "postgresql://planner:hemmelig@db.example/moedeplan")
    settings = AppSettings()
    assert settings.database_url.endswith("planner:hemmelig@db.example/moedeplan")
    assert "hemmelig" not in settings.safe_database_url
    assert settings.safe_database_url == "postgresql://planner:***@db.example/moedeplan"
    assert "hemmelig" not in repr(settings) and "hemmelig" not in str(settings)
    assert "hemmelig" not in mask_database_url("postgresql://db.example/moedeplan?password=hemmelig")


# --------------------------------------------------------------------------- plan versions


def test_plan_versions_keep_their_lineage(db: Db) -> None:
    with session_scope(db.sessions) as session:
        config = saved_config(session)
        root = storage.save_plan_version(session, config, make_plan(), None, "admin", "first plan")
        child = storage.save_plan_version(
            session, config, make_plan(hour=14), root, "leder-nord", "psykolog A syg"
        )
        grandchild = storage.save_plan_version(
            session, config, make_plan(hour=15, objective=20), child, "leder-nord", "flyttet igen"
        )
        ids = (root.id, child.id, grandchild.id)

    with session_scope(db.sessions) as session:
        assert [v.id for v in storage.lineage(session, ids[2])] == list(ids)
        assert [v.id for v in storage.lineage(session, ids[0])] == [ids[0]]
        row, plan = storage.get_plan(session, ids[1])
        assert plan == make_plan(hour=14)  # datetimes with their offsets survive the round trip
        assert (row.term, row.status, row.objective, row.parent_id) == (TERM, "OPTIMAL", 12.0, ids[0])
        assert row.created_at.tzinfo is UTC
        assert storage.latest_config(session, "ballerup") is not None
        assert storage.latest_config(session, "ingen") is None
        latest = storage.latest_plan_version(session, TERM)
        assert latest is not None and latest.id == ids[2]
        with pytest.raises(NotFound):
            storage.get_plan(session, 999)
        with pytest.raises(ValueError, match="cannot descend"):
            storage.save_plan_version(session, row_config(session), make_plan("efteraar-2027"), row, "a", "")


def test_a_version_is_changed_once(db: Db) -> None:
    """Two changes of one version: one lands, one is refused, even when both read the version
    before either wrote (two sessions interleaved): the database's unique ``change_of``."""
    with session_scope(db.sessions) as session:
        config = saved_config(session)
        root = storage.save_plan_version(session, config, make_plan(), None, "admin", "første plan")
        root_id = root.id
    first, second = db.sessions(), db.sessions()
    try:
        base_1, base_2 = storage.get_plan_version(first, root_id), storage.get_plan_version(second, root_id)
        assert storage.changed_into(first, root_id) is storage.changed_into(second, root_id) is None
        config_1 = storage.get_config(first, base_1.config_version_id)
        won = storage.save_plan_version(first, config_1, make_plan(hour=14), base_1, "a", "flyt", change=True)
        first.commit()
        config_2 = storage.get_config(second, base_2.config_version_id)
        with pytest.raises(storage.NotNewest) as refused:
            storage.save_plan_version(second, config_2, make_plan(hour=15), base_2, "b", "flyt", change=True)
        second.rollback()
        assert refused.value.newest_id == won.id and "ikke længere den aktuelle" in str(refused.value)
    finally:
        first.close()
        second.close()
    with session_scope(db.sessions) as session:
        assert storage.changed_into(session, root_id) == won.id
        assert storage.get_plan_version(session, won.id).state == PlanState.draft
        children = session.scalars(select(PlanVersion.id).where(PlanVersion.parent_id == root_id))
        assert list(children) == [won.id]
        # a new solve is no change: any number of them may start from one version
        root = storage.get_plan_version(session, root_id)
        fresh = storage.save_plan_version(session, row_config(session), make_plan(hour=9), root, "w", "ny")
        assert fresh.change_of is None and storage.changed_into(session, root_id) == won.id
        with pytest.raises(ValueError, match="needs the version"):
            storage.save_plan_version(session, row_config(session), make_plan(), None, "a", "", change=True)


def test_one_live_plan_per_term_and_the_states_it_leaves(db: Db) -> None:
    """Publishing supersedes the live plan; a draft may be discarded, the live plan not; a change
    of the live plan goes live only while its base still is."""
    with session_scope(db.sessions) as session:
        config = saved_config(session)
        v1 = storage.save_plan_version(session, config, make_plan(), None, "admin", "første")
        other_term = storage.save_plan_version(session, config, make_plan("efteraar-2027"), None, "a", "")
        assert v1.state == PlanState.draft and storage.live_plan_version(session, TERM) is None
        assert storage.working_plan_version(session, TERM) == v1
        storage.publish_plan_version(session, v1.id, v1.version, "admin", "udsendt")
        storage.publish_plan_version(session, other_term.id, other_term.version, "admin", "udsendt")
        v2 = storage.save_plan_version(session, config, make_plan(hour=14), v1, "leder", "ny løsning")
        assert storage.working_plan_version(session, TERM) == v1  # a newer draft is not the plan
        assert storage.latest_plan_version(session, TERM, published=True) == v1
        assert storage.live_plan_ids(session) == storage.working_plan_ids(session) == [v1.id, other_term.id]
        with pytest.raises(Conflict, match="gældende plan"):
            storage.discard_plan_version(session, v1.id, "leder", "")
        storage.publish_plan_version(session, v2.id, v2.version, "admin", "udsendt igen")
        assert (v1.state, v2.state) == (PlanState.superseded, PlanState.published)
        with pytest.raises(Conflict, match="afløst"):
            storage.publish_plan_version(session, v1.id, v1.version, "admin", "tilbage")
        with pytest.raises(Conflict, match="historik"):
            storage.discard_plan_version(session, v1.id, "leder", "")
        # a change of the live plan cannot go live once another version went live over its base
        late = storage.save_plan_version(session, config, make_plan(hour=9), v2, "leder", "flyt", change=True)
        v3 = storage.save_plan_version(session, config, make_plan(hour=15), v2, "leder", "ny løsning")
        storage.publish_plan_version(session, v3.id, v3.version, "admin", "udsendt")
        with pytest.raises(storage.NotNewest):
            storage.publish_plan_version(session, late.id, late.version, "leder", "flyt")
        with pytest.raises(storage.NotNewest):
            storage.save_plan_version(session, config, make_plan(hour=10), v2, "leder", "flyt", change=True)
        assert storage.discard_plan_version(session, late.id, "leder", "prøve").state == PlanState.discarded
        assert storage.discard_plan_version(session, late.id, "leder", "igen").state == PlanState.discarded
        with pytest.raises(Conflict, match="kasseret"):
            storage.publish_plan_version(session, late.id, late.version, "admin", "")
        assert storage.latest_plan_version(session, TERM) == v3
        assert [v.id for v in storage.plan_versions(session, TERM, state=PlanState.draft)] == []
        states = {v.id: v.state for v in storage.plan_versions(session, TERM)}
        assert states == {
            v3.id: PlanState.published,
            late.id: PlanState.discarded,
            v2.id: PlanState.superseded,
            v1.id: PlanState.superseded,
        }
        actions = [e.action for e in storage.audit_trail(session, "plan_version", v1.id)]
        assert actions == ["plan.save", "plan.publish", "plan.supersede"]
        v4_id = storage.save_plan_version(session, config, make_plan(hour=8), v3, "leder", "udkast").id
    # The database itself keeps one published version per term, and only the allowed moves.
    with db.engine.connect() as connection, pytest.raises(DBAPIError, match="(?i)unique|duplicate"):
        connection.execute(
            text("UPDATE plan_versions SET state = 'published', published_at = :at WHERE id = :id"),
            {"id": v4_id, "at": datetime(2027, 1, 4, tzinfo=UTC)},
        )
    for sql in (
        "UPDATE plan_versions SET state = 'published', published_at = published_at WHERE id = :id",
        "UPDATE plan_versions SET state = 'draft' WHERE id = :id",
    ):
        with db.engine.connect() as connection, pytest.raises(DBAPIError):
            connection.execute(text(sql), {"id": v1.id})
    with db.engine.connect() as connection, pytest.raises(DBAPIError):
        connection.execute(text("UPDATE plan_versions SET change_of = NULL WHERE id = :id"), {"id": late.id})
    with db.engine.connect() as connection, pytest.raises(DBAPIError):
        connection.execute(
            text("UPDATE plan_versions SET state = 'published' WHERE id = :id"), {"id": late.id}
        )


def test_one_publish_lease_per_term(db: Db) -> None:
    hour = timedelta(hours=1)
    with session_scope(db.sessions) as session:
        assert storage.lock_publishing(session, TERM, "host:1:a", hour)
        assert storage.lock_publishing(session, "efteraar-2027", "host:2:b", hour)  # another term
    with session_scope(db.sessions) as session:
        assert not storage.lock_publishing(session, TERM, "host:2:b", hour)
        assert storage.publish_lock_holder(session, TERM) == "host:1:a"
        assert storage.lock_publishing(session, TERM, "host:2:b", hour, dead=["host:1:a"])  # its holder died
        assert storage.publish_lock_holder(session, TERM) == "host:2:b"
        storage.unlock_publishing(session, TERM, "host:1:a")  # not the holder: nothing happens
        assert storage.publish_lock_holder(session, TERM) == "host:2:b"
        storage.unlock_publishing(session, TERM, "host:2:b")
        assert storage.publish_lock_holder(session, TERM) is None
        assert storage.lock_publishing(session, TERM, "host:3:c", -hour)  # already expired
    with session_scope(db.sessions) as session:
        assert storage.lock_publishing(session, TERM, "host:4:d", hour)  # an expired lease is taken over


def test_publications_finish_and_supersede_older_ones(db: Db) -> None:
    with session_scope(db.sessions) as session:
        config = saved_config(session)
        root = storage.save_plan_version(session, config, make_plan(), None, "admin", "plan")
        child = storage.save_plan_version(session, config, make_plan(hour=14), root, "a", "flyt", change=True)
        older = storage.add_publication(session, root, "email", "admin", "udsendt")
        other_backend = storage.add_publication(session, root, "ics", "admin", "udsendt")
        newer = storage.add_publication(session, child, "email", "a", "flyt")
        assert [p.id for p in storage.pending_publications(session, TERM)] == [other_backend.id, newer.id]
        storage.finish_publication(session, newer.id, 7, ["x / y: 550"], "a")
        session.expire_all()
        assert storage.get_publication(session, older.id).state == PublicationState.superseded
        assert storage.get_publication(session, other_backend.id).state == PublicationState.pending
        done = storage.get_publication(session, newer.id)
        assert (done.state, done.messages, json.loads(done.failures)) == (
            PublicationState.done,
            7,
            ["x / y: 550"],
        )
        assert storage.publication_of(session, child.id) == done


def test_the_states_migration_makes_each_terms_newest_published_version_live(empty_db: Db) -> None:
    command.upgrade(alembic_config(empty_db.engine), "0003_publishing")
    published_at = datetime(2027, 1, 4, 8, tzinfo=UTC)
    rows = (  # (term, hour, published, status)
        (TERM, 9, True, "OPTIMAL"),
        (TERM, 10, True, "FEASIBLE"),
        (TERM, 11, False, "OPTIMAL"),
        (TERM, 12, False, "INFEASIBLE"),
        ("efteraar-2027", 9, False, "OPTIMAL"),
    )
    with empty_db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO config_versions (id, name, yaml, sha256, created_by, created_at, reason) "
                "VALUES (1, 'x', '', '', 'admin', :at, '')"
            ),
            {"at": published_at},
        )
        for i, (term, hour, published, status) in enumerate(rows, start=1):
            connection.execute(
                text(
                    "INSERT INTO plan_versions (id, config_version_id, term, status, plan_json, created_by, "
                    "created_at, reason, published_at, version) "
                    "VALUES (:id, 1, :term, :status, :json, 'admin', :at, '', :published, 1)"
                ),
                {
                    "id": i,
                    "term": term,
                    "status": status,
                    "json": make_plan(term, hour).model_dump_json(),
                    "at": published_at,
                    "published": published_at if published else None,
                },
            )
    migrate(empty_db.engine)
    with session_scope(empty_db.sessions) as session:
        states = {v.id: v.state for v in storage.plan_versions(session)}
        assert states == {
            1: PlanState.superseded,
            2: PlanState.published,
            3: PlanState.draft,
            4: PlanState.discarded,  # a stored failed solve was never a plan
            5: PlanState.draft,
        }
        assert storage.working_plan_ids(session) == [2, 5]
    command.downgrade(alembic_config(empty_db.engine), "0003_publishing")
    with empty_db.engine.connect() as connection:
        heads: dict[str, int] = dict(
            connection.execute(text("SELECT term, plan_version_id FROM plan_heads")).all()
        )
    assert heads == {TERM: 4, "efteraar-2027": 5}


def row_config(session: Session) -> ConfigVersion:
    config = storage.latest_config(session)
    assert config is not None
    return config


def test_plan_versions_are_immutable(db: Db) -> None:
    with session_scope(db.sessions) as session:
        version = storage.save_plan_version(session, saved_config(session), make_plan(), None, "admin", "")
        version_id = version.id

    with db.sessions() as session:
        version = storage.get_plan_version(session, version_id)
        with pytest.raises(ImmutableRow):
            version.plan_json = "{}"
        with pytest.raises(ImmutableRow):
            version.parent_id = version_id
        session.delete(version)
        with pytest.raises(ImmutableRow):
            session.flush()
        session.rollback()

    # Around the ORM, the database itself refuses.
    for sql in (
        "UPDATE plan_versions SET plan_json = '{}' WHERE id = :id",
        "UPDATE plan_versions SET term = 'x' WHERE id = :id",
        "DELETE FROM plan_versions WHERE id = :id",
    ):
        with db.engine.connect() as connection, pytest.raises(DBAPIError, match="(?i)plan version"):
            connection.execute(text(sql), {"id": version_id})

    # The one change allowed: published, once.
    with session_scope(db.sessions) as session:
        published = storage.publish_plan_version(session, version_id, 1, "admin", "sendt ud")
        assert published.published_at is not None and published.version == 2
        again = storage.publish_plan_version(session, version_id, 2, "admin", "igen")
        assert again.published_at == published.published_at
        assert storage.latest_plan_version(session, TERM, published=True) is not None
    with db.engine.connect() as connection, pytest.raises(DBAPIError, match="(?i)plan version"):
        connection.execute(
            text("UPDATE plan_versions SET published_at = :at WHERE id = :id"),
            {"id": version_id, "at": "2030-01-01 00:00:00"},
        )
    with db.sessions() as session:
        row, plan = storage.get_plan(session, version_id)
        assert plan == make_plan()
        actions = [e.action for e in storage.audit_trail(session, "plan_version", version_id)]
        assert actions == ["plan.save", "plan.publish"]


# --------------------------------------------------------------------------- locks


def test_lock_and_unlock_with_versions(db: Db) -> None:
    uid = f"kk-nordskolen.{TERM}.0"
    with session_scope(db.sessions) as session:
        lock = storage.lock_meeting(session, TERM, uid, "leder-nord", "aftalt med forældre")
        assert lock.version == 1
        assert storage.locked_uids(session, TERM) == {uid}
        assert storage.locked_uids(session, "efteraar-2027") == set()

    with pytest.raises(Conflict, match="already locked"), session_scope(db.sessions) as session:
        storage.lock_meeting(session, TERM, uid, "leder-syd", "")

    with pytest.raises(StaleVersion) as stale, session_scope(db.sessions) as session:
        storage.unlock_meeting(session, TERM, uid, 7, "leder-nord", "")
    assert (stale.value.expected, stale.value.actual) == (7, 1)

    with session_scope(db.sessions) as session:
        storage.unlock_meeting(session, TERM, uid, 1, "leder-nord", "ikke længere")
        assert storage.locked_uids(session, TERM) == set()
    with pytest.raises(NotFound), session_scope(db.sessions) as session:
        storage.unlock_meeting(session, TERM, uid, 1, "leder-nord", "")

    with db.sessions() as session:
        trail = storage.audit_trail(session, "meeting_lock")
        assert [(e.action, e.actor) for e in trail] == [
            ("meeting.lock", "leder-nord"),
            ("meeting.unlock", "leder-nord"),
        ]
        assert json.loads(trail[1].detail)["reason"] == "ikke længere"


def test_unlock_races_with_a_relock(db: Db) -> None:
    """A stale view of a lock cannot delete the newer lock that replaced it (version check in
    the DELETE itself)."""
    uid = f"kk-nordskolen.{TERM}.1"
    with session_scope(db.sessions) as session:
        storage.lock_meeting(session, TERM, uid, "leder-nord", "")
    with db.sessions() as stale_session:
        seen = storage.get_lock(stale_session, TERM, uid)
        assert seen is not None
        with session_scope(db.sessions) as other:
            lock = storage.get_lock(other, TERM, uid)
            assert lock is not None
            lock.reason = "ny begrundelse"  # version 1 -> 2
        with pytest.raises(StaleVersion):
            storage.unlock_meeting(stale_session, TERM, uid, 1, "leder-nord", "")
    assert db.count(MeetingLock) == 1


# --------------------------------------------------------------------------- absences


def absence_times() -> tuple[datetime, datetime]:
    return datetime(2027, 3, 29, 8, 0, tzinfo=CPH), datetime(2027, 4, 2, 16, 0, tzinfo=CPH)


def test_absence_times_are_stored_in_utc_and_reasons_stay_out_of_the_audit(db: Db) -> None:
    start, end = absence_times()
    with session_scope(db.sessions) as session:
        absence = storage.create_absence(session, "psykolog-a", start, end, "Barsel (fortroligt)", "hr")
        absence_id = absence.id
        with pytest.raises(ValueError, match="timezone-aware"):
            storage.create_absence(session, "psykolog-a", datetime(2027, 1, 1), end, None, "hr")
        with pytest.raises(ValueError, match="end after"):
            storage.create_absence(session, "psykolog-a", end, start, None, "hr")
        with pytest.raises(ValueError, match="actor"):
            storage.create_absence(session, "psykolog-a", start, end, None, " ")

    with db.sessions() as session:
        absence = storage.get_absence(session, absence_id)
        assert absence.start == start and absence.start.tzinfo is UTC
        assert absence.start.hour == 6  # 08:00 summer time (from 28 March 2027) is 06:00 UTC
        assert absence.end == end and absence.state is AbsenceState.open
        assert absence.reason == "Barsel (fortroligt)"

    with session_scope(db.sessions) as session:
        storage.update_absence(session, absence_id, 1, actor="hr", reason="Sygdom", state="resolved")
    with db.sessions() as session:
        details = " ".join(e.detail for e in storage.audit_trail(session, "absence", absence_id))
        assert "Barsel" not in details and "Sygdom" not in details
        assert storage.open_absences(session) == []


def test_two_leaders_editing_one_absence_never_lose_an_update(db: Db) -> None:
    start, end = absence_times()
    with session_scope(db.sessions) as session:
        absence_id = storage.create_absence(session, "psykolog-a", start, end, None, "hr").id

    first, second = db.sessions(), db.sessions()
    try:
        # Both open the absence (ETag 1) ...
        assert storage.get_absence(first, absence_id).version == 1
        assert storage.get_absence(second, absence_id).version == 1
        # ... the first saves ...
        storage.update_absence(first, absence_id, 1, actor="leder-nord", end=end + timedelta(days=3))
        first.commit()
        # ... and the second, still holding version 1, is refused instead of overwriting.
        with pytest.raises(StaleVersion):
            storage.update_absence(second, absence_id, 1, actor="leder-syd", start=start - timedelta(days=1))
        second.rollback()
    finally:
        first.close()
        second.close()

    with session_scope(db.sessions) as session:
        absence = storage.get_absence(session, absence_id)
        assert (absence.version, absence.start, absence.end) == (2, start, end + timedelta(days=3))
        # A stale ETag from a fresh read is refused up front, with both versions named.
        with pytest.raises(StaleVersion) as stale:
            storage.update_absence(session, absence_id, 1, actor="leder-syd", start=start)
        assert (stale.value.expected, stale.value.actual) == (1, 2)
        # Re-read, re-apply: now it goes through.
        storage.update_absence(session, absence_id, 2, actor="leder-syd", start=start - timedelta(days=1))

    # The same through plain ORM changes: the second commit fails.
    with pytest.raises(StaleVersion), session_scope(db.sessions) as second_leader:
        storage.get_absence(second_leader, absence_id).person_id = "psykolog-c"
        with session_scope(db.sessions) as first_leader:
            storage.get_absence(first_leader, absence_id).person_id = "psykolog-b"
        # first_leader has committed; second_leader commits (and fails) on leaving the block
    with db.sessions() as session:
        absence = storage.get_absence(session, absence_id)
        assert (absence.person_id, absence.version) == ("psykolog-b", 4)


def test_proposals_one_accepted_per_absence(db: Db) -> None:
    start, end = absence_times()
    with session_scope(db.sessions) as session:
        base = storage.save_plan_version(session, saved_config(session), make_plan(), None, "admin", "")
        absence = storage.create_absence(session, "psykolog-a", start, end, None, "hr")
        second = storage.add_proposal(session, absence.id, base, {"moves": 2}, 2, "replan")
        first = storage.add_proposal(session, absence.id, base, make_plan(hour=14), 1, "replan")
        ids = (first.id, second.id)
    with session_scope(db.sessions) as session:
        assert [p.id for p in storage.proposals_for(session, absence.id)] == list(ids)
        accepted = storage.accept_proposal(session, ids[0], 1, "leder-nord")
        assert accepted.accepted_at is not None and accepted.version == 2
    with pytest.raises(Conflict, match="already accepted"), session_scope(db.sessions) as session:
        storage.accept_proposal(session, ids[1], 1, "leder-syd")
    assert db.count(Proposal) == 2


# --------------------------------------------------------------------------- transactions


def test_audit_entries_commit_and_roll_back_with_the_change(db: Db) -> None:
    start, end = absence_times()
    with db.sessions() as session:
        storage.create_absence(session, "psykolog-a", start, end, None, "hr")
        storage.enqueue_job(session, "solve", {"term": TERM}, "admin")
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2
        session.rollback()
    assert (db.count(Absence), db.count(Job), db.count(AuditEntry)) == (0, 0, 0)

    with session_scope(db.sessions) as session:
        storage.create_absence(session, "psykolog-a", start, end, None, "hr")
    with db.sessions() as session:
        (entry,) = storage.audit_trail(session)
        assert (entry.actor, entry.action, entry.object_type) == ("hr", "absence.create", "absence")
        assert entry.at.tzinfo is UTC


def test_an_exception_mid_transaction_leaves_no_partial_rows(db: Db) -> None:
    start, end = absence_times()
    with pytest.raises(RuntimeError, match="strømmen gik"), session_scope(db.sessions) as session:
        config = saved_config(session)
        storage.save_plan_version(session, config, make_plan(), None, "admin", "")
        storage.create_absence(session, "psykolog-a", start, end, "fortroligt", "hr")
        storage.lock_meeting(session, TERM, "x", "admin", "")
        storage.enqueue_job(session, "solve", {}, "admin")
        session.flush()
        raise RuntimeError("strømmen gik")
    # A database error half-way (a proposal for an absence that does not exist) is no different.
    with pytest.raises(DBAPIError) as failure, session_scope(db.sessions) as session:
        storage.create_absence(session, "psykolog-a", start, end, None, "hr")
        session.add(Proposal(absence_id=999, plan_version_id=999, proposal_json='{"note": "Sygdom"}', rank=1))
        session.flush()
    assert "Sygdom" not in str(failure.value)  # parameters never reach error messages (or logs)
    for model in (ConfigVersion, PlanVersion, Absence, MeetingLock, Proposal, Job, AuditEntry):
        assert db.count(model) == 0, model.__name__


CRASHING_WRITER = textwrap.dedent(
    """
    import json, os, sys
    from datetime import UTC, datetime
    from api import storage
    from api.db import make_engine, make_session_factory, session_scope

    engine = make_engine(sys.argv[1], connect_args=json.loads(sys.argv[2]))
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:
        storage.save_config(session, "ballerup", "a: 1\\n", "admin", "committed")
    session = sessions()
    storage.save_config(session, "ballerup", "a: 2\\n", "admin", "never committed")
    storage.create_absence(session, "p", datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC),
                           None, "hr")
    storage.enqueue_job(session, "solve", {}, "admin")
    session.flush()
    os._exit(17)  # the process dies mid-transaction: no rollback, no clean-up
    """
)


def test_a_killed_process_keeps_what_it_committed_and_nothing_else(db: Db) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, db.url, json.dumps(db.connect_args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 17, result.stderr
    with db.sessions() as session:
        configs = list(session.scalars(select(ConfigVersion)))
        assert [c.reason for c in configs] == ["committed"]
        assert [e.action for e in storage.audit_trail(session)] == ["config.save"]
    assert (db.count(Absence), db.count(Job)) == (0, 0)
    if db.backend == "sqlite":
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


# --------------------------------------------------------------------------- jobs


def test_concurrent_workers_never_get_the_same_job(db: Db) -> None:
    with session_scope(db.sessions) as session:
        job_ids = [storage.enqueue_job(session, "solve", {"n": n}, "admin").id for n in range(24)]

    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker(name: str) -> None:
        mine: list[int] = claimed.setdefault(name, [])
        try:
            barrier.wait()
            while True:
                with session_scope(db.sessions) as session:
                    job = storage.claim_next_job(session, name)
                    if job is None:
                        return
                    assert job.state is JobState.running and job.worker_id == name
                    mine.append(job.id)
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"worker-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    everything = [job_id for ids in claimed.values() for job_id in ids]
    assert sorted(everything) == job_ids  # each job exactly once
    with db.sessions() as session:
        jobs = list(session.scalars(select(Job)))
        assert all(j.state is JobState.running and j.attempts == 1 for j in jobs)
        assert {j.worker_id for j in jobs} <= set(claimed)


def test_postgresql_claim_skips_a_job_another_worker_is_claiming(db: Db) -> None:
    if db.backend != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time")
    with session_scope(db.sessions) as session:
        first_id = storage.enqueue_job(session, "solve", {}, "admin").id
        second_id = storage.enqueue_job(session, "solve", {}, "admin").id

    a, b = db.sessions(), db.sessions()
    try:
        b.execute(text("SET LOCAL lock_timeout = '2s'"))  # would fail instead of hanging
        job_a = storage.claim_next_job(a, "worker-a")  # not committed yet: row locked
        job_b = storage.claim_next_job(b, "worker-b")
        assert job_a is not None and job_b is not None
        assert (job_a.id, job_b.id) == (first_id, second_id)
        assert storage.claim_next_job(b, "worker-b") is None
        a.commit()
        b.commit()
    finally:
        a.close()
        b.close()


def test_a_job_whose_worker_died_is_requeued_and_claimed_again(db: Db) -> None:
    with session_scope(db.sessions) as session:
        job_id = storage.enqueue_job(session, "solve", {"term": TERM}, "admin").id
    with session_scope(db.sessions) as session:
        job = storage.claim_next_job(session, "worker-a")
        assert job is not None and job.id == job_id
        storage.heartbeat(session, job_id, "worker-a", {"objective": 40})

    # Fresh heartbeat: nothing to requeue.
    with session_scope(db.sessions) as session:
        assert storage.requeue_stale_jobs(session, timedelta(minutes=2)) == []
    # worker-a goes silent; two minutes later the reaper puts its job back.
    later = datetime.now(UTC) + timedelta(minutes=3)
    with session_scope(db.sessions) as session:
        assert storage.requeue_stale_jobs(session, timedelta(minutes=2), now=later) == [job_id]
        assert storage.get_job(session, job_id).state is JobState.queued

    with session_scope(db.sessions) as session:
        again = storage.claim_next_job(session, "worker-b")
        assert again is not None and (again.id, again.attempts) == (job_id, 2)
    # worker-a wakes up: it no longer owns the job and is told so.
    with pytest.raises(JobLost), session_scope(db.sessions) as session:
        storage.heartbeat(session, job_id, "worker-a")
    with pytest.raises(JobLost), session_scope(db.sessions) as session:
        storage.finish_job(session, job_id, "worker-a", "plan_version:1")
    with session_scope(db.sessions) as session:
        done = storage.finish_job(session, job_id, "worker-b", "plan_version:1")
        assert (done.state, done.result_ref, done.worker_id) == (JobState.done, "plan_version:1", "worker-b")
        assert done.finished_at is not None
        assert json.loads(done.progress or "{}") == {"objective": 40}
        assert storage.claim_next_job(session, "worker-c") is None

    with db.sessions() as session:
        actions = [e.action for e in storage.audit_trail(session, "job", job_id)]
        assert actions == ["job.enqueue", "job.claim", "job.requeue", "job.claim", "job.finish"]


def test_a_job_that_keeps_killing_workers_is_failed_not_retried_forever(db: Db) -> None:
    with session_scope(db.sessions) as session:
        job_id = storage.enqueue_job(session, "solve", {}, "admin").id
    later = datetime.now(UTC)
    for attempt in range(1, 4):
        with session_scope(db.sessions) as session:
            assert storage.claim_next_job(session, f"worker-{attempt}") is not None
        later += timedelta(minutes=10)
        with session_scope(db.sessions) as session:
            assert storage.requeue_stale_jobs(session, timedelta(minutes=2), max_attempts=3, now=later) == [
                job_id
            ]
    with db.sessions() as session:
        job = storage.get_job(session, job_id)
        assert (job.state, job.attempts) == (JobState.failed, 3)
        assert "stopped answering" in (job.error or "")
        assert storage.claim_next_job(session, "worker-4") is None


def test_fail_job_and_kinds(db: Db) -> None:
    with session_scope(db.sessions) as session:
        solve = storage.enqueue_job(session, "solve", {}, "admin").id
        publish = storage.enqueue_job(session, "publish", {}, "admin").id
    with session_scope(db.sessions) as session:
        job = storage.claim_next_job(session, "publisher", kinds=["publish"])
        assert job is not None and job.id == publish
        failed = storage.fail_job(session, publish, "publisher", "SMTP nede")
        assert (failed.state, failed.error) == (JobState.failed, "SMTP nede")
    with session_scope(db.sessions) as session:
        job = storage.claim_next_job(session, "solver")
        assert job is not None and job.id == solve
        with pytest.raises(NotFound):
            storage.heartbeat(session, 999, "solver")
