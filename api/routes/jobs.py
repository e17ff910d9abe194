"""Jobs: a solve's state and progress, polled by whoever started it."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Db, Id, Leader
from api.schemas import JobOut
from api.services import jobs as service

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobOut)
def read(job_id: Id, db: Db, who: Leader) -> JobOut:
    """State (queued, running, done, failed), progress while it runs, and the plan version it made."""
    return service.read(db, who, job_id)
