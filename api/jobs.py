"""Solves as jobs: queued by the API, run by a worker, never inside a request.

A job row (api.orm.Job) is the contract: the API queues it and reads its progress; a worker
claims it, heartbeats while the solver runs, and finishes it with a reference to the plan
version it stored. A worker that dies stops heartbeating; any other worker puts its job back in
the queue (`requeue_stale_jobs`), so a crashed solve is retried, not lost.

`Worker` runs in the API process for the embedded SQLite default (`run_worker`), and as
`moedeplan worker` in as many separate processes as wanted against a shared PostgreSQL, where
claims use `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api import storage
from api.db import session_scope
from api.orm import Absence, ConfigVersion, Job, PlanVersion
from api.settings import AppSettings
from scheduler.config import parse_config
from scheduler.model import MunicipalityConfig, Plan
from scheduler.solve import Progress, SolveOptions, solve

log = logging.getLogger("moedeplan.jobs")

SOLVE = "solve"
WHAT_IF = "what_if"
KINDS = (SOLVE, WHAT_IF)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class _Heartbeat:
    """Keeps the job alive every few seconds while the solver works, with its latest progress."""

    def __init__(self, sessions: sessionmaker[Session], job_id: int, worker: str, every: float):
        self._sessions, self._job_id, self._worker, self._every = sessions, job_id, worker, every
        self._progress: dict[str, Any] = {"phase": "starter"}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)
        self.lost = False

    def __enter__(self) -> _Heartbeat:
        self._beat()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def report(self, progress: Progress) -> None:
        self._progress = {
            "phase": "løser",
            "solutions": progress.solutions,
            "objective": progress.objective,
            "best_bound": progress.best_bound,
            "elapsed_s": round(progress.elapsed, 2),
        }

    def _beat(self) -> None:
        try:
            with session_scope(self._sessions) as db:
                storage.heartbeat(db, self._job_id, self._worker, self._progress)
        except storage.JobLost:
            self.lost = True
        except Exception:  # a busy database must not kill the solve; the next beat may pass
            log.warning("heartbeat for job %s failed", self._job_id, exc_info=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._beat()


@dataclass
class _Inputs:
    """Everything a job reads from the database, read in one short transaction before solving."""

    kind: str
    config_version_id: int
    config: MunicipalityConfig
    term: str | None
    options: SolveOptions
    parent_id: int | None
    parent_plan: Plan | None
    locked: set[str]


def effective_config(db: Session, config_version: ConfigVersion) -> MunicipalityConfig:
    """The config as uploaded plus every absence registered through the API since.

    Absences live in the database, not in the uploaded YAML, so that a re-solve or a move by hand
    never puts a meeting back where an accepted absence took it from.
    """
    from scheduler.replan import Unavailability, config_with_unavailability

    config = parse_config(config_version.yaml, source=config_version.name)
    known = {p.id for p in config.staff}
    for absence in db.scalars(select(Absence).order_by(Absence.id)):
        if absence.person_id in known:
            config = config_with_unavailability(
                config, Unavailability(person=absence.person_id, start=absence.start, end=absence.end)
            )
    return config


def _read_inputs(db: Session, job: Job, settings: AppSettings) -> _Inputs:
    params = json.loads(job.params)
    config_version = storage.get_config(db, int(params["config_version_id"]))
    config = effective_config(db, config_version)
    options = SolveOptions(
        time_limit=params.get("time_limit") or settings.solve_time_limit,
        workers=params.get("workers") or settings.solve_workers,
    )
    if job.kind == WHAT_IF:
        parent_row: PlanVersion | None
        parent_plan: Plan | None
        parent_row, parent_plan = storage.get_plan(db, int(params["base_plan_version_id"]))
        term: str | None = parent_plan.term if parent_plan is not None else None
    else:
        term = params.get("term") or config.terms[0].id
        parent_row = storage.latest_plan_version(db, term)
        parent_plan = storage.get_plan(db, parent_row.id)[1] if parent_row is not None else None
    locked = storage.locked_uids(db, term) if term else set()
    return _Inputs(
        job.kind,
        config_version.id,
        config,
        term,
        options,
        parent_row.id if parent_row is not None else None,
        parent_plan,
        locked,
    )


def _compute(inputs: _Inputs, settings: AppSettings, beat: _Heartbeat) -> Plan:
    """The plan: a fresh solve, or — with a base plan and locks, or for a what-if — the least change."""
    from scheduler.replan import NoProposal, what_if

    config, base = inputs.config, inputs.parent_plan
    if base is not None and (inputs.kind == WHAT_IF or inputs.locked):
        # Locked meetings stay exactly where they are; the rest changes as little as it can.
        limit = inputs.options.time_limit or (
            settings.replan_time_limit if inputs.kind == WHAT_IF else config.planning.time_limit_seconds
        )
        try:
            plan = what_if(
                config,
                base,
                config,
                locked=inputs.locked,
                now=datetime.now(UTC),
                time_limit=limit,
                workers=inputs.options.workers or 2,
            ).plan
        except NoProposal as exc:
            plan = _no_plan(config.municipality, base.term, exc.reasons)
    else:
        plan = solve(config, inputs.term, inputs.options, progress=beat.report)
    for meeting in plan.meetings:
        meeting.locked = meeting.uid in inputs.locked
    return plan


def _no_plan(municipality: str, term: str, reasons: list[str]) -> Plan:
    from scheduler.model import PlanStatus

    return Plan(
        municipality=municipality,
        term=term,
        status=PlanStatus.INFEASIBLE,
        solve_seconds=0.0,
        explanation=reasons,
    )


def run_job(sessions: sessionmaker[Session], job: Job, worker: str, settings: AppSettings) -> None:
    """Run one claimed job to its end: a stored plan version, or a failed job saying why."""
    with _Heartbeat(sessions, job.id, worker, every=max(1.0, settings.job_stale_seconds / 6)) as beat:
        try:
            with session_scope(sessions) as db:
                inputs = _read_inputs(db, job, settings)
            plan = _compute(inputs, settings, beat)
        except Exception as exc:
            log.exception("job %s failed", job.id)
            with session_scope(sessions) as db:
                storage.fail_job(db, job.id, worker, f"{type(exc).__name__}: {exc}")
            return
    if beat.lost:
        log.warning("job %s was taken over by another worker; its result is dropped", job.id)
        return
    params = json.loads(job.params)
    with session_scope(sessions) as db:
        config_version = storage.get_config(db, inputs.config_version_id)
        parent = storage.get_plan_version(db, inputs.parent_id) if inputs.parent_id is not None else None
        row = storage.save_plan_version(
            db,
            config_version,
            plan,
            parent,
            params.get("actor", worker),
            params.get("reason") or ("hvad nu hvis" if job.kind == WHAT_IF else "ny plan"),
        )
        storage.finish_job(db, job.id, worker, f"plan_version:{row.id}")


class Worker:
    """Claims and runs jobs until stopped; also re-queues jobs of workers that went silent."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: AppSettings,
        on_idle: Callable[[], None] | None = None,
    ):
        self.sessions = sessions
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_idle = on_idle

    def run_once(self) -> bool:
        """Claim and run one job; False when the queue was empty."""
        me = worker_id()
        with session_scope(self.sessions) as db:
            storage.requeue_stale_jobs(db, timedelta(seconds=self.settings.job_stale_seconds))
        with session_scope(self.sessions) as db:
            job = storage.claim_next_job(db, me, KINDS)
        if job is None:
            return False
        run_job(self.sessions, job, me, self.settings)
        return True

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:
                log.exception("worker loop error; retrying")
                worked = False
            if not worked:
                if self._on_idle:
                    self._on_idle()
                self._stop.wait(self.settings.worker_poll_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="moedeplan-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def wait_for(sessions: sessionmaker[Session], job_id: int, timeout: float = 120.0) -> Job:
    """Poll until the job is done or failed (for the CLI and tests)."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(sessions) as db:
            job = storage.get_job(db, job_id)
            if str(job.state) in ("done", "failed"):
                return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} is still {job.state} after {timeout} s")
        time.sleep(0.2)
