"""Connections, transactions and migrations: the one place that knows which database we are on.

- `make_engine(url)`: an Engine for a SQLite file (the default) or PostgreSQL (psycopg 3).
  SQLite gets foreign keys, WAL and a busy timeout on every connection, because SQLite turns
  foreign keys off by default and WAL lets the API read while a worker writes.
- `make_session_factory(engine)` and `session_scope(factory)`: one transaction per unit of work,
  committed at the end or rolled back on any exception, so a crash never leaves half a change.
- `migrate(url_or_engine)`: Alembic ``upgrade head`` from code (no alembic.ini needed);
  ``job_queue=True`` (PostgreSQL) also installs procrastinate's schema if it is missing
  (`install_job_queue_schema`), into the same ``search_path`` schema as our tables.

The storage errors live here too (the lowest layer), so that `session_scope` can turn
SQLAlchemy's stale-row error into `StaleVersion` whichever code made the change.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, pool, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from api.settings import AppSettings, mask_database_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# How long a SQLite connection waits for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT_S = 15.0


# --------------------------------------------------------------------------- errors


class StorageError(Exception):
    """Base of the errors the storage layer raises on purpose (the API maps them to HTTP)."""


class NotFound(StorageError, LookupError):
    """No such row (-> 404)."""


class Conflict(StorageError):
    """The change clashes with the current state, e.g. the meeting is already locked (-> 409)."""


class StaleVersion(Conflict):
    """The row changed since the caller read it: their ETag (version) is out of date (-> 412).

    Raised instead of overwriting, so two district leaders editing at once never lose an update.
    """

    def __init__(
        self,
        object_type: str,
        object_id: object,
        expected: int | None = None,
        actual: int | None = None,
    ) -> None:
        self.object_type = object_type
        self.object_id = object_id
        self.expected = expected
        self.actual = actual
        what = object_type if object_id is None else f"{object_type} {object_id}"
        detail = f"{what} was changed by someone else"
        if expected is not None:
            detail += f" (you had version {expected}"
            detail += f", it is now {actual})" if actual is not None else ")"
        super().__init__(detail)


class NotNewest(StaleVersion):
    """A change (or publish) based on a plan version that was changed or superseded since (-> 412).

    Raised by the database's own guards (a version is changed once; one live plan per term), so it
    holds under truly concurrent requests. `newest_id`: the version to read instead, when known.
    """

    def __init__(self, term: str, plan_version_id: int, newest_id: int | None) -> None:
        super().__init__("plan version", plan_version_id)
        self.term = term
        self.newest_id = newest_id
        newest = f" (det er nu plan {newest_id})" if newest_id is not None else ""
        self.args = (
            f"plan {plan_version_id} for {term} er ikke længere den aktuelle{newest}; "
            "den er ændret eller afløst siden. Hent den aktuelle og prøv igen",
        )


class ImmutableRow(StorageError):
    """An attempt to change or delete a row that is history (a plan or config version, audit)."""


def stale_version_from(exc: StaleDataError, object_id: object = None) -> StaleVersion:
    """`StaleVersion` for SQLAlchemy's "expected to update 1 row(s); 0 were matched"."""
    match = re.search(r"on table '([^']+)'", str(exc))
    return StaleVersion(match.group(1) if match else "row", object_id)


def commit(session: Session) -> None:
    """Commit now, so a conflict found at commit is a `StaleVersion` (412) before anyone is answered."""
    try:
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise stale_version_from(exc) from exc


# --------------------------------------------------------------------------- engine


