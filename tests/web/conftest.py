"""Fixtures for the web pages: a TestClient site (fast) and a real server with Chromium (end-to-end).

Browser tests drive Debian's Chromium (`/usr/bin/chromium`, packages `chromium` and
`chromium-driver`) through Playwright for Python; no browser is ever downloaded. Without it they
FAIL saying how to install it, unless MOEDEPLAN_SKIP_BROWSER=1 skips them (loudly).
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import AppState
from api.jobs import Worker
from tests.web.site import BALLERUP_FILE, open_site, store_plan, token

CHROMIUM = Path(os.environ.get("MOEDEPLAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
INSTALL_HINT = (
    "Chromium is needed for the browser tests of the web pages and was not found at "
    f"{CHROMIUM}. Install Debian's: `apt-get install -y chromium chromium-driver` "
    "(.ci/run does this), or set MOEDEPLAN_SKIP_BROWSER=1 to skip these tests."
)


# --------------------------------------------------------------------------- TestClient site


@dataclass
class Site:
    client: TestClient
    state: AppState
    worker: Worker

    def csrf(self, html: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', html)
        assert found, "no CSRF field on the page"
        return found.group(1)

    def sign_in(self, who: str) -> str:
        """Sign in through the form; returns the session's CSRF token."""
        self.client.cookies.clear()
        form = self.client.get("/login")
        response = self.client.post(
            "/login", data={"token": token(who), "csrf": self.csrf(form.text), "next": "/absence"}
        )
        assert response.status_code == 200, response.text
        return self.csrf(response.text)

    def run_jobs(self) -> None:
        while self.worker.run_once():
            pass

    def solve(self, who: str = "baltorp") -> int:
        """Start a solve from the plan page, run it, return the plan version id."""
        csrf = self.sign_in(who)
        started = self.client.post("/solve", data={"csrf": csrf, "config_id": "1", "time_limit": "3"})
        assert started.status_code == 200 and "/solve/jobs/" in str(started.url), started.text
        self.run_jobs()
        done = self.client.get(str(started.url).split("testserver")[1])
        plan = re.search(r'href="/overview\?plan=(\d+)"', done.text)
        assert plan, done.text
        return int(plan.group(1))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    state = open_site(tmp_path, run_worker=False)
    with TestClient(create_app(state.settings, state=state), follow_redirects=True) as client:
        yield Site(client, state, Worker(state.sessions, state.settings))
    state.sessions.kw["bind"].dispose()


# --------------------------------------------------------------------------- real server + Chromium


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    state: AppState


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """uvicorn on a free port with its in-process worker, on a fresh SQLite file."""
    port = _free_port()
    folder = tmp_path_factory.mktemp("web-e2e")
    state = open_site(folder, run_worker=True, public_url=f"http://127.0.0.1:{port}")
    yield from _serve(state, port)


@pytest.fixture(scope="module")
def ballerup_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The bundled example (examples/ballerup.yaml) with a plan of foraar-2027, solved once here
    (one worker, deterministic) and stored as a draft: what the overview's size is judged on."""
    from scheduler.config import load_config
    from scheduler.solve import SolveOptions, solve

    options = SolveOptions(time_limit=2, workers=1, deterministic=True)  # work units: load-proof; the
    # warm start alone places every meeting, and the overview is judged on its size, not its quality
    plan = solve(load_config(BALLERUP_FILE), "foraar-2027", options)
    assert plan.meetings, plan.explanation
    port = _free_port()
    folder = tmp_path_factory.mktemp("web-ballerup")
    state = open_site(
        folder,
        run_worker=False,
        public_url=f"http://127.0.0.1:{port}",
        config=("ballerup", BALLERUP_FILE.read_text(encoding="utf-8")),
    )
    store_plan(state, plan)
    yield from _serve(state, port)


def _serve(state: AppState, port: int) -> Iterator[Server]:
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(state.settings, state=state), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}", state)
    finally:
        server.should_exit = True
        thread.join(30)
        state.sessions.kw["bind"].dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if os.environ.get("MOEDEPLAN_SKIP_BROWSER") == "1":
        pytest.skip(
            "!!! MOEDEPLAN_SKIP_BROWSER=1: the web pages were NOT tested in a browser. "
            "Unset it and install Chromium (apt-get install -y chromium chromium-driver) to run them."
        )
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(INSTALL_HINT, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def shots(artifacts: Path) -> Path:
    """Where the browser tests' screenshots go (test-artifacts/web/)."""
    folder = artifacts / "web"
    folder.mkdir(exist_ok=True)
    return folder


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say it at the end too: a run that skipped the browser did not test the pages in one."""
    if os.environ.get("MOEDEPLAN_SKIP_BROWSER") == "1":
        terminalreporter.write_line(
            "!!! MOEDEPLAN_SKIP_BROWSER=1: the web pages' browser tests were SKIPPED", red=True, bold=True
        )
