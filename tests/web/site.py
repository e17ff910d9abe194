"""One test site for the web pages: an app on a fresh SQLite file, users of every role, a config.

Shared by the TestClient tests and the browser tests, so both see the same people and tokens.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from api import storage
from api.auth import Directory, Role, UserEntry, token_hash
from api.db import session_scope
from api.deps import AppState
from api.settings import AppSettings
from calendar_sync.settings import CalendarSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TWO_DISTRICTS = (FIXTURES / "two_districts.yaml").read_text(encoding="utf-8")

USERS = {
    "admin": ("Kommunens IT", Role.admin, None, []),
    "baltorp": ("Leder Baltorp", Role.distriktsleder, None, ["baltorp"]),
    "skovlunde": ("Leder Skovlunde", Role.distriktsleder, None, ["skovlunde"]),
    "psyk-a": ("Psykolog A", Role.staff, "psykolog-a", []),
    "hr": ("HR-system", Role.service, None, []),
}


def token(who: str) -> str:
    return f"web-token-{who}"


def directory() -> Directory:
    return Directory(
        [
            UserEntry(name=name, role=role, token_sha256=token_hash(token(key)), person=p, districts=d)
            for key, (name, role, p, d) in USERS.items()
        ]
    )


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
