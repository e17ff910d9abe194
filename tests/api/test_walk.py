"""Issue 13's walk, end to end through the real API: the live plan is sacred.

The API runs as a real HTTP server (tests/api/live.py) on SQLite and on PostgreSQL, publishing to
the ICS back-end; every message a publish sends is counted in the delivery ledger. The walk:
publish v1 with its counted preview confirmed; a broken config's solve fails and leaves v1 in
charge; an absence is answered from v1 and its accepted proposal sends exactly what its "Får
besked" list promised; a re-solve of the unchanged config changes nothing and sends nothing; a
Baltorp leader's solve changes only Baltorp's meetings and reaches only their people; a Baltorp
leader may not solve the whole municipality.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calendar_sync.ledger import Delivery, Ledger
from calendar_sync.settings import CalendarSettings
from tests.api.databases import Db
from tests.api.live import TWO_DISTRICTS, Live, auth, live_service, with_emails

pytestmark = pytest.mark.solve

CONFIG = with_emails(TWO_DISTRICTS)

BROKEN = CONFIG.replace(
    "roles: [psykolog], serves: {all: true}}",
    'roles: [psykolog], serves: {all: true}, working_hours: {wed: "08:00-12:00"}}',
)
"""Both psychologists work Wednesday mornings only; the schools meet in the afternoon: no plan."""

THURSDAYS = CONFIG.replace("preferred_weekdays: [tue]", "preferred_weekdays: [thu]")
"""Both schools now prefer Thursdays: a fresh solve moves every meeting of both districts."""


@pytest.fixture
def live(db: Db, tmp_path: Path) -> Iterator[Live]:
    calendar = CalendarSettings(
        calendar_backend="ics", ics_directory=tmp_path / "ics", ledger_path=tmp_path / "ledger.sqlite3"
    )
    with live_service(db.url, calendar) as service:
        yield service


def get(live: Live, path: str, who: str = "admin") -> Any:
    response = live.client.get(path, headers=auth(who))
    assert response.status_code == 200, response.text
    return response.json()


def solve(live: Live, who: str, **body: Any) -> dict[str, Any]:
    """The finished job (done or failed) of a solve that `who` asked for."""
    job = live.client.post("/plans/solve", json=body, headers=auth(who))
    assert job.status_code == 202, job.text
    live.run_jobs()
    return dict(get(live, f"/jobs/{job.json()['id']}", who))


def solved(live: Live, who: str, **body: Any) -> dict[str, Any]:
    job = solve(live, who, **body)
    assert job["state"] == "done", job
    return live.plan(int(job["plan_id"]))


def deliveries(live: Live) -> list[Delivery]:
    with Ledger(live.state.calendar.ledger_path) as ledger:
        return ledger.deliveries("ics")


def publish_as_shown(live: Live, plan_id: int, who: str = "admin") -> tuple[dict[str, Any], list[Delivery]]:
    """Publish after the preview, confirming its count and fingerprint: (the answer, what it sent)."""
    preview = get(live, f"/plans/{plan_id}/preview", who)
    assert preview["messages"] == sum(p["messages"] for p in preview["people"])
    before = len(deliveries(live))
    body = {"expected_messages": preview["messages"], "expected_preview": preview["fingerprint"]}
    answer = live.client.post(f"/plans/{plan_id}/publish", json=body, headers=auth(who))
    assert answer.status_code == 200, answer.text
    published = answer.json()
    sent = deliveries(live)[before:]
    assert published["messages"] == preview["messages"] == len(sent)
    assert all(d.state == "done" for d in sent)
    assert {d.recipient for d in sent} == {p["person"] for p in preview["people"]}
    return published, sent


def people_of(changes: list[dict[str, Any]]) -> set[str]:
    return {a["person"] for c in changes for a in [*c["before_attendees"], *c["after_attendees"]]}


def hers(plan: dict[str, Any], person: str) -> list[dict[str, Any]]:
    return [m for m in plan["meetings"] if any(a["person"] == person for a in m["attendees"])]


# --------------------------------------------------------------------------- a solve's parent


def test_a_solve_starts_from_the_live_plan_not_from_a_newer_draft(live: Live) -> None:
    """With a live plan and a newer draft, a solve's draft descends from the live plan (and a
    re-solve of the live plan's config is the live plan again); a what-if keeps its base."""
    config_id = live.upload(CONFIG)
    v1 = solved(live, "admin", config_id=config_id)
    publish_as_shown(live, v1["id"])
    draft = solved(live, "admin", config_id=live.upload(THURSDAYS), fresh=True)
    assert draft["parent_id"] == v1["id"] and get(live, f"/plans/{draft['id']}/diff")
    again = solved(live, "admin", config_id=config_id)
    assert again["parent_id"] == v1["id"], "a solve descends from the live plan, not the newest draft"
    assert get(live, f"/plans/{again['id']}/diff") == []
    job = live.client.post(
        f"/plans/{draft['id']}/what-if", json={"config_id": config_id}, headers=auth("admin")
    )
    assert job.status_code == 202, job.text
    live.run_jobs()
    done = get(live, f"/jobs/{job.json()['id']}")
    assert done["state"] == "done", done
    assert live.plan(int(done["plan_id"]))["parent_id"] == draft["id"]
