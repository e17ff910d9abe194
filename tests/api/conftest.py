"""Database fixtures shared by the storage and API tests (see `tests.api.databases`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from api.db import migrate
from tests.api.databases import TABLES, Db, PgSchemas, postgres_admin, sqlite_db


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
