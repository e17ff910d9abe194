"""Databases for the storage and API tests: a SQLite file, and throw-away PostgreSQL schemas.

PostgreSQL is the server on 127.0.0.1:5432 (database ``test``; another by
``MOEDEPLAN_TEST_POSTGRES_URL``). If it cannot be reached the PostgreSQL tests FAIL, saying so;
they are skipped only with ``MOEDEPLAN_SKIP_POSTGRES=1``.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from api.db import make_engine, make_session_factory
from api.settings import mask_database_url

POSTGRES_URL = os.environ.get(
    "MOEDEPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SKIP_POSTGRES = os.environ.get("MOEDEPLAN_SKIP_POSTGRES") == "1"
TABLES = {
    "config_versions",
    "plan_versions",
    "bal_rollouts",
    "meeting_locks",
    "absences",
    "proposals",
    "audit_log",
    "jobs",
    "publications",
    "publish_locks",
    "feed_tokens",
    "web_sessions",
}


@dataclass
class Db:
    backend: str
    engine: Engine
    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)

    @property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    def count(self, model: type[Any]) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


def postgres_admin() -> Engine:
    """A connection to the PostgreSQL server, or a test failure that says what to do."""
    if SKIP_POSTGRES:
        pytest.skip("MOEDEPLAN_SKIP_POSTGRES=1: PostgreSQL storage tests not run")
    engine = make_engine(POSTGRES_URL, poolclass=NullPool, connect_args={"connect_timeout": 5})
    problem = None
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        problem = str(exc.orig).strip()
    if problem is not None:
        pytest.fail(
            f"PostgreSQL is not reachable at {mask_database_url(POSTGRES_URL)}: {problem}\n"
            "The storage tests run against both SQLite and PostgreSQL. Start the server (.ci/run does:\n"
            "  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -1) main start)\n"
            "or set MOEDEPLAN_TEST_POSTGRES_URL, or MOEDEPLAN_SKIP_POSTGRES=1 to test SQLite only.",
            pytrace=False,
        )
    return engine


@dataclass
class PgSchemas:
    """Creates throw-away schemas on the test server and drops them all at the end."""

    admin: Engine
    created: list[str] = field(default_factory=list)

    def new(self) -> Db:
        schema = f"moedeplan_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with self.admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.created.append(schema)
        connect_args = {"options": f"-csearch_path={schema}"}
        # The URL carries the search path too, for code that connects by URL (the API's settings).
        url = f"{POSTGRES_URL}?options={quote(connect_args['options'])}"
        return Db("postgresql", make_engine(POSTGRES_URL, connect_args=connect_args), url, connect_args)

    def drop_all(self) -> None:
        with self.admin.begin() as connection:
            for schema in self.created:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.admin.dispose()


def sqlite_db(folder: Path) -> Db:
    url = f"sqlite:///{folder / 'moedeplan.sqlite3'}"
    return Db("sqlite", make_engine(url), url)
