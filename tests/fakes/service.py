"""A running API with a real users file: for the tests of roles, feed links, sessions and users.

The app is the real one on a real database (SQLite or PostgreSQL, from `tests.api.databases`),
reading a users file on disk the way `moedeplan serve` does (so tests can edit the file under
it), with the two-district config uploaded and a plan solved by the real solver (once per test
session, then stored into each database) and published through the ICS back-end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api import storage
from api.app import create_app
from api.deps import AppState
from api.settings import AppSettings
from calendar_sync.settings import CalendarSettings
from scheduler.config import load_config
from scheduler.model import Plan
from scheduler.solve import SolveOptions, solve
from tests.builders import TERM, TWO_DISTRICTS, TWO_DISTRICTS_FILE, USERS, auth, user_entry

FEED_SECRET = "feed-secret-for-tests-0123456789abcdef"
PUBLIC_URL = "https://moedeplan.test"

def users_yaml(keys: list[str] | None = None) -> str:
    """The users file text for these users (all by default), as `moedeplan user-add` writes it."""
    chosen = list(USERS) if keys is None else keys
    entries = [user_entry(key).model_dump(mode="json") for key in chosen]
    return yaml.safe_dump({"users": entries}, allow_unicode=True)


@lru_cache(maxsize=1)
def solved_plan() -> Plan:
    """The two-district plan, solved once per test session by the real solver."""
    return solve(load_config(TWO_DISTRICTS_FILE), TERM, SolveOptions(time_limit=10, workers=2, seed=0))


@dataclass
class ServiceSite:
    client: TestClient
    state: AppState
    users_file: Path
    config_id: int
    plan_id: int

    def get(self, path: str, key: str | None = None, **kwargs: Any) -> Any:
        return self.client.get(path, headers=auth(key) if key else {}, **kwargs)

    def link(self, kind: str, reader_id: str, key: str) -> Any:
        return self.get(f"/calendars/{kind}/{reader_id}/link", key)

    def feed_path(self, kind: str, reader_id: str, key: str) -> str:
        """The path (with its token) of the feed link `key` gets; asserts they may have it."""
        response = self.link(kind, reader_id, key)
        assert response.status_code == 200, response.text
        return str(response.json()["url"]).removeprefix(PUBLIC_URL)

    def write_users(self, keys: list[str] | None = None) -> None:
        self.users_file.write_text(users_yaml(keys), encoding="utf-8")


@contextmanager
def open_service(
    database_url: str, folder: Path, *, publish: bool = True, public_url: str = PUBLIC_URL
) -> Iterator[ServiceSite]:
    """The app on `database_url` with the users file `folder/users.yaml`, a config and a plan."""
    users_file = folder / "users.yaml"
    users_file.write_text(users_yaml(), encoding="utf-8")
    settings = AppSettings(
        database_url=database_url,
        run_worker=False,
        job_queue="embedded",
        users_file=users_file,
        feed_secret=SecretStr(FEED_SECRET),
        secret_file=folder / "secret",
        public_url=public_url,
        replan_time_limit=3.0,
        solve_time_limit=5.0,
    )
    app = create_app(settings)
    state: AppState = app.state.moedeplan
    state.calendar = CalendarSettings(
        calendar_backend="ics", ics_directory=folder / "ics", ledger_path=folder / "ledger.sqlite3"
    )
    with state.sessions() as db, db.begin():
        config = storage.save_config(db, "test", TWO_DISTRICTS, "Kommunens IT", "test")
        row = storage.save_plan_version(db, config, solved_plan(), None, "Kommunens IT", "test")
        config_id, plan_id = config.id, row.id
    try:
        with TestClient(app) as client:
            site = ServiceSite(client, state, users_file, config_id, plan_id)
            if publish:
                published = client.post(f"/plans/{plan_id}/publish", json={}, headers=auth("admin"))
                assert published.status_code == 200, published.text
            yield site
    finally:
        state.sessions.kw["bind"].dispose()
