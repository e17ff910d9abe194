"""Solves as jobs: queued by the API, run by a worker, never inside a request.

A job row (api.orm.Job) is the contract and the one source of truth for the API: the API queues
it and reads its state and progress; a worker claims it, heartbeats while the solver runs, and
finishes it with a reference to the plan version it stored. A worker that dies stops
heartbeating; the job is put back in the queue (`storage.requeue_stale_jobs`) and run again, so a
crashed solve is retried, not lost (after 3 claims it is failed: a job that kills every worker
must not cycle forever). The solve itself runs in a child process with its own memory limit
(`api.isolation`, ``MOEDEPLAN_SOLVE_MEMORY_MB``): a solve that needs too much fails its job with a
Danish message, and the API or worker that ran it stays up.

Two ways to deliver jobs to workers, chosen by ``MOEDEPLAN_JOB_QUEUE`` (`AppSettings.job_queue`;
unset: ``procrastinate`` when the database is PostgreSQL, ``embedded`` when it is SQLite):

``embedded`` — the default with SQLite, nothing to run but ``moedeplan serve``
    `Worker` polls the jobs table (`storage.claim_next_job`) in a thread of the API process
    (``MOEDEPLAN_RUN_WORKER``, on by default). ``moedeplan worker`` runs the same loop in a
    separate process (on PostgreSQL claims use ``FOR UPDATE SKIP LOCKED``).

``procrastinate`` — the default with PostgreSQL: the deployment
    Run the API (``moedeplan serve``) and as many ``moedeplan worker`` processes, on as many
    machines, as wanted, all with the same ``MOEDEPLAN_DATABASE_URL``. After the route commits a
    job row it calls `dispatch`, which defers the procrastinate task ``moedeplan.run_solve_job``
    (queue ``moedeplan``, one waiting task per job: queueing lock ``moedeplan-job-<id>``).
    A worker is a procrastinate worker (`run_queue_worker`, one solve at a time per process;
    the solver uses several cores itself); its task claims exactly that row
    (`storage.claim_job`) and runs `run_job`. A delivery of a job that is no longer queued does
    nothing, so a job is never run twice at once, whatever procrastinate delivers.
    Procrastinate's tables live in the same schema as ours (the ``search_path`` of the URL);
    ``moedeplan worker`` and the first `dispatch` install them if missing
    (`api.db.install_job_queue_schema`).

    A worker killed mid-solve (even SIGKILL, or a lost machine) is recovered by every live
    worker's periodic task ``moedeplan.sweep_jobs`` (every ``MOEDEPLAN_JOB_SWEEP_SECONDS``):
    1. procrastinate's stalled-job handling: tasks of procrastinate workers whose heartbeat is
       older than ``MOEDEPLAN_JOB_STALE_SECONDS`` are retried (`JobManager.get_stalled_jobs`,
       `JobManager.retry_job`);
    2. our rows: running jobs whose heartbeat is that old go back to ``queued``
       (`storage.requeue_stale_jobs`);
    3. every queued row is (re)deferred — covering a `dispatch` that failed after the commit,
       and rows queued by any other path.
    Whichever delivery reaches a free worker first claims the row (``attempts`` + 1) and solves
    again. The task itself retries transient database errors (procrastinate ``RetryStrategy``).
    Keep ``MOEDEPLAN_JOB_STALE_SECONDS`` well above a worker's heartbeat interval (a sixth of it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api import storage
from api.db import install_job_queue_schema, normalize_url, session_scope
from api.isolation import Reporter, SolveFailed, run_isolated
from api.job_types import (
    BAL_ROLLOUT,
    KINDS,
    WHAT_IF,
    BalRolloutParams,
    JobParams,
    JobResult,
    SolveParams,
    WhatIfParams,
    read_params,
)
from api.orm import Absence, ConfigVersion, Job, PlanState, PlanVersion
from api.settings import AppSettings
from scheduler.config import parse_config
from scheduler.model import PLANNED, BalRollout, MunicipalityConfig, Plan, PlanStatus
from scheduler.solve import Progress, SolveOptions, solve

In = TypeVar("In")
Out = TypeVar("Out")

log = logging.getLogger("moedeplan.jobs")


def enqueue(db: Session, params: JobParams, actor: str) -> Job:
    """Queue a job with typed, validated parameters (it runs after the caller commits)."""
    return storage.enqueue_job(db, params.kind, params.model_dump(mode="json"), actor)


def job_params(job: Job) -> JobParams:
    """A job's parameters, validated again as they are read (a row is text until then)."""
    return read_params(job.kind, job.params)


