"""Jobs: a solve's state, progress and result, read by whoever started it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from api import storage
from api.auth import Principal
from api.job_types import JobParams
from api.jobs import job_params
from api.schemas import JobOut, job_out


@dataclass(frozen=True)
class JobStatus:
    """A job as the API shows it, with the typed parameters it was queued with."""

    out: JobOut
    params: JobParams


def read(db: Session, who: Principal, job_id: int) -> JobOut:
    """State (queued, running, done, failed), progress while it runs, and the plan version it made."""
    return job_out(storage.get_job(db, job_id))


def status(db: Session, who: Principal, job_id: int) -> JobStatus:
    row = storage.get_job(db, job_id)
    return JobStatus(job_out(row), job_params(row))


def recent(db: Session, who: Principal, limit: int = 5) -> list[JobOut]:
    """The newest jobs, newest first."""
    return [job_out(j) for j in storage.recent_jobs(db, limit)]
