"""Database fixtures shared by the storage and API tests (see `tests.api.databases`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from api.db import migrate
from calendar_sync.settings import CalendarSettings
from tests.api.databases import TABLES, Db, PgSchemas, postgres_admin, sqlite_db
from tests.api.live import Live, live_service


@pytest.fixture(scope="session")
def pg_schemas() -> Iterator[PgSchemas]:
    schemas = PgSchemas(postgres_admin())
    try:
        yield schemas
    finally:
        schemas.drop_all()


@pytest.fixture(scope="session")
def pg_db(pg_schemas: PgSchemas) -> Iterator[Db]:
    """The session's migrated PostgreSQL schema."""
    db = pg_schemas.new()
    migrate(db.engine)
    yield db
    db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        database = sqlite_db(tmp_path)
        migrate(database.engine)
        yield database
        database.engine.dispose()
        return
    database = request.getfixturevalue("pg_db")
    try:
        yield database
    finally:
        with database.engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))  # a leaked session fails, not hangs
            connection.execute(text(f"TRUNCATE {', '.join(sorted(TABLES))} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """A database of each kind with nothing in it, not even Alembic's table."""
    if request.param == "sqlite":
        database = sqlite_db(tmp_path)
    else:
        database = request.getfixturevalue("pg_schemas").new()
    yield database
    database.engine.dispose()


@pytest.fixture
def live(db: Db, tmp_path: Path) -> Iterator[Live]:
    """The API on a real server over the `db` fixture's database, publishing to ICS files in tmp_path."""
    calendar = CalendarSettings(
        calendar_backend="ics", ics_directory=tmp_path / "ics", ledger_path=tmp_path / "ledger.sqlite3"
    )
    with live_service(db.url, calendar) as service:
        yield service
