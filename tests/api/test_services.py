"""The service layer: routes and pages are thin, services are plain typed functions.

Routes (`api.routes`) and pages (`api.web`) hold no queries and call the services
(`api.services`); the services refuse with domain exceptions, never with HTTP ones, so the same
refusal is a JSON error on the API and an error page on the web.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from api import storage
from api.auth import Principal, Role
from api.db import session_scope
from api.deps import AppState
from api.errors import BadInput, Forbidden
from api.services import absences, configs, plans
from scheduler.config import parse_config
from scheduler.solve import SolveOptions, solve
from tests.builders import TWO_DISTRICTS
from tests.web.site import open_site

ROOT = Path(__file__).resolve().parents[2]
THIN = [*sorted((ROOT / "api" / "routes").glob("*.py")), *sorted((ROOT / "api" / "web").glob("*.py"))]
QUERYING = {"execute", "scalars", "scalar", "query", "commit", "get", "add", "flush", "expire_all"}


def _db_calls(tree: ast.AST) -> list[str]:
    """Calls like `db.execute(…)` / `session.scalars(…)`: a query or a commit on a session."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id in ("db", "session") and node.func.attr in QUERYING:
                found.append(f"{owner.id}.{node.func.attr} (line {node.lineno})")
    return found


def _sqlalchemy_builders(tree: ast.AST) -> list[str]:
    return [
        f"{alias.name} (line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
        if alias.name not in ("Session",)
    ]


@pytest.mark.parametrize("path", THIN, ids=lambda p: str(p.relative_to(ROOT)))
def test_routes_and_pages_hold_no_queries(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert _db_calls(tree) == []
    assert _sqlalchemy_builders(tree) == []
    assert "call_api" not in path.read_text(encoding="utf-8")


def test_services_raise_no_http_exceptions() -> None:
    for path in sorted((ROOT / "api" / "services").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "fastapi" not in text and "HTTPException" not in text, path.name


# --------------------------------------------------------------------------- calling services directly

ADMIN = Principal("Kommunens IT", Role.admin)
BALTORP = Principal("Leder Baltorp", Role.distriktsleder, districts=frozenset({"baltorp"}))
PSYK_A = Principal("Psykolog A", Role.staff, person="psykolog-a")


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppState]:
    """The two-district config uploaded and one plan of it stored."""
    app_state = open_site(tmp_path_factory.mktemp("services"), run_worker=False)
    plan = solve(parse_config(TWO_DISTRICTS), None, SolveOptions(time_limit=5, workers=2))
    with session_scope(app_state.sessions) as db:
        version = storage.get_config(db, 1)
        storage.save_plan_version(db, version, plan, None, "test", "ny plan")
    yield app_state
    app_state.sessions.kw["bind"].dispose()


def test_a_plan_read_through_the_service_is_typed_and_scoped(state: AppState) -> None:
    with session_scope(state.sessions) as db:
        [config] = configs.versions(db, ADMIN)
        assert config.terms == ["foraar-2027"]
        whole = plans.read_plan(db, BALTORP, 1)
        own = plans.read_plan(db, PSYK_A, 1)
        assert own.meetings and len(own.meetings) < len(whole.meetings)
        assert all(any(a.person == "psykolog-a" for a in m.attendees) for m in own.meetings)
        with pytest.raises(Forbidden, match="egne møder"):
            plans.read_plan(db, PSYK_A, 1, person="psykolog-b")


def test_a_service_refuses_with_a_domain_exception(state: AppState) -> None:
    with session_scope(state.sessions) as db:
        plan = plans.read_plan(db, ADMIN, 1)
        skovlunde = next(m for m in plan.meetings if m.unit == "skovlunde-skole")
        with pytest.raises(Forbidden, match="et andet distrikt"):
            plans.lock(db, BALTORP, 1, skovlunde.uid, plans.LockRequest(reason="nej"))
        with pytest.raises(storage.NotFound):
            plans.lock(db, ADMIN, 1, "intet-møde", plans.LockRequest())
        body = plans.PublishRequest(backend="brevdue")
        with pytest.raises(BadInput) as refused:
            plans.publish(db, ADMIN, state, 1, body)
        assert refused.value.field == "backend"
        request = absences.AbsenceRequest.model_validate(
            {"person": "psykolog-b", "start": "2027-03-09T08:00:00+01:00", "end": "2027-03-09T16:00:00+01:00"}
        )
        with pytest.raises(Forbidden) as not_own:
            absences.register(db, PSYK_A, state, request)
        assert not_own.value.field == "person"