def job_result(job: Job) -> JobResult:
    return JobResult.from_ref(job.result_ref)


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
    live_plan: Plan | None = None
    """the term's live (published) plan a solve starts from; None for a what-if or a first plan"""
    fresh: bool = False
    districts: list[str] | None = None


def live_rollout(db: Session, config_version: ConfigVersion) -> BalRollout | None:
    """The live BAL rollout of the config's name when the config has a `bal:` section."""
    row = storage.live_rollout_version(db, config_version.name)
    return None if row is None else storage.get_rollout(db, row.id)[1]


def effective_config(db: Session, config_version: ConfigVersion) -> MunicipalityConfig:
    """The config as uploaded, with the live BAL rollout's series, plus every absence registered
    through the API since.

    Absences live in the database, not in the uploaded YAML, so that a re-solve or a move by hand
    never puts a meeting back where an accepted absence took it from. With a `bal:` section and a
    live rollout of the config's name, each term's course groups and facilitated analyses are
    series of the config (`scheduler.bal_series.with_bal`): a term solve plans them in the same
    joint model, and verifying, moving and publishing the plan see them like any meeting.
    """
    from scheduler.availability import Unavailability, config_with_unavailability
    from scheduler.bal_series import with_bal
    from scheduler.config import substitute_problem
    from scheduler.index import index_of

    config = parse_config(config_version.yaml, source=config_version.name)
    if config.bal is not None:
        rollout = live_rollout(db, config_version)
        if rollout is not None:
            config = with_bal(config, rollout)
    known = index_of(config).people
    for absence in db.scalars(select(Absence).order_by(Absence.id)):
        if absence.person_id in known:
            substitute = absence.substitute_id
            if substitute is not None and substitute_problem(config, known[absence.person_id], substitute):
                substitute = None  # a config changed since: the absence stands, without them
            config = config_with_unavailability(
                config,
                Unavailability(
                    person=absence.person_id, start=absence.start, end=absence.end, substitute=substitute
                ),
            )
    return config


def _read_inputs(db: Session, job: Job, settings: AppSettings) -> _Inputs:
    params = job_params(job)
    config_version = storage.get_config(db, params.config_version_id)
    config = effective_config(db, config_version)
    options = SolveOptions(
        time_limit=params.time_limit or settings.solve_time_limit,
        workers=(params.workers if isinstance(params, SolveParams) else None) or settings.solve_workers,
    )
    parent_row: PlanVersion | None
    parent_plan: Plan | None
    term: str | None
    live_plan: Plan | None = None
    if isinstance(params, SolveParams):
        # The draft a solve makes starts from the term's live plan, so that is its parent (a newer
        # draft is someone's experiment, not what people have); before the first publish, the
        # newest version that is not discarded.
        term = params.term or config.terms[0].id
        parent_row = storage.live_plan_version(db, term) or storage.latest_plan_version(db, term)
        parent_plan = storage.get_plan(db, parent_row.id)[1] if parent_row is not None else None
        if parent_row is not None and parent_row.state == PlanState.published:
            live_plan = parent_plan
    elif isinstance(params, WhatIfParams):
        parent_row, parent_plan = storage.get_plan(db, params.base_plan_version_id)
        term = parent_plan.term if parent_plan is not None else None
    else:
        raise ValueError(f"a {job.kind} job is not a solve (run_rollout_job runs it)")
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
        live_plan,
        isinstance(params, SolveParams) and params.fresh,
        params.districts if isinstance(params, SolveParams) else None,
    )


