"""Feeds under load while a solve runs: `python -m bench.load` (part of `make bench`).

A real server (uvicorn on 127.0.0.1, a free port) with its in-process worker, on a fresh SQLite
file: the Ballerup example is solved, published, and then many concurrent clients read ICS
feeds, first with the server idle and then while a second solve runs in the worker. The figures
are latency percentiles of both phases and their ratio; compare the ratio, machines are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr

from api.app import create_app
from api.auth import Directory, Role, UserEntry, token_hash
from api.deps import AppState
from api.settings import AppSettings
from calendar_sync.settings import CalendarSettings

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ballerup.yaml"
ADMIN = {"Authorization": "Bearer load-admin"}


@dataclass
class Phase:
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    seconds: float


@dataclass
class LoadResult:
    idle: Phase
    solving: Phase
    solve_still_running: bool
    feeds: int

    @property
    def p95_ratio(self) -> float:
        return self.solving.p95_ms / max(self.idle.p95_ms, 0.001)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """The app on a real socket, with its worker thread; yields the base URL."""
    port = _free_port()
    settings = AppSettings(
        database_url=f"sqlite:///{folder / 'load.sqlite3'}",
        run_worker=True,
        worker_poll_seconds=0.2,
        feed_secret=SecretStr("load-secret-of-at-least-32-characters"),
        secret_file=folder / "secret",
        public_url=f"http://127.0.0.1:{port}",
    )
    directory = Directory([UserEntry(name="admin", role=Role.admin, token_sha256=token_hash("load-admin"))])
    state = AppState.open(settings, directory)
    state.calendar = CalendarSettings(ics_directory=folder / "ics", ledger_path=folder / "ledger.sqlite3")
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, state=state), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def _wait_job(client: httpx.Client, job_id: int, state: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/jobs/{job_id}", headers=ADMIN).json()
        if job["state"] == state or job["state"] == "failed" or time.monotonic() > deadline:
            return dict(job)
        time.sleep(0.1)


async def _read_feeds(base: str, urls: list[str], total: int, concurrency: int) -> Phase:
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(urls[i % len(urls)])

    async def reader(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while not queue.empty():
            url = queue.get_nowait()
            started = time.perf_counter()
            try:
                response = await client.get(url)
                ok = response.status_code == 200 and b"BEGIN:VCALENDAR" in response.content
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            failures += not ok

    started = time.perf_counter()
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        await asyncio.gather(*(reader(client) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return Phase(
        requests=total,
        failures=failures,
        p50_ms=round(statistics.median(ordered) * 1000, 1),
        p95_ms=round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        max_ms=round(ordered[-1] * 1000, 1),
        seconds=round(elapsed, 2),
    )


def run_load(
    requests: int = 400, concurrency: int = 20, solve_seconds: float = 15.0, folder: Path | None = None
) -> LoadResult:
    """Seed, then read feeds idle and during a solve of `solve_seconds` (bounded: one solve)."""
    with tempfile.TemporaryDirectory(prefix="moedeplan-load-") as tmp, serve(folder or Path(tmp)) as base:
        client = httpx.Client(base_url=base, timeout=60)
        upload = client.post(
            "/configs", json={"name": "ballerup", "yaml": EXAMPLE.read_text(encoding="utf-8")}, headers=ADMIN
        )
        upload.raise_for_status()
        config_id = upload.json()["id"]
        first = client.post("/plans/solve", json={"config_id": config_id, "time_limit": 5}, headers=ADMIN)
        job = _wait_job(client, first.json()["id"], "done")
        plan_id = int(job["result"].split(":")[1])
        client.post(f"/plans/{plan_id}/publish", json={}, headers=ADMIN).raise_for_status()
        plan = client.get(f"/plans/{plan_id}", headers=ADMIN).json()
        people = sorted({a["person"] for m in plan["meetings"] for a in m["attendees"]})
        urls = [
            client.get(f"/calendars/person/{p}/link", headers=ADMIN).json()["url"].removeprefix(base)
            for p in people
        ]
        httpx.get(base + urls[0]).raise_for_status()  # renders the feeds once; then steady state
        idle = asyncio.run(_read_feeds(base, urls, requests, concurrency))
        second = client.post(
            "/plans/solve", json={"config_id": config_id, "time_limit": solve_seconds}, headers=ADMIN
        )
        _wait_job(client, second.json()["id"], "running")
        solving = asyncio.run(_read_feeds(base, urls, requests, concurrency))
        still_running = client.get(f"/jobs/{second.json()['id']}", headers=ADMIN).json()["state"] == "running"
        _wait_job(client, second.json()["id"], "done", timeout=solve_seconds + 120)
        client.close()
        return LoadResult(idle, solving, still_running, len(urls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--solve-seconds", type=float, default=15.0)
    args = parser.parse_args()
    result = run_load(args.requests, args.concurrency, args.solve_seconds)
    print(f"Feeds under load ({result.feeds} feeds, {args.concurrency} concurrent clients, loopback)")
    print(f"{'phase':<14}{'requests':>9}{'failed':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'s':>7}")
    for name, phase in (("idle", result.idle), ("during solve", result.solving)):
        print(
            f"{name:<14}{phase.requests:>9}{phase.failures:>8}{phase.p50_ms:>9}{phase.p95_ms:>9}"
            f"{phase.max_ms:>9}{phase.seconds:>7}"
        )
    print(
        f"p95 during solve / idle: {result.p95_ratio:.2f} "
        f"(solve still running at the end: {result.solve_still_running})"
    )


if __name__ == "__main__":
    main()
