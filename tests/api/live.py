"""The API as a real HTTP server in this process (uvicorn in a thread), for requests that must
really run at the same time: each request is served on its own thread by FastAPI's threadpool,
with its own database session, as in production.

`at_once(n, call)` fires `n` calls from `n` threads released by one barrier.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import uvicorn
from pydantic import SecretStr

from api.app import create_app
from api.deps import AppState
from api.jobs import Worker
from api.settings import AppSettings
from calendar_sync.settings import CalendarSettings
from tests.builders import TERM, TWO_DISTRICTS, auth, directory

__all__ = ["TERM", "TWO_DISTRICTS", "auth", "at_once", "live_service", "with_emails"]

FEED_SECRET = "test-feed-secret-of-thirty-two-characters"

T = TypeVar("T")


def with_emails(yaml_text: str) -> str:
    """The config with an e-mail address for every staff member (`<id>@ballerup.example`)."""
    return re.sub(
        r"^(\s*- \{id: ([a-z0-9-]+), )(name: [^}]*roles:)",
        lambda m: f"{m.group(1)}email: {m.group(2)}@ballerup.example, {m.group(3)}",
        yaml_text,
        flags=re.MULTILINE,
    )


def at_once(n: int, call: Callable[[int], T]) -> list[T]:
    """Run `call(0)`, …, `call(n-1)` on n threads, released together; results in that order."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = call(i)
        except BaseException as exc:  # handed back to the test, which asserts on it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


@dataclass
class Live:
    url: str
    client: httpx.Client
    state: AppState
    worker: Worker

    def run_jobs(self) -> None:
        while self.worker.run_once():
            pass

    def upload(self, yaml_text: str = TWO_DISTRICTS) -> int:
        body = {"name": "test", "yaml": yaml_text}
        response = self.client.post("/configs", json=body, headers=auth("admin"))
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def solve(self, config_id: int) -> dict[str, Any]:
        """A solved plan (run by this test's worker), as GET /plans/{id} returns it."""
        job = self.client.post("/plans/solve", json={"config_id": config_id}, headers=auth("admin"))
        assert job.status_code == 202, job.text
        self.run_jobs()
        done = self.client.get(f"/jobs/{job.json()['id']}", headers=auth("admin")).json()
        assert done["state"] == "done", done
        return self.plan(int(done["plan_id"]))

    def plan(self, plan_id: int) -> dict[str, Any]:
        response = self.client.get(f"/plans/{plan_id}", headers=auth("admin"))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def newest(self) -> dict[str, Any]:
        versions = self.client.get("/plans", params={"term": TERM}, headers=auth("admin")).json()
        return self.plan(int(versions[0]["id"]))


@contextmanager
def live_service(
    database_url: str, calendar: CalendarSettings, **settings: Any
) -> Iterator[Live]:
    """The app on a free port of 127.0.0.1 until the block ends."""
    app_settings = AppSettings(
        database_url=database_url,
        run_worker=False,
        job_queue="embedded",
        feed_secret=SecretStr(FEED_SECRET),
        public_url="https://moedeplan.test",
        replan_time_limit=5.0,
        solve_time_limit=10.0,
        outbox_sweep_seconds=0,
        **settings,
    )
    state = AppState.open(app_settings, directory())
    state.calendar = calendar
    server = uvicorn.Server(
        uvicorn.Config(create_app(app_settings, state=state), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            yield Live(url, client, state, Worker(state.sessions, app_settings))
    finally:
        server.should_exit = True
        thread.join(30)
        state.sessions.kw["bind"].dispose()
