"""Input that brought the service down, through the API on SQLite and PostgreSQL: now 4xx in Danish.

A YAML bomb, 50,000 levels of nesting and 100,000 series are refused at upload; a trailing newline
in a name no longer breaks every ICS feed; a stored config that no longer validates gives its feed
an error body, not a 500.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from api import storage
from api.db import session_scope
from api.isolation import run_isolated
from api.jobs import Worker
from bench.generate import scale_config, to_yaml
from scheduler.config import load_config
from tests.api.test_service import TWO_DISTRICTS, Service, auth
from tests.api.test_service import service as service  # noqa: F401  (the fixture: app, database, worker)

BALLERUP = Path(__file__).resolve().parents[2] / "examples" / "ballerup.yaml"
DEEP = "municipality: X\nstaff: " + "[" * 50_000 + "]" * 50_000 + "\n"
BOMB = "a: &a [" + ", ".join(["x"] * 2000) + "]\nb: [" + ", ".join(["*a"] * 2000) + "]\n"
MANY_SERIES = TWO_DISTRICTS + "".join(
    f"  - {{id: s{i}, type: andet, unit: baltorpskolen, cadence: weekly, chair: leder-baltorp}}\n"
    for i in range(2001)
)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (DEEP, "indlejret mere end 50 niveauer dybt; højst 50 niveauer er tilladt"),
        (BOMB, "når aliaser er foldet ud; højst 500.000 er tilladt"),
        (MANY_SERIES, "series: konfigurationen har 2.003 mødeserier; højst 2.000 er tilladt"),
    ],
    ids=["deep", "alias-bomb", "2003-series"],
)
def test_a_config_over_a_limit_is_a_422_naming_the_limit(service: Service, text: str, problem: str) -> None:
    body = {"name": "angreb", "yaml": text}
    upload = service.client.post("/configs", json=body, headers=auth("admin"))
    assert upload.status_code == 422, upload.text
    assert upload.json()["detail"] == "konfigurationen er ikke gyldig" and upload.json()["field"] == "yaml"
    assert any(problem in p for p in upload.json()["problems"]), upload.json()
    check = service.client.post("/configs/validate", json=body, headers=auth("admin"))
    assert check.status_code == 200 and check.json()["valid"] is False
    assert any(problem in p for p in check.json()["problems"])
    assert service.client.get("/configs", headers=auth("admin")).json() == []
    assert service.client.get("/health").json()["status"] == "ok"


def test_a_text_over_two_megabytes_is_refused_before_it_is_parsed(service: Service) -> None:
    body = {"name": "stor", "yaml": TWO_DISTRICTS + "#" + "x" * 2_000_000}
    answer = service.client.post("/configs", json=body, headers=auth("admin"))
    assert answer.status_code == 422 and answer.json()["field"] == "yaml"


def _feed(service: Service, kind: str, reader: str) -> Any:
    link = service.client.get(f"/calendars/{kind}/{reader}/link", headers=auth("admin"))
    assert link.status_code == 200, link.text
    return service.client.get(link.json()["url"].removeprefix("https://moedeplan.test"))


def test_a_trailing_newline_in_names_no_longer_breaks_every_feed(service: Service) -> None:
    """`name: "Psykolog A\\n"` made X-WR-CALNAME hold a newline: every person's feed was a 500."""
    text = (
        TWO_DISTRICTS.replace("name: Psykolog A,", 'name: "Psykolog A\\n",')
        .replace("{id: baltorp, name: Baltorp}", '{id: baltorp, name: "Baltorp\\n"}')
        .replace("name: Baltorpskolen, kind", 'name: "Baltorpskolen\\r\\n", kind')
    )
    plan = service.solved_plan(service.upload(text))
    service.client.post(f"/plans/{plan['id']}/publish", json={}, headers=auth("admin")).raise_for_status()
    for kind, reader, name in [
        ("person", "psykolog-a", "Psykolog A"),
        ("person", "psykolog-b", "Psykolog B"),
        ("unit", "baltorpskolen", "Baltorpskolen"),
        ("district", "baltorp", "Baltorp"),
    ]:
        feed = _feed(service, kind, reader)
        assert feed.status_code == 200, (kind, reader, feed.text)
        calendar = Calendar.from_ical(feed.content)
        assert str(calendar["X-WR-CALNAME"]) == f"Møder – {name}"
        assert calendar.walk("VEVENT")