def _compute(inputs: _Inputs, settings: AppSettings, beat: Reporter) -> Plan:
    """The plan: from the term's live plan with the least change (`scheduler.replan.replan`;
    "start afresh" keeps only its pins), a what-if's least change, or a term's first plan.
    A solve with a live plan reports its cost against it in the plan's stats."""
    from scheduler.replan import NoProposal, replan, what_if

    config, base, live = inputs.config, inputs.parent_plan, inputs.live_plan
    if inputs.kind != WHAT_IF and live is not None:
        plan = replan(
            config,
            live,
            now=datetime.now(UTC),
            locked=inputs.locked,
            districts=inputs.districts,
            fresh=inputs.fresh,
            booked=[m for m in live.meetings if m.one_off],
            time_limit=inputs.options.time_limit or config.planning.time_limit_seconds,
            workers=inputs.options.workers or 2,
            progress=beat.report,
        )
    elif base is not None and (inputs.kind == WHAT_IF or inputs.locked):
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
        booked = [m for m in base.meetings if m.one_off] if base is not None else None
        plan = solve(config, inputs.term, inputs.options, progress=beat.report, booked=booked)
    for meeting in plan.meetings:
        meeting.locked = meeting.one_off or meeting.uid in inputs.locked
    return plan


def _no_plan(municipality: str, term: str, reasons: list[str]) -> Plan:
    """No plan could be made (why: `reasons`); `run_job` fails the job with them, stores nothing."""
    return Plan(
        municipality=municipality,
        term=term,
        status=PlanStatus.INFEASIBLE,
        solve_seconds=0.0,
        explanation=reasons,
    )


def no_plan_error(plan: Plan) -> str:
    """What a job that found no plan says, in Danish: the headline, then one reason per line."""
    if plan.status == PlanStatus.INFEASIBLE:
        headline = (
            f"Der findes ingen plan for {plan.term}, der overholder alle regler; "
            "der er ikke gemt nogen ny version."
        )
    else:
        headline = (
            f"Løseren fandt ingen plan for {plan.term} inden for tidsgrænsen; der er ikke gemt nogen ny "
            "version (giv den mere tid, eller løs reglerne op)."
        )
    return "\n".join([headline, *plan.explanation])


@dataclass
class _RolloutInputs:
    """What a `bal_rollout` job reads from the database before it solves."""

    config_version_id: int
    config: MunicipalityConfig
    time_limit: float | None
    """None: the config's `planning`"""
    workers: int | None
    seed: int | None


def _compute_rollout(inputs: _RolloutInputs, settings: AppSettings, beat: Reporter) -> BalRollout:
    """The rollout of the config (`scheduler.bal_rollout.plan_rollout`, verified)."""
    from scheduler.bal_rollout import RolloutOptions, plan_rollout

    options = RolloutOptions(time_limit=inputs.time_limit, workers=inputs.workers, seed=inputs.seed)
    return plan_rollout(inputs.config, options)


def no_rollout_error(rollout: BalRollout) -> str:
    """What a rollout job that found no rollout says, in Danish."""
    return "\n".join(
        ["Der blev ikke fundet nogen BAL-udrulning; der er ikke gemt nogen ny version.", *rollout.explanation]
    )


def _isolated_result(
    sessions: sessionmaker[Session],
    job: Job,
    worker: str,
    settings: AppSettings,
    read: Callable[[Session], In],
    compute: Callable[[In, AppSettings, Reporter], Out],
    said: tuple[type[Exception], ...] = (SolveFailed,),
) -> tuple[In, Out] | None:
    """A job's inputs read (`read`, in one session) and its result computed in an isolated child
    (`api.isolation.run_isolated`) while the job's heartbeat beats. A failure fails the job (its
    own message for the exceptions in `said`, which speak Danish; else the exception's type and
    text); a job another worker took over is dropped. None in both cases."""
    with _Heartbeat(sessions, job.id, worker, every=max(1.0, settings.job_stale_seconds / 6)) as beat:
        try:
            with session_scope(sessions) as db:
                inputs = read(db)
            result = run_isolated(
                compute,
                inputs,
                settings,
                memory_mb=settings.solve_memory_mb,
                reporter=beat,
                deadline=settings.solve_max_seconds,
            )
        except Exception as exc:
            log.exception("job %s failed", job.id)
            error = str(exc) if isinstance(exc, said) else f"{type(exc).__name__}: {exc}"
            with session_scope(sessions) as db:
                storage.fail_job(db, job.id, worker, error)
            return None
    if beat.lost:
        log.warning("job %s was taken over by another worker; its result is dropped", job.id)
        return None
    return inputs, result


