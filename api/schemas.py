"""Bodies the API sends and receives that more than one route uses."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.job_types import JobResult
from api.orm import Job


class FieldProblem(BaseModel):
    """One invalid input, for programs: where (`loc`, as in the request) and what, in Danish."""

    loc: list[str | int] = Field(description="the path in the request, e.g. ['body', 'end']")
    field: str = Field(description="the field as the caller wrote it, e.g. 'end' or 'participants[0].person'")
    message: str = Field(description="what is wrong with it, in Danish")


class ErrorBody(BaseModel):
    """Every error: a Danish message, and where the input was at fault when it was."""

    detail: str
    field: str | None = Field(default=None, description="the input field at fault, e.g. 'start'")
    problems: list[str] | None = Field(default=None, description="every problem found, when several")
    errors: list[FieldProblem] | None = Field(
        default=None, description="invalid input, one entry per field, with its machine-readable `loc`"
    )


class JobOut(BaseModel):
    id: int
    kind: str
    state: str
    attempts: int
    progress: dict[str, Any] | None
    result: str | None = Field(
        description="where the result is, e.g. 'plan_version:7' (kept for existing clients; read `plan_id`)"
    )
    plan_id: int | None = Field(
        default=None, description="the plan version the job made, once it is done (`GET /plans/{plan_id}`)"
    )
    rollout_id: int | None = Field(
        default=None, description="the BAL rollout a bal_rollout job made (`GET /bal/rollouts/{rollout_id}`)"
    )
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        state=str(job.state),
        attempts=job.attempts,
        progress=json.loads(job.progress) if job.progress else None,
        result=job.result_ref,
        plan_id=JobResult.from_ref(job.result_ref).plan_id,
        rollout_id=JobResult.from_ref(job.result_ref).rollout_id,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )
