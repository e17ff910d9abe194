"""One test site for the web pages: an app on a fresh SQLite file, users of every role, a config.

Shared by the TestClient tests and the browser tests, so both see the same people and tokens.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from api import storage
from api.db import session_scope
from api.deps import AppState
from api.settings import AppSettings
from calendar_sync.settings import CalendarSettings
from tests.builders import TWO_DISTRICTS, USERS, directory, token

__all__ = ["TWO_DISTRICTS", "USERS", "directory", "open_site", "token"]

def open_site(folder: Path, *, run_worker: bool, public_url: str = "http://127.0.0.1:8000") -> AppState:
    """A migrated database with the two-district config uploaded, and the ICS back-end in `folder`."""
    settings = AppSettings(
        database_url=f"sqlite:///{folder / 'web.sqlite3'}",
        run_worker=run_worker,
        job_queue="embedded",
        worker_poll_seconds=0.2,
        feed_secret=SecretStr("web-feed-secret-of-at-least-32-characters"),
        secret_file=folder / "secret",
        public_url=public_url,
        replan_time_limit=3.0,
        solve_time_limit=4.0,
    )
    state = AppState.open(settings, directory())
    state.calendar = CalendarSettings(
        calendar_backend="ics", ics_directory=folder / "ics", ledger_path=folder / "ledger.sqlite3"
    )
    with session_scope(state.sessions) as db:
        storage.save_config(db, "testkommune", TWO_DISTRICTS, "Kommunens IT", "test")
    return state
