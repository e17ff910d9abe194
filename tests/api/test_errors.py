"""One table maps exceptions to statuses, by class, and the JSON API and the web pages both use it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError

from api.app import create_app
from api.auth import UsersFileError
from api.db import Conflict, ImmutableRow, NotFound, NotNewest, StaleVersion
from api.errors import STATUS_BY_ERROR, BadInput, Forbidden, Unreachable, status_of
from api.publishing import PublishBusy
from api.storage import JobLost
from calendar_sync.privacy import PrivacyError
from calendar_sync.publish import PublishError
from scheduler.config import ConfigError
from scheduler.model import Absence
from scheduler.slot_request import RequestError
from tests.web.site import open_site


def _validation_error() -> ValidationError:
    """A pydantic error raised inside a service (not while FastAPI reads the request)."""
    try:
        Absence.model_validate({"start": "2027-03-05", "end": "2027-03-01"})
    except ValidationError as exc:
        return exc
    raise AssertionError("the absence should not validate")


# What each class is expected to give, written out (not read from the table), with an instance.
EXPECTED: list[tuple[Callable[[], Exception], int]] = [
    (lambda: Forbidden("rollen må ikke dette"), 403),
    (lambda: NotFound("planen findes ikke"), 404),
    (lambda: Conflict("mødet er allerede låst"), 409),
    (lambda: JobLost("jobbet er taget af en anden"), 409),
    (lambda: PublishBusy("foraar-2027"), 409),
    (lambda: ImmutableRow("en planversion ændres ikke"), 409),
    (lambda: PublishError("planen er tom"), 409),
    (lambda: StaleVersion("lock", "x", 1, 2), 412),
    (lambda: NotNewest("foraar-2027", 1, 2), 412),
    (lambda: BadInput("ukendt person 'x'", "person"), 422),
    (lambda: ConfigError(["units.0.id: mangler"]), 422),
    (lambda: PrivacyError("m1", "summary", "ligner et cpr-nummer"), 422),
    (lambda: Unreachable("Exchange svarer ikke"), 502),
    (lambda: UsersFileError("/etc/moedeplan/users.yaml: ikke gyldig"), 503),
    (lambda: RuntimeError("en fejl i koden /srv/x.py"), 500),
    (lambda: _validation_error(), 422),
    (lambda: ValueError("invalid literal for int() with base 10: 'x'"), 422),
    (lambda: json.JSONDecodeError("Expecting value: invalid literal", "x", 0), 422),
    (lambda: RequestError(["participants[0].person: ukendt person 'x'"]), 422),
]


def test_every_mapped_class_is_tested() -> None:
    tested = {type(make()) for make, _ in EXPECTED}
    assert set(STATUS_BY_ERROR) <= tested


@pytest.mark.parametrize(("make", "status"), EXPECTED)
def test_the_table_is_looked_up_along_the_mro(make: Callable[[], Exception], status: int) -> None:
    assert status_of(make()) == status


def _raise(make: Callable[[], Exception]) -> Callable[[], None]:
    def endpoint() -> None:
        raise make()

    return endpoint


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    state = open_site(tmp_path, run_worker=False)
    application = create_app(state.settings, state=state)
    for i, (make, _) in enumerate(EXPECTED):
        application.add_api_route(f"/probe/{i}", _raise(make), methods=["GET"])
        page = _raise(make)
        page.__module__ = "api.web.probe"  # answered as a page, as the routes of api.web are
        application.add_api_route(f"/page-probe/{i}", page, methods=["GET"])
    yield application
    state.sessions.kw["bind"].dispose()


@pytest.mark.parametrize("index", range(len(EXPECTED)))
def test_each_class_gives_its_status_as_json_and_as_a_page(app: FastAPI, index: int) -> None:
    make, status = EXPECTED[index]
    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.get(f"/probe/{index}")
        page = client.get(f"/page-probe/{index}")
    assert api.status_code == status
    assert api.headers["content-type"] == "application/json"
    assert api.json()["detail"]
    assert page.status_code == status
    if status != 500:
        assert page.headers["content-type"].startswith("text/html")
    for answer in (api, page):
        assert "Traceback" not in answer.text
        assert "/srv/x.py" not in answer.text  # an unexpected error's message stays in the log
        assert "/etc/moedeplan" not in answer.text  # nor where the server keeps its users file
        assert "pydantic" not in answer.text and "invalid literal" not in answer.text  # nor a library's


def test_a_validation_error_inside_a_service_is_danish_with_its_field(app: FastAPI) -> None:
    index = next(i for i, (make, _) in enumerate(EXPECTED) if isinstance(make(), ValidationError))
    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.get(f"/probe/{index}")
        page = client.get(f"/page-probe/{index}")
    expected = "fraværet slutter (2027-03-01) før det begynder (2027-03-05)"
    assert api.json()["problems"] == [f"(øverst): {expected}"]
    assert api.json()["errors"] == [{"loc": [], "field": "(øverst)", "message": expected}]
    assert expected in page.text


class _Person(BaseModel):
    id: str
    hours: int


class _Body(BaseModel):
    """A request body like the API's: a number, a date, a list of items with ids."""

    weeks: int = Field(ge=1)
    start: date
    people: list[_Person] = Field(default_factory=list)


def test_an_invalid_request_body_is_a_danish_422_with_each_field_and_its_loc(app: FastAPI) -> None:
    def endpoint(body: _Body) -> dict[str, str]:
        return {"ok": "yes"}

    app.add_api_route("/body-probe", endpoint, methods=["POST"])
    body = {"weeks": 0, "start": "2027-02-30", "people": [{"id": "psykolog-a", "hours": "mange"}], "x": 1}
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post("/body-probe", json=body)
    assert answer.status_code == 422
    got = answer.json()
    assert got["problems"] == [
        "weeks: skal være mindst 1",
        "start: skal være en dato som 2027-03-08 (dagen findes ikke i måneden)",
        "people[0].hours (personen 'psykolog-a'): skal være et helt tal",
    ]
    assert got["detail"] == "ugyldigt input – weeks: skal være mindst 1" and got["field"] == "weeks"
    assert [e["loc"] for e in got["errors"]] == [
        ["body", "weeks"],
        ["body", "start"],
        ["body", "people", 0, "hours"],
    ]
    assert got["errors"][2]["field"] == "people[0].hours"
    assert "pydantic" not in answer.text and "Input should" not in answer.text