def test_control_characters_in_a_title_are_refused_at_upload(service: Service) -> None:
    text = TWO_DISTRICTS.replace(
        "  - id: kk-baltorp\n", '  - id: kk-baltorp\n    title: "KK\\u0007Baltorp"\n'
    )
    answer = service.client.post("/configs", json={"name": "x", "yaml": text}, headers=auth("admin"))
    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        "series[0].title (serien 'kk-baltorp'): teksten må ikke indeholde styretegn som linjeskift "
        "eller tabulator (U+0007 på plads 3)"
    ]


def test_a_feed_of_a_stored_config_that_no_longer_validates_is_an_error_body(service: Service) -> None:
    """A config stored before today's checks (a control character in a name) must not crash feeds."""
    good = service.solved_plan()
    link = service.client.get("/calendars/person/psykolog-a/link", headers=auth("admin")).json()["url"]
    old_text = TWO_DISTRICTS.replace("name: Psykolog A,", 'name: "Psykolog\\u0001A",')
    with session_scope(service.state.sessions) as db:
        old_config = storage.save_config(db, "gammel", old_text, "Kommunens IT", "før kontrollen")
        plan = storage.get_plan(db, good["id"])[1]
        row = storage.save_plan_version(db, old_config, plan, None, "Kommunens IT", "gammel plan")
        storage.publish_plan_version(db, row.id, row.version, "Kommunens IT", "udsendt")
    feed = service.client.get(link.removeprefix("https://moedeplan.test"))
    assert feed.status_code == 409, feed.text
    assert feed.json() == {"detail": "kalenderen kan ikke vises: den gemte konfiguration er ikke gyldig"}
    assert "Psykolog" not in feed.text  # nothing of the config is shown to whoever holds a link
    assert service.client.get("/health").json()["status"] == "ok"


def test_a_feed_for_a_reader_id_that_is_no_id_is_a_422(service: Service) -> None:
    """A reader id that is no id ('x\\n') broke the empty feed's name (500); it is refused first."""
    answer = service.client.get("/calendars/person/x%0A.ics?token=anything")
    assert answer.status_code == 422
    assert json.loads(answer.text)["detail"].startswith("ugyldigt input")


@pytest.mark.workers
@pytest.mark.solve
def test_a_solve_over_its_memory_limit_fails_its_job_and_the_service_goes_on(service: Service) -> None:
    """A solve that needed more memory than the machine had took the server with it (past 5 GB)."""
    # Ballerup ×2 (52 series, 558 meetings) needs a few hundred MB more than an idle child holds;
    # 48 MB more is enough to start and far too little to build its model.
    config_id = service.upload(to_yaml(scale_config(load_config(BALLERUP), 2)), name="ballerup-x2")
    tight = address_space_mb_of_a_child() + 48
    job = service.client.post("/plans/solve", json={"config_id": config_id}, headers=auth("admin")).json()
    settings = service.worker.settings.model_copy(update={"solve_memory_mb": tight})
    assert Worker(service.state.sessions, settings).run_once()
    failed = service.client.get(f"/jobs/{job['id']}", headers=auth("admin")).json()
    assert failed["state"] == "failed", failed
    assert f"mere hukommelse end tilladt ({tight} MB, MOEDEPLAN_SOLVE_MEMORY_MB)" in failed["error"]
    assert failed["error"].startswith("løsningen ")
    assert service.client.get("/health").json()["status"] == "ok"
    # The next job, with the default limit, is planned as before.
    assert service.solved_plan()["status"] in ("OPTIMAL", "FEASIBLE")


def address_space_mb_of_a_child() -> int:
    from tests.api.test_isolation import address_space_mb

    return run_isolated(address_space_mb, memory_mb=4096)


def test_json_nested_too_deep_for_the_parser_is_a_danish_400(service: Service) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    for path in ("/configs", "/absences", "/plans/solve"):
        answer = service.client.post(
            path, content=nested, headers={**auth("admin"), "Content-Type": "application/json"}
        )
        assert answer.status_code == 400
        assert answer.json() == {
            "detail": "forespørgslens indhold kunne ikke læses (ugyldig eller for dybt indlejret JSON)"
        }
    assert service.client.get("/ingen-side").json() == {"detail": "findes ikke"}
    assert service.client.get("/health").json()["status"] == "ok"
