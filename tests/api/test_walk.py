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

from collections import Counter
from typing import Any

import pytest

from calendar_sync.ledger import Delivery, Ledger
from tests.api.live import TERM, TWO_DISTRICTS, Live, auth, with_emails

pytestmark = pytest.mark.solve

CONFIG = with_emails(TWO_DISTRICTS)

BROKEN = CONFIG.replace(
    "roles: [psykolog], serves: {all: true}}",
    'roles: [psykolog], serves: {all: true}, working_hours: {wed: "08:00-12:00"}}',
)
"""Both psychologists work Wednesday mornings only; the schools meet in the afternoon: no plan."""

THURSDAYS = CONFIG.replace("preferred_weekdays: [tue]", "preferred_weekdays: [thu]")
"""Both schools now prefer Thursdays: a fresh solve moves every meeting of both districts."""



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


# --------------------------------------------------------------------------- the walk


def test_the_walk(live: Live) -> None:
    config_id = live.upload(CONFIG)

    # 1. v1: the preview counts what the first publish sends; it is confirmed and sent exactly.
    v1 = solved(live, "admin", config_id=config_id)
    published, sent = publish_as_shown(live, v1["id"])
    assert published["messages"] > 0
    assert get(live, f"/plans/{v1['id']}")["state"] == "published"
    her_count = len(hers(v1, "psykolog-a"))
    assert her_count > 0

    # 2. A broken config's solve fails, in Danish, and stores nothing; v1 still answers.
    failed = solve(live, "baltorp", config_id=live.upload(BROKEN))
    assert failed["state"] == "failed" and failed["plan_id"] is None
    headline, *reasons = failed["error"].splitlines()
    assert "Der findes ingen plan" in headline and "ikke gemt nogen ny version" in headline
    assert reasons and any("Psykolog" in r for r in reasons), reasons
    assert [v["id"] for v in get(live, f"/plans?term={TERM}")] == [v1["id"]]
    mine = get(live, f"/plans/live?term={TERM}", "psyk-a")
    assert mine["id"] == v1["id"] and len(mine["meetings"]) == her_count
    assert len(get(live, f"/plans/{v1['id']}?person=psykolog-a", "psyk-a")["meetings"]) == her_count

    # 3. Her absence is answered from v1; the accepted proposal sends exactly what it showed.
    # (Before the re-solve of step 4: an absence enters every later solve of the config, so after
    # it the config is not "unchanged" against v1 but against the plan the absence's change made.)
    meeting = hers(v1, "psykolog-a")[2]
    day = meeting["start"][:10]
    body = {"person": "psykolog-a", "start": f"{day}T08:00:00+01:00", "end": f"{day}T18:00:00+01:00"}
    registered = live.client.post("/absences", json=body, headers=auth("psyk-a"))
    assert registered.status_code == 201, registered.text
    absence = registered.json()
    assert absence["plan_id"] == v1["id"] and absence["proposals"], absence
    best = absence["proposals"][0]
    told = set(best["notified"])
    assert told == people_of(best["changes"]) and best["changed_meetings"] == len(best["changes"]) >= 1
    # One message per person per changed meeting: "Får besked", counted.
    messages = Counter(person for c in best["changes"] for person in people_of([c]))
    before = len(deliveries(live))
    accepted = live.client.post(
        f"/absences/{absence['id']}/proposals/{best['id']}/accept",
        headers={**auth("admin"), "If-Match": f'"{best["version"]}"'},
    )
    assert accepted.status_code == 201, accepted.text
    change = accepted.json()
    assert change["published"] is True and change["plan"]["parent_id"] == v1["id"]
    assert set(change["notified"]) == told and set(change["sent_to"]) == told
    sent = deliveries(live)[before:]
    assert Counter(d.recipient for d in sent) == messages
    v2 = change["plan"]
    assert get(live, f"/plans/{v2['id']}/preview")["messages"] == 0  # all of it went out

    # 4. A re-solve of the unchanged config gives the live plan back: 0 changed, 0 sent.
    again = solved(live, "admin", config_id=config_id)
    assert again["parent_id"] == v2["id"] and again["state"] == "draft"
    assert get(live, f"/plans/{again['id']}/diff") == []
    assert again["stats"]["changed_meetings"] == 0 and again["stats"]["notified_people"] == 0
    published, sent = publish_as_shown(live, again["id"])
    assert published["messages"] == 0 and sent == []
    live_id = again["id"]

    # 5. A Baltorp leader's solve changes only Baltorp's meetings (the same solve by an admin
    # changes Skovlunde's too), and its publish reaches only the people of what changed.
    thursdays = live.upload(THURSDAYS)
    everywhere = solved(live, "admin", config_id=thursdays, fresh=True)
    assert {c["series"] for c in get(live, f"/plans/{everywhere['id']}/diff")} == {
        "kk-baltorp",
        "kk-skovlunde",
    }
    discarded = live.client.post(f"/plans/{everywhere['id']}/discard", json={}, headers=auth("admin"))
    assert discarded.status_code == 200, discarded.text
    baltorp = solved(live, "baltorp", config_id=thursdays, fresh=True)
    assert baltorp["parent_id"] == live_id
    changes = get(live, f"/plans/{baltorp['id']}/diff", "baltorp")
    assert changes and {c["series"] for c in changes} == {"kk-baltorp"}
    published, sent = publish_as_shown(live, baltorp["id"], "baltorp")
    assert {d.recipient for d in sent} <= people_of(changes)
    assert sent and {d.uid.split(".", 1)[0] for d in sent} == {"kk-baltorp"}  # the series' items
    assert "leder-skovlunde" not in published["recipients_list"]
    now_live = get(live, f"/plans/live?term={TERM}")
    assert now_live["id"] == baltorp["id"]
    assert [m for m in now_live["meetings"] if m["series"] == "kk-skovlunde"] == [
        m for m in live.plan(live_id)["meetings"] if m["series"] == "kk-skovlunde"
    ]

    # 6. The whole municipality is not a Baltorp leader's to solve.
    refused = live.client.post(
        "/plans/solve", json={"config_id": thursdays, "municipality_wide": True}, headers=auth("baltorp")
    )
    assert refused.status_code == 403 and "hele kommunen" in refused.json()["detail"], refused.text
    elsewhere = {"config_id": thursdays, "districts": ["skovlunde"]}
    other = live.client.post("/plans/solve", json=elsewhere, headers=auth("baltorp"))
    assert other.status_code == 403 and "Skovlunde" in other.json()["detail"], other.text
    assert [
        v["id"] for v in get(live, f"/plans?term={TERM}&state=draft")
    ] == []  # nothing queued, nothing made
