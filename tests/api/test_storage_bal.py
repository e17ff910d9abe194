"""Stored BAL rollouts on SQLite and PostgreSQL: drafts, the live rollout of a config name (the one
before it superseded), optimistic concurrency, history that never changes, and the audit log."""

from __future__ import annotations

import pytest

from api import storage
from api.db import session_scope
from api.orm import BalRolloutVersion, PlanState
from api.storage import Conflict, ImmutableRow, StaleVersion
from tests.api.databases import Db
from tests.builders import bal_rollout


def _config(db: Db, name: str = "ballerup") -> int:
    with session_scope(db.sessions) as session:
        return storage.save_config(session, name, "municipality: X\n", "admin", "upload").id


def _draft(db: Db, config_id: int, *teams: str) -> tuple[int, int]:
    with session_scope(db.sessions) as session:
        row = storage.save_rollout(
            session, storage.get_config(session, config_id), bal_rollout(*teams), "worker", "ny"
        )
        return row.id, row.version


def test_a_draft_reads_back_and_publishing_makes_it_the_live_one(db: Db) -> None:
    config_id = _config(db)
    first, version = _draft(db, config_id, "team-1", "team-2")
    with session_scope(db.sessions) as session:
        assert storage.live_rollout_version(session, "ballerup") is None
        row, rollout = storage.get_rollout(session, first)
        assert row.state == PlanState.draft and row.config_name == "ballerup" and row.rounds_used == 1
        assert [a.team for a in rollout.assignments] == ["team-1", "team-2"]
        storage.publish_rollout(session, first, version, "admin", "udrulning 1")
    with session_scope(db.sessions) as session:
        live = storage.live_rollout_version(session, "ballerup")
        assert live is not None and live.id == first and live.published_at is not None
        assert storage.live_rollout_version(session, "another") is None


def test_a_second_publish_supersedes_the_first_and_the_first_cannot_come_back(db: Db) -> None:
    config_id = _config(db)
    first, v1 = _draft(db, config_id, "team-1")
    second, v2 = _draft(db, config_id, "team-2")
    with session_scope(db.sessions) as session:
        storage.publish_rollout(session, first, v1, "admin", "")
    with session_scope(db.sessions) as session:
        storage.publish_rollout(session, second, v2, "admin", "")
    with session_scope(db.sessions) as session:
        assert storage.get_rollout_version(session, first).state == PlanState.superseded
        live = storage.live_rollout_version(session, "ballerup")
        assert live is not None and live.id == second
        with pytest.raises(Conflict, match="afløst"):
            storage.publish_rollout(
                session, first, storage.get_rollout_version(session, first).version, "a", ""
            )
        actions = [(e.action, e.object_id) for e in storage.audit_trail(session, "bal_rollout")]
    assert actions == [
        ("bal_rollout.save", str(first)),
        ("bal_rollout.save", str(second)),
        ("bal_rollout.publish", str(first)),
        ("bal_rollout.supersede", str(first)),
        ("bal_rollout.publish", str(second)),
    ]


def test_publishing_a_rollout_read_at_an_older_version_is_refused(db: Db) -> None:
    first, version = _draft(db, _config(db), "team-1")
    with session_scope(db.sessions) as session, pytest.raises(StaleVersion):
        storage.publish_rollout(session, first, version + 1, "admin", "")
    with session_scope(db.sessions) as session:
        assert storage.get_rollout_version(session, first).state == PlanState.draft


def test_each_config_name_has_its_own_live_rollout(db: Db) -> None:
    a, va = _draft(db, _config(db, "ballerup"), "team-1")
    b, vb = _draft(db, _config(db, "test"), "team-2")
    with session_scope(db.sessions) as session:
        storage.publish_rollout(session, a, va, "admin", "")
        storage.publish_rollout(session, b, vb, "admin", "")
    with session_scope(db.sessions) as session:
        assert storage.get_rollout_version(session, a).state == PlanState.published
        assert storage.get_rollout_version(session, b).state == PlanState.published


def test_a_stored_rollout_is_history(db: Db) -> None:
    first, _ = _draft(db, _config(db), "team-1")
    with db.sessions() as session:
        row = storage.get_rollout_version(session, first)
        with pytest.raises(ImmutableRow):
            row.rollout_json = "{}"
        with pytest.raises(ImmutableRow):
            session.delete(row)
            session.flush()
        session.rollback()
    assert db.count(BalRolloutVersion) == 1


def test_an_unknown_rollout_is_not_found_in_danish(db: Db) -> None:
    with session_scope(db.sessions) as session, pytest.raises(storage.NotFound, match="findes ikke"):
        storage.get_rollout(session, 99)
