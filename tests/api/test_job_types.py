"""Job parameters and results are typed: validated when a job is queued and when it is read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from api import jobs, storage
from api.app import create_app
from api.db import session_scope
from api.job_types import SOLVE, WHAT_IF, JobResult, SolveParams, WhatIfParams, read_params
from api.orm import Job
from api.schemas import job_out
from api.settings import AppSettings
from tests.api.databases import Db


def test_params_are_stored_and_read_back_as_the_same_typed_value(db: Db) -> None:
    solve = SolveParams(config_version_id=3, term="foraar-2027", time_limit=4.0, workers=2, actor="baltorp")
    what_if = WhatIfParams(config_version_id=4, base_plan_version_id=9, reason="hvad nu hvis")
    with session_scope(db.sessions) as session:
        ids = [jobs.enqueue(session, solve, "baltorp").id, jobs.enqueue(session, what_if, "baltorp").id]
    with session_scope(db.sessions) as session:
        rows = [storage.get_job(session, i) for i in ids]
        assert [r.kind for r in rows] == [SOLVE, WHAT_IF]
        assert [jobs.job_params(r) for r in rows] == [solve, what_if]


@pytest.mark.parametrize(
    "bad",
    [
        {"config_version_id": 0},
        {"config_version_id": 1, "time_limit": 0},
        {"config_version_id": 1, "workers": 65},
        {"config_version_id": 1, "seed": 3},  # not something a solve job takes
    ],
)
def test_bad_params_are_refused_before_they_are_stored(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SolveParams.model_validate(bad)


def test_a_stored_row_is_validated_as_it_is_read() -> None:
    assert read_params(SOLVE, '{"config_version_id": 2}') == SolveParams(config_version_id=2)
    with pytest.raises(ValidationError):
        read_params(SOLVE, '{"config_version_id": "zwei"}')
    with pytest.raises(ValidationError):  # a what-if without its base plan
        read_params(WHAT_IF, '{"config_version_id": 2}')
    with pytest.raises(ValueError, match="unknown job kind 'publish'"):
        read_params("publish", "{}")


@pytest.mark.parametrize(
    ("ref", "plan_id"),
    [("plan_version:7", 7), (None, None), ("", None), ("plan_version:", None), ("report:3", None)],
)
def test_the_result_reference_and_the_typed_result(ref: str | None, plan_id: int | None) -> None:
    result = JobResult.from_ref(ref)
    assert result.plan_id == plan_id
    if plan_id is not None:
        assert result.ref == ref
    row = Job(id=1, kind=SOLVE, state="done", attempts=1, result_ref=ref, created_at=datetime.now(UTC))
    assert job_out(row).plan_id == plan_id


def test_the_openapi_documents_plan_id_beside_result(tmp_path: Path) -> None:
    settings = AppSettings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        run_worker=False,
        feed_secret=SecretStr("openapi-test-secret-of-at-least-32-characters"),
        secret_file=tmp_path / "secret",
    )
    schema = create_app(settings).openapi()
    fields = schema["components"]["schemas"]["JobOut"]["properties"]
    assert fields["plan_id"]["description"].startswith("the plan version the job made")
    assert "plan_version:7" in fields["result"]["description"]