def run_rollout_job(sessions: sessionmaker[Session], job: Job, worker: str, settings: AppSettings) -> None:
    """Run a claimed `bal_rollout` job: a stored draft rollout, or a failed job saying why."""
    from scheduler.bal_facts import programme

    params = job_params(job)
    assert isinstance(params, BalRolloutParams)

    def read(db: Session) -> _RolloutInputs:
        config_version = storage.get_config(db, params.config_version_id)
        config = parse_config(config_version.yaml, source=config_version.name)
        programme(config)  # NoBalSection, in Danish, when there is no bal:
        return _RolloutInputs(
            config_version.id,
            config,
            params.time_limit or settings.solve_time_limit,
            params.workers or settings.solve_workers,
            params.seed,
        )

    done = _isolated_result(
        sessions, job, worker, settings, read, _compute_rollout, (SolveFailed, ValueError)
    )
    if done is None:
        return
    inputs, rollout = done
    if rollout.status not in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE):
        with session_scope(sessions) as db:
            storage.fail_job(db, job.id, worker, no_rollout_error(rollout))
        return
    with session_scope(sessions) as db:
        config_version = storage.get_config(db, inputs.config_version_id)
        row = storage.save_rollout(
            db,
            config_version,
            rollout,
            params.actor if params.actor is not None else worker,
            params.reason or "ny BAL-udrulning",
        )
        storage.finish_job(db, job.id, worker, JobResult(rollout_id=row.id).ref)


def run_job(sessions: sessionmaker[Session], job: Job, worker: str, settings: AppSettings) -> None:
    """Run one claimed job to its end: a stored plan version, or a failed job saying why (an
    INFEASIBLE or UNKNOWN solve included: it stores no version). A `bal_rollout` job stores a
    rollout instead (`run_rollout_job`)."""
    if job.kind == BAL_ROLLOUT:
        run_rollout_job(sessions, job, worker, settings)
        return
    done = _isolated_result(
        sessions, job, worker, settings, lambda db: _read_inputs(db, job, settings), _compute
    )
    if done is None:
        return
    inputs, plan = done
    if plan.status not in PLANNED:  # a PARTIAL plan is kept as a draft like any other
        # A failed solve is not a plan: no version (it would become the term's newest and every
        # page would read "0 møder" from it); the job keeps the Danish explanation instead.
        with session_scope(sessions) as db:
            storage.fail_job(db, job.id, worker, no_plan_error(plan))
        return
    params = job_params(job)
    with session_scope(sessions) as db:
        config_version = storage.get_config(db, inputs.config_version_id)
        parent = storage.get_plan_version(db, inputs.parent_id) if inputs.parent_id is not None else None
        row = storage.save_plan_version(
            db,
            config_version,
            plan,
            parent,
            params.actor if params.actor is not None else worker,
            params.reason or ("hvad nu hvis" if job.kind == WHAT_IF else "ny plan"),
        )
        storage.finish_job(db, job.id, worker, JobResult(plan_id=row.id).ref)


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


# --------------------------------------------------------------------------- procrastinate

QUEUE = "moedeplan"
RUN_TASK = "moedeplan.run_solve_job"
SWEEP_TASK = "moedeplan.sweep_jobs"

_dispatchers: dict[str, Any] = {}
_dispatchers_lock = threading.Lock()


def queueing_lock(job_id: int) -> str:
    """At most one waiting procrastinate task per job row."""
    return f"moedeplan-job-{job_id}"


def queue_conninfo(database_url: str) -> str:
    """The libpq URI procrastinate connects with (psycopg 3), search_path and all.

    Contains the password if the URL does: never log it (log `mask_database_url` of it).
    """
    url = normalize_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _dispatcher(settings: AppSettings) -> Any:
    """One open procrastinate App (sync connector, small pool) per database, for `dispatch`."""
    with _dispatchers_lock:
        app = _dispatchers.get(settings.database_url)
        if app is None:
            import procrastinate

            install_job_queue_schema(settings.database_url)
            connector = procrastinate.SyncPsycopgConnector(
                conninfo=queue_conninfo(settings.database_url), min_size=0, max_size=2
            )
            app = procrastinate.App(connector=connector).open()
            _dispatchers[settings.database_url] = app
        return app


