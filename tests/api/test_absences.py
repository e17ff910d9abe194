"""Absences as people register them, through the API on SQLite and PostgreSQL: whole days, local
times, a person by name, and what happens to a duplicate, an overlap or an absence outside the terms.

No plan is solved here (registering without one stores the absence with no proposals), so each
answer is about the input alone; the proposals are `test_service`'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.deps import AppState
from api.orm import Absence
from api.settings import AppSettings
from tests.api.databases import Db
from tests.builders import TWO_DISTRICTS, auth, directory


@pytest.fixture
def client(db: Db) -> Iterator[TestClient]:
    """The API over `db` with the two-district config uploaded (no plan yet)."""
    settings = AppSettings(
        database_url=db.url,
        run_worker=False,
        job_queue="embedded",
        feed_secret=SecretStr("test-feed-secret-of-at-least-32-characters"),
        public_url="https://moedeplan.test",
    )
    state = AppState.open(settings, directory())
    with TestClient(create_app(settings, state=state)) as test_client:
        uploaded = test_client.post(
            "/configs", json={"name": "test", "yaml": TWO_DISTRICTS}, headers=auth("admin")
        )
        assert uploaded.status_code == 201, uploaded.text
        yield test_client
    state.sessions.kw["bind"].dispose()


def register(client: TestClient, who: str = "baltorp", **body: Any) -> Any:
    return client.post("/absences", json={"person": "psykolog-a", **body}, headers=auth(who))


def span(answer: Any) -> tuple[str, str]:
    return answer.json()["start"], answer.json()["end"]


def test_a_whole_day_a_range_of_days_and_local_times_are_read_as_meant(client: TestClient) -> None:
    one = register(client, start="2027-03-08")
    assert one.status_code == 201, one.text
    # the whole day in Copenhagen
    assert span(one) == ("2027-03-08T00:00:00+01:00", "2027-03-09T00:00:00+01:00")
    days = register(client, start="2027-03-15", end="2027-03-17")  # both days included
    assert span(days) == ("2027-03-15T00:00:00+01:00", "2027-03-18T00:00:00+01:00")
    local = register(client, start="2027-03-22T09:00", end="2027-03-22 12:30")
    assert span(local) == ("2027-03-22T09:00:00+01:00", "2027-03-22T12:30:00+01:00")
    danish = register(client, start="23/3 2027 kl. 9.00", end="23/3 2027 11:00")
    assert danish.json()["start"] == "2027-03-23T09:00:00+01:00", danish.text
    offset = register(client, start="2027-03-24T09:00+01:00", end="2027-03-24T10:00Z")
    assert span(offset) == ("2027-03-24T09:00:00+01:00", "2027-03-24T11:00:00+01:00")
    assert all(r.status_code == 201 for r in (days, local, danish, offset))


def test_a_person_is_found_by_name_and_a_typo_gets_a_danish_did_you_mean(client: TestClient) -> None:
    by_name = register(client, person="Psykolog B", start="2027-03-08")
    assert by_name.status_code == 201 and by_name.json()["person"] == "psykolog-b"
    any_case = register(client, person="  psykolog   b ", start="2027-03-09", substitute="psykolog a")
    assert any_case.status_code == 201, any_case.text
    assert (any_case.json()["person"], any_case.json()["substitute"]) == ("psykolog-b", "psykolog-a")
    typo = register(client, person="Leder Baltrop", start="2027-03-08")
    assert typo.status_code == 422 and typo.json()["field"] == "person"
    assert typo.json()["detail"] == "Ingen person hedder 'Leder Baltrop'. Mente du Leder Baltorp?"
    nobody = register(client, person="Zebra", start="2027-03-08")
    assert nobody.json()["detail"] == "Ingen person hedder 'Zebra'."  # no list of ids
    wrong_sub = register(client, start="2027-03-08", substitute="Vikar Nielsen")
    assert wrong_sub.status_code == 422 and wrong_sub.json()["field"] == "substitute"
    assert "Ingen person hedder 'Vikar Nielsen' (i «substitute»)" in wrong_sub.json()["detail"]
    # staff register their own absence only, whether they name the colleague by id or by name
    assert register(client, "psyk-a", person="Psykolog B", start="2027-03-08").status_code == 403
    assert register(client, "psyk-a", person="Psykolog A", start="2027-03-10").status_code == 201


def test_a_duplicate_is_answered_with_the_registered_absence_and_stores_nothing(
    client: TestClient, db: Db
) -> None:
    first = register(client, start="2027-03-08", end="2027-03-10", reason="kursus")
    assert first.status_code == 201 and first.json()["created"] is True and first.json()["message"] is None
    again = register(client, person="Psykolog A", start="2027-03-08T00:00", end="2027-03-11T00:00")
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["message"] == (
        f"Fraværet findes allerede (fravær nr. {first.json()['id']}, 8/3-10/3 2027); "
        "der er ikke oprettet et nyt."
    )
    inside = register(client, start="2027-03-09T09:00", end="2027-03-09T12:00")
    assert inside.status_code == 200 and "ligger inden for fravær nr." in inside.json()["message"]
    assert db.count(Absence) == 1
    other_person = register(client, person="psykolog-b", start="2027-03-08", end="2027-03-10")
    assert other_person.status_code == 201  # a colleague away on the same days is no duplicate


def test_an_overlap_at_one_end_registers_only_the_new_part_and_one_around_is_refused(
    client: TestClient, db: Db
) -> None:
    first = register(client, start="2027-03-08", end="2027-03-10").json()
    longer = register(client, start="2027-03-08", end="2027-03-12")
    assert longer.status_code == 201, longer.text
    body = longer.json()
    assert span(longer) == ("2027-03-11T00:00:00+01:00", "2027-03-13T00:00:00+01:00")  # 11/3-12/3
    assert body["overlaps"] == [first["id"]]
    assert body["message"] == (
        f"Fraværet overlapper fravær nr. {first['id']} (8/3-10/3 2027); kun den nye del, 11/3-12/3 2027, "
        "er registreret."
    )
    around = register(client, start="2027-03-01", end="2027-03-19")
    assert around.status_code == 409 and around.json()["field"] == "start"
    assert "omslutter fravær nr." in around.json()["detail"]
    assert "1/3-7/3 2027" in around.json()["detail"] and "13/3-19/3 2027" in around.json()["detail"]
    assert db.count(Absence) == 2


def test_outside_every_term_end_before_start_and_too_long_are_danish_and_name_the_field(
    client: TestClient,
) -> None:
    summer = register(client, start="2027-07-05", end="2027-07-09")
    assert summer.status_code == 422 and summer.json()["field"] == "start"
    assert summer.json()["detail"] == (
        "Fraværet 5/7-9/7 2027 ligger uden for alle terminer (Forår 2027: 4. januar–26. marts 2027)."
    )
    backwards = register(client, start="2027-03-08T12:00", end="2027-03-08T09:00")
    assert backwards.status_code == 422 and backwards.json()["field"] == "end"
    assert backwards.json()["detail"].startswith("«end» (8/3 2027 09:00) ligger før «start» (8/3 2027 12:00)")
    no_end = register(client, start="2027-03-08T12:00")
    assert no_end.json()["field"] == "end" and "Skriv, hvornår fraværet slutter" in no_end.json()["detail"]
    several = register(client, person="", start="i morgen", reason="x" * 1001)
    assert several.status_code == 422
    problems = several.json()["problems"]
    assert problems == [
        "«reason» må højst være 1000 tegn (der er 1001).",
        "Skriv, hvem der er fraværende.",
        "«start»: 'i morgen' er ikke en dato eller et tidspunkt. Skriv fx 2027-03-08, 8/3 2027 eller "
        "2027-03-08 09:00.",
    ]
    for answer in (summer, backwards, no_end, several):
        assert "pydantic" not in answer.text and "Value error" not in answer.text
