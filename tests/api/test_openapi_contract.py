"""schemathesis against the app's own OpenAPI schema: no 5xx, and answers match the schema.

Hypothesis makes requests for every operation from the schema (random ids, strings, dates,
headers); the app runs on a SQLite file holding a config and a solved plan, so some requests
reach real data. Calls are made as the admin, who may use every route.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from api import storage
from api.app import create_app
from api.auth import Directory, Role, UserEntry, token_hash
from api.deps import AppState
from api.settings import AppSettings
from calendar_sync.settings import CalendarSettings
from scheduler.config import load_config
from scheduler.solve import SolveOptions, solve
from tests.builders import TWO_DISTRICTS, TWO_DISTRICTS_FILE

ADMIN = {"Authorization": "Bearer contract-admin"}


class _SeededApp:
    """The app on a fresh SQLite file with a config and a solved plan, built on first request.

    schemathesis reads the schema when this module is imported (its pytest fixture loader does
    not work with this pytest), so the app is made then, in a folder removed at exit.
    """

    def __init__(self) -> None:
        self._app: Any = None

    def _build(self) -> Any:
        folder = Path(tempfile.mkdtemp(prefix="moedeplan-contract-"))
        atexit.register(shutil.rmtree, folder, True)
        app_settings = AppSettings(
            database_url=f"sqlite:///{folder / 'db.sqlite3'}",
            run_worker=False,
            feed_secret=SecretStr("contract-secret-of-at-least-32-characters"),
            secret_file=folder / "secret",
            replan_time_limit=2.0,
        )
        directory = Directory(
            [UserEntry(name="admin", role=Role.admin, token_sha256=token_hash("contract-admin"))]
        )
        state = AppState.open(app_settings, directory)
        state.calendar = CalendarSettings(ics_directory=folder / "ics", ledger_path=folder / "ledger.sqlite3")
        plan = solve(load_config(TWO_DISTRICTS_FILE), None, SolveOptions(time_limit=10))
        with state.sessions() as db, db.begin():
            config_version = storage.save_config(db, "test", TWO_DISTRICTS, "admin", "")
            storage.save_plan_version(db, config_version, plan, None, "admin", "")
        return create_app(app_settings, state=state)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            self._app = self._build()
        await self._app(scope, receive, send)


APP = _SeededApp()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# Requests go through httpx (FastAPI's TestClient): schemathesis' own `requests` transport trips
# over urllib3-future, which the caldav library brings in.
CLIENT = TestClient(APP)


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI does not flake; vary with --hypothesis-seed
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_errors_and_answers_match_the_schema(case: Any) -> None:
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=ADMIN)
    body = {"json": kwargs["json"]} if "json" in kwargs else {"content": kwargs.get("data")}
    # Header values drawn from the schema's texts may hold 'å': httpx sends only ASCII str values,
    # so such a value goes as its UTF-8 bytes, as a client that sends it at all would.
    headers = {k: v if v.isascii() else v.encode("utf-8") for k, v in (kwargs.get("headers") or {}).items()}
    response = CLIENT.request(
        kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=headers, **body
    )
    case.validate_response(
        response, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
    )