def dispatch(settings: AppSettings, job_id: int) -> None:
    """Hand a committed job row to the job queue; call it right after the commit.

    A no-op for the embedded queue (its workers poll the table). For procrastinate it defers
    ``moedeplan.run_solve_job(job_id)``. It never fails the request: the row is committed, and if
    the queue cannot be reached now, a worker's sweep defers the job later.
    """
    if settings.job_queue != "procrastinate":
        return
    from procrastinate.exceptions import AlreadyEnqueued

    try:
        _dispatcher(settings).configure_task(
            name=RUN_TASK, queue=QUEUE, queueing_lock=queueing_lock(job_id)
        ).defer(job_id=job_id)
    except AlreadyEnqueued:
        pass  # a sweep was faster: the job is waiting already
    except Exception:
        log.warning("job %s not handed to the queue now; a worker's sweep will", job_id, exc_info=True)


def close_dispatchers() -> None:
    """Close the pools `dispatch` opened (tests, shutdown)."""
    with _dispatchers_lock:
        for app in _dispatchers.values():
            app.close()
        _dispatchers.clear()


def queue_app(settings: AppSettings, sessions: sessionmaker[Session]) -> Any:
    """The procrastinate App a worker runs: async connector, the solve task and the sweep."""
    import procrastinate
    from procrastinate import RetryStrategy
    from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
    from procrastinate.jobs import Status
    from sqlalchemy.exc import InterfaceError, OperationalError

    stale = settings.job_stale_seconds
    connector = procrastinate.PsycopgConnector(conninfo=queue_conninfo(settings.database_url))
    app = procrastinate.App(connector=connector)

    @app.task(
        name=RUN_TASK,
        queue=QUEUE,
        # Transient database trouble (a restart, a fail-over) before or after the solve.
        retry=RetryStrategy(
            max_attempts=5, exponential_wait=2, retry_exceptions=[OperationalError, InterfaceError]
        ),
    )
    def run_solve_job(job_id: int) -> None:
        me = worker_id()
        with session_scope(sessions) as db:
            storage.requeue_stale_jobs(db, timedelta(seconds=stale))
        with session_scope(sessions) as db:
            job = storage.claim_job(db, job_id, me)
        if job is None:
            log.info("job %s is not queued (another worker has it, or it ended): nothing to do", job_id)
            return
        log.info("job %s: attempt %s on %s", job_id, job.attempts, me)
        run_job(sessions, job, me, settings)

    def requeue_and_list() -> list[int]:
        with session_scope(sessions) as db:
            storage.requeue_stale_jobs(db, timedelta(seconds=stale))
        with session_scope(sessions) as db:
            return storage.queued_job_ids(db, KINDS)

    # Six cron fields: the last is seconds. No `lock`: a sweep stuck on a dead worker must not
    # block the others; the queueing lock keeps at most one waiting.
    @app.periodic(cron=f"* * * * * */{settings.job_sweep_seconds}", periodic_id="sweep")
    @app.task(name=SWEEP_TASK, queue=QUEUE, queueing_lock=SWEEP_TASK)
    async def sweep_jobs(timestamp: int) -> None:
        manager = app.job_manager
        for stalled in await manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=stale):
            try:
                await manager.retry_job(stalled)
                log.warning("retrying task %s (%s) of a silent worker", stalled.id, stalled.task_name)
            except ConnectorException:
                # Another task for the same job is waiting already (queueing lock), or another
                # sweep handled it: this delivery is surplus.
                with contextlib.suppress(ConnectorException):
                    await manager.finish_job(stalled, status=Status.FAILED, delete_job=False)
        for job_id in await asyncio.to_thread(requeue_and_list):
            with contextlib.suppress(AlreadyEnqueued):
                await run_solve_job.configure(queueing_lock=queueing_lock(job_id)).defer_async(job_id=job_id)

    return app


def run_queue_worker(settings: AppSettings, sessions: sessionmaker[Session] | None = None) -> None:
    """Run a procrastinate worker until SIGINT/SIGTERM (it lets a running solve finish)."""
    from api.db import make_session_factory

    if settings.job_queue != "procrastinate":
        raise ValueError("run_queue_worker needs job_queue 'procrastinate'")
    install_job_queue_schema(settings.database_url)
    sessions = sessions or make_session_factory(settings.database_url)
    app = queue_app(settings, sessions)
    app.run_worker(
        queues=[QUEUE],
        name=worker_id(),
        concurrency=1,
        update_heartbeat_interval=max(1.0, settings.job_stale_seconds / 6),
        stalled_worker_timeout=settings.job_stale_seconds,
        delete_jobs="successful",  # the job row is the record; procrastinate's table stays small
    )
