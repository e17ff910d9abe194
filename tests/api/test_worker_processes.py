"""Real `moedeplan worker` processes on PostgreSQL with the procrastinate job queue.

What a deployment does: the job row is written and handed to procrastinate (`api.jobs.dispatch`,
as the routes do), and separate worker processes, started as an operator would, run it. Then a
worker is killed with SIGKILL in the middle of a solve, and another one must finish the job.

PostgreSQL only; like the storage tests these FAIL when the server is unreachable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import func, select

from api import jobs, storage
from api.db import migrate, session_scope
from api.job_types import SolveParams
from api.orm import AuditEntry, Job, PlanVersion
from api.settings import AppSettings
from tests.api.databases import Db, PgSchemas
from tests.builders import TWO_DISTRICTS_FILE

pytestmark = [pytest.mark.workers, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
# Big enough that a solve takes seconds (stopped by its time limit): time to kill a worker.
BALLERUP = ROOT / "examples" / "ballerup.yaml"
STALE_SECONDS = 3


@pytest.fixture
def pg(pg_schemas: PgSchemas) -> Iterator[Db]:
    """A fresh schema with our tables and procrastinate's."""
    db = pg_schemas.new()
    migrate(db.engine, job_queue=True)
    try:
        yield db
    finally:
        jobs.close_dispatchers()
        db.engine.dispose()


class Workers:
    """`moedeplan worker` subprocesses; every one is killed at the end, whatever happened."""

    def __init__(self, db: Db, logs: Path):
        self.db = db
        self.logs = logs
        self.procs: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOEDEPLAN_")}
        env.update(
            MOEDEPLAN_DATABASE_URL=self.db.url,
            MOEDEPLAN_JOB_QUEUE="procrastinate",
            MOEDEPLAN_JOB_STALE_SECONDS=str(STALE_SECONDS),
            MOEDEPLAN_JOB_SWEEP_SECONDS="1",
            PYTHONPATH=str(ROOT),
        )
        return env

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"],
            cwd=ROOT,
            env={**self.env(), **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append((proc, log))
        return proc

    def output(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.logs.glob("worker-*.log"))
        )

    def kill_all(self) -> None:
        for proc, log in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
            log.close()


@pytest.fixture
def workers(pg: Db, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(pg, tmp_path)
    try:
        yield pool
    finally:
        pool.kill_all()


def settings_for(db: Db) -> AppSettings:
    return AppSettings(database_url=db.url, job_queue="procrastinate", job_stale_seconds=STALE_SECONDS)


def enqueue_solve(db: Db, config: Path, time_limit: float | None = None, workers: int | None = None) -> int:
    """What `POST /plans/solve` does: commit the job row, then hand it to the queue."""
    with session_scope(db.sessions) as session:
        version = storage.save_config(session, config.stem, config.read_text(encoding="utf-8"), "test", "")
        params = SolveParams(config_version_id=version.id, time_limit=time_limit, workers=workers)
        job = jobs.enqueue(session, params, "test")
    jobs.dispatch(settings_for(db), job.id)
    return job.id


def wait_until(what: str, check: Callable[[], bool], timeout: float, workers: Workers) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\n{workers.output()}")
        time.sleep(0.05)


def job(db: Db, job_id: int) -> Job:
    with session_scope(db.sessions) as session:
        return storage.get_job(session, job_id)


def finished(db: Db, job_id: int, workers: Workers, timeout: float = 30) -> Job:
    wait_until(
        f"job {job_id} to end", lambda: str(job(db, job_id).state) in ("done", "failed"), timeout, workers
    )
    return job(db, job_id)


def test_two_worker_processes_run_queued_solves(pg: Db, workers: Workers) -> None:
    first, second = workers.start(), workers.start()
    job_ids = [enqueue_solve(pg, TWO_DISTRICTS_FILE), enqueue_solve(pg, TWO_DISTRICTS_FILE)]

    for job_id in job_ids:
        result = finished(pg, job_id, workers)
        assert str(result.state) == "done", (result.error, workers.output())
        assert result.attempts == 1
        assert result.result_ref is not None and result.result_ref.startswith("plan_version:")
        assert jobs.job_result(result).plan_id is not None
    assert pg.count(PlanVersion) == 2
    assert first.poll() is None and second.poll() is None, workers.output()


def test_a_worker_killed_mid_solve_is_replaced_and_the_job_done_once(pg: Db, workers: Workers) -> None:
    doomed = workers.start()
    job_id = enqueue_solve(pg, BALLERUP, time_limit=4, workers=2)
    wait_until(
        "the first worker to claim the job", lambda: str(job(pg, job_id).state) == "running", 20, workers
    )
    time.sleep(0.5)  # into the solve
    assert str(job(pg, job_id).state) == "running", "the solve ended before the worker could be killed"
    solving = descendants(doomed.pid)  # the forkserver and the solve's child process (api.isolation)
    assert solving, "the solve runs in a child process"
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    wait_until("the killed worker's solve to end too", lambda: not any(map(alive, solving)), 20, workers)

    workers.start()
    result = finished(pg, job_id, workers, timeout=40)

    assert str(result.state) == "done", (result.error, workers.output())
    assert result.attempts == 2
    assert pg.count(PlanVersion) == 1
    with session_scope(pg.sessions) as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_type == "job").order_by(AuditEntry.id)
            )
        )
        assert actions.count("job.claim") == 2
        assert "job.requeue" in actions
        assert actions[-1] == "job.finish"
        assert session.scalar(select(func.count()).select_from(PlanVersion)) == 1


def test_a_solve_over_its_memory_limit_fails_its_job_and_the_worker_goes_on(pg: Db, workers: Workers) -> None:
    """256 MB is less than a solve's child holds once OR-Tools is loaded: every solve fails at once."""
    worker = workers.start(MOEDEPLAN_SOLVE_MEMORY_MB="256")
    for job_id in (enqueue_solve(pg, TWO_DISTRICTS_FILE), enqueue_solve(pg, TWO_DISTRICTS_FILE)):
        result = finished(pg, job_id, workers)
        assert str(result.state) == "failed", workers.output()
        assert result.error is not None and "mere hukommelse end tilladt (256 MB" in result.error
        assert result.attempts == 1  # failed for good, not retried by another worker
    assert worker.poll() is None, workers.output()
    assert pg.count(PlanVersion) == 0


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_the_job_queue_follows_the_database() -> None:
    assert AppSettings(database_url="sqlite:///x.sqlite3").job_queue == "embedded"
    assert AppSettings(database_url="postgresql://h/db").job_queue == "procrastinate"
    assert AppSettings(database_url="postgresql://h/db", job_queue="embedded").job_queue == "embedded"
    with pytest.raises(ValueError, match="needs a PostgreSQL"):
        AppSettings(database_url="sqlite:///x.sqlite3", job_queue="procrastinate")
    # The embedded queue needs no hand-over: its workers poll the table.
    jobs.dispatch(AppSettings(database_url="sqlite:///x.sqlite3"), 1)
