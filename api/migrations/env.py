"""Alembic environment: runs our migrations on the database `api.db.migrate` hands over.

Where the database is comes from ``config.attributes`` (``engine`` or ``url``, set by
`api.db.alembic_config`), else from ``MOEDEPLAN_DATABASE_URL`` (`api.settings`) for the
developer's ``alembic -c api/alembic.ini …``; never from a hard-coded URL.

Both databases get all pending migrations in ONE transaction, so a crash mid-way leaves the
schema as it was:
- PostgreSQL has transactional DDL; an advisory lock makes two processes starting at once
  migrate one after the other instead of both.
- SQLite's Python driver would commit each DDL statement on its own, so here the transaction is
  opened by hand; foreign keys are off meanwhile (SQLite's advice for table rebuilds, which
  batch mode does) and checked before the commit. Batch mode (``render_as_batch``) because
  SQLite's ALTER TABLE can do little.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from api.db import migration_engine, normalize_url
from api.orm import Base

# Any constant: "moedeplan migrations" for pg_advisory_xact_lock.
_PG_MIGRATION_LOCK = 0x6D6F6564


def _engine() -> tuple[Engine, bool]:
    """The Engine to migrate, and whether we created it (and so must dispose of it)."""
    attributes = context.config.attributes
    if attributes.get("engine") is not None:
        return attributes["engine"], False
    url = attributes.get("url")
    if url is None:
        from api.settings import AppSettings

        url = AppSettings().database_url
    return migration_engine(normalize_url(url)), True


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def _run_sqlite(engine: Engine) -> None:
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        saved_isolation = driver.isolation_level
        driver.isolation_level = None  # we say BEGIN and COMMIT ourselves (restored below)
        try:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                _configure(connection)  # already in a transaction: Alembic leaves it to us
                context.run_migrations()
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left {len(broken)} broken foreign keys: {broken[:5]}")
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
            driver.isolation_level = saved_isolation


def _run_postgresql(engine: Engine) -> None:
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            context.run_migrations()


def run_migrations_online() -> None:
    engine, created = _engine()
    try:
        if engine.dialect.name == "sqlite":
            _run_sqlite(engine)
        else:
            _run_postgresql(engine)
    finally:
        if created:
            engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