def normalize_url(url: str | URL) -> URL:
    """The URL with PostgreSQL pointed at psycopg 3, the driver we install.

    ``postgresql://`` (and Heroku-style ``postgres://``) would otherwise mean psycopg2.
    """
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_sqlite(bind: Engine | URL) -> bool:
    return (bind.url if isinstance(bind, Engine) else bind).get_backend_name() == "sqlite"


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An Engine for `url`; `kwargs` go to `create_engine` (e.g. ``connect_args``, ``echo``).

    Parameters are never written to logs or error messages (``hide_parameters``): they can
    hold confidential text such as an absence reason.
    """
    parsed = normalize_url(url)
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(parsed):
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
        kwargs["connect_args"] = connect_args
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection SQLite settings (SQLite forgets them between connections)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL: readers do not block the writer nor the writer the readers; it is a property
        # of the file, so this is a no-op after the first time (and ignored for :memory:).
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed transaction survives a power cut, not just a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def engine_from_settings(settings: AppSettings | None = None) -> Engine:
    """The Engine the settings ask for (``MOEDEPLAN_DATABASE_URL``, ``MOEDEPLAN_DATABASE_ECHO``)."""
    settings = settings or AppSettings()
    return make_engine(settings.database_url, echo=settings.database_echo)


def make_session_factory(bind: Engine | str | URL) -> sessionmaker[Session]:
    """Sessions that keep their objects readable after commit (the API returns them).

    Given a URL, the Engine is made here (`make_engine`); it is ``factory.kw["bind"]``.
    """
    engine = bind if isinstance(bind, Engine) else make_engine(bind)
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if anything is raised.

    A version conflict found at commit (two sessions changed the same row) comes out as
    `StaleVersion`, like the one the repository functions raise themselves.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise stale_version_from(exc) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --------------------------------------------------------------------------- migrations


def alembic_config(bind: str | URL | Engine) -> Any:
    """An Alembic Config for our migrations, without an ini file.

    The URL (or Engine) travels in ``config.attributes``, which `migrations/env.py` reads, so a
    password never has to pass through ConfigParser (which would choke on ``%``) or a file.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if isinstance(bind, Engine):
        config.attributes["engine"] = bind
    else:
        config.attributes["url"] = normalize_url(bind)
    return config


def migrate(bind: str | URL | Engine, revision: str = "head", *, job_queue: bool = False) -> None:
    """Bring the database at `bind` to `revision` (``head``): creates it from empty, too.

    Given an Engine, its connection settings (e.g. a PostgreSQL ``search_path``) are used.
    `job_queue`: also install procrastinate's tables (PostgreSQL; see `install_job_queue_schema`).
    """
    from alembic import command

    url = bind.url if isinstance(bind, Engine) else normalize_url(bind)
    log.info("migrating %s to %s", mask_database_url(url.render_as_string(hide_password=False)), revision)
    command.upgrade(alembic_config(bind), revision)
    if job_queue:
        install_job_queue_schema(bind)


# A constant key for pg_advisory_xact_lock: two processes starting at once install the schema once.
_JOB_QUEUE_SCHEMA_LOCK = 0x6D6F6564  # "moed"


def install_job_queue_schema(bind: str | URL | Engine) -> bool:
    """Install procrastinate's schema (tables, types, functions) unless it is there already.

    Idempotent and safe with several processes starting at once (an advisory lock serializes
    them). It goes where unqualified names go: the first schema of the connection's
    ``search_path``, like our own tables. Returns True if it installed the schema now.

    Only a missing schema is installed; after upgrading procrastinate across a release that
    changes its schema, apply its migrations (``procrastinate schema --migrate`` lists them).
    """
    from procrastinate.schema import SchemaManager

    engine = bind if isinstance(bind, Engine) else migration_engine(normalize_url(bind))
    if is_sqlite(engine):
        raise ValueError("the procrastinate job queue needs PostgreSQL")
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _JOB_QUEUE_SCHEMA_LOCK})
            if connection.scalar(text("SELECT to_regclass('procrastinate_jobs')")) is not None:
                return False
            log.info("installing procrastinate's job queue schema")
            cursor = connection.connection.cursor()
            try:
                cursor.execute(SchemaManager.get_schema())  # no parameters: '%' stays as it is
            finally:
                cursor.close()
            return True
    finally:
        if engine is not bind:
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migration_engine(url: URL) -> Engine:
    """A throw-away Engine for running migrations (no pool left behind)."""
    return make_engine(url, poolclass=pool.NullPool)
