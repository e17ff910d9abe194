"""One test site for the web pages: an app on a fresh SQLite file, users of every role, a config.

Shared by the TestClient tests and the browser tests, so both see the same people and tokens.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from api import storage
from api.db import session_scope
from api.deps import AppState
from api.settings import AppSettings
from calendar_sync.settings import CalendarSettings
from scheduler.model import Plan
from tests.builders import TWO_DISTRICTS, USERS, directory, token

__all__ = [
    "BALLERUP_FILE",
    "LAPTOP",
    "TWO_DISTRICTS",
    "USERS",
    "directory",
    "open_site",
    "sign_in",
    "store_plan",
    "token",
]

LAPTOP = {"width": 1280, "height": 800}
"""The browser tests' screen."""


def sign_in(page: Any, who: str, lang: str | None = None) -> None:
    """Sign a browser page in with the user's token, through the login page as a person does."""
    page.goto("/login" if lang is None else f"/login?lang={lang}")
    page.get_by_label("Dit token").fill(token(who))
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(re.compile(r"/(overview|person|absence)"))


BALLERUP_FILE = Path(__file__).resolve().parents[2] / "examples" / "ballerup.yaml"
"""The bundled example (five districts, Fronten every day): the overview's size is judged on it."""


def open_site(
    folder: Path,
    *,
    run_worker: bool,
    public_url: str = "http://127.0.0.1:8000",
    config: tuple[str, str] = ("testkommune", TWO_DISTRICTS),
) -> AppState:
    """A migrated database with a config uploaded (the two-district one unless `config` gives
    (name, YAML)), and the ICS back-end in `folder`."""
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
        storage.save_config(db, config[0], config[1], "Kommunens IT", "test")
    return state


def store_plan(state: AppState, plan: Plan) -> int:
    """A plan made outside the site (solved once by a test), stored as a draft of the newest config."""
    with session_scope(state.sessions) as db:
        config = storage.latest_config(db)
        assert config is not None
        return storage.save_plan_version(db, config, plan, None, "Kommunens IT", "test").id
