"""The API through httpx (FastAPI's TestClient), on SQLite and on PostgreSQL.

Real parts: the app, its storage on a real database, the real solver and replanner, the ICS
back-end writing files. Jobs are run by the same `Worker` the server runs, called here one job
at a time so a test knows when a solve is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from pydantic import SecretStr
from sqlalchemy import select

from api import storage
from api.app import create_app
from api.deps import AppState
from api.jobs import Worker
from api.orm import Absence
from api.settings import AppSettings
from calendar_sync.settings import CalendarSettings
from tests.api.databases import Db
from tests.builders import TERM, TWO_DISTRICTS, at_time, auth, directory


@dataclass
class Service:
    client: TestClient
    state: AppState
    worker: Worker

    def get(self, path: str, who: str) -> Any:
        return self.client.get(path, headers=auth(who))

    def run_jobs(self) -> None:
        while self.worker.run_once():
            pass

    def upload(self, yaml_text: str = TWO_DISTRICTS, name: str = "test") -> int:
        response = self.client.post("/configs", json={"name": name, "yaml": yaml_text}, headers=auth("admin"))
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def solved_plan(self, config_id: int | None = None) -> dict[str, Any]:
        config_id = config_id or self.upload()
        job = self.client.post("/plans/solve", json={"config_id": config_id}, headers=auth("baltorp"))
        assert job.status_code == 202, job.text
        self.run_jobs()
        done = self.client.get(f"/jobs/{job.json()['id']}", headers=auth("baltorp")).json()
        assert done["state"] == "done", done
        plan_id = done["plan_id"]
        assert done["result"] == f"plan_version:{plan_id}"  # the older, documented field, kept
        plan = self.client.get(f"/plans/{plan_id}", headers=auth("admin"))
        assert plan.status_code == 200
        return dict(plan.json())


@pytest.fixture
def service(db: Db, tmp_path: Path) -> Iterator[Service]:
    settings = AppSettings(
        database_url=db.url,
        run_worker=False,
        job_queue="embedded",  # jobs are run by the test itself (procrastinate: test_worker_processes)
        feed_secret=SecretStr("test-feed-secret-of-at-least-32-characters"),
        public_url="https://moedeplan.test",
        replan_time_limit=5.0,
        solve_time_limit=10.0,
    )
    users = directory()
    state = AppState.open(settings, users)
    state.calendar = CalendarSettings(
        calendar_backend="ics", ics_directory=tmp_path / "ics", ledger_path=tmp_path / "ledger.sqlite3"
    )
    with TestClient(create_app(settings, state=state)) as client:
        yield Service(client, state, Worker(state.sessions, settings))
    state.sessions.kw["bind"].dispose()


def meetings_of(plan: dict[str, Any], series: str) -> list[dict[str, Any]]:
    return [m for m in plan["meetings"] if m["series"] == series]


# --------------------------------------------------------------------------- basics


def test_health_needs_no_login_and_everything_else_does(service: Service) -> None:
    assert service.client.get("/health").json() == {"status": "ok", "database": "ok"}
    response = service.client.get("/plans")
    assert response.status_code == 401
    assert "token" in response.json()["detail"]
    assert service.client.get("/plans", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_config_upload_is_for_admins_and_names_every_problem(service: Service) -> None:
    body = {"name": "test", "yaml": TWO_DISTRICTS}
    assert service.client.post("/configs", json=body, headers=auth("baltorp")).status_code == 403
    broken = TWO_DISTRICTS.replace("roles: [psykolog]", "roles: [psykolg]", 1)
    response = service.client.post("/configs", json={"name": "x", "yaml": broken}, headers=auth("admin"))
    assert response.status_code == 422
    assert any("staff[2].roles[0]" in p and "psykolog" in p for p in response.json()["problems"])
    body = {"name": "x", "yaml": broken}
    check = service.client.post("/configs/validate", json=body, headers=auth("baltorp"))
    assert check.json()["valid"] is False
    config_id = service.upload()
    listed = service.client.get("/configs", headers=auth("baltorp")).json()
    assert [c["id"] for c in listed] == [config_id]
    assert listed[0]["terms"] == [TERM] and listed[0]["created_by"] == "Kommunens IT"


def test_bad_input_gets_a_4xx_naming_the_field(service: Service) -> None:
    response = service.client.post(
        "/absences",
        json={"person": "psykolog-a", "start": "2027-01-12T12:00+01:00", "end": "2027-01-12T08:00+01:00"},
        headers=auth("psyk-a"),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "end"
    response = service.client.post(
        "/absences",
        json={"person": "psykolog-a", "start": "12/13 2027", "end": "2027-01-12T18:00:00+01:00"},
        headers=auth("psyk-a"),
    )
    assert response.status_code == 422 and response.json()["field"] == "start"  # no such date
    assert "'12/13 2027' er ikke en dato" in response.json()["detail"]
    assert service.get("/plans/999", "admin").status_code == 404
    missing = service.client.post("/plans/solve", json={"config_id": 5}, headers=auth("admin"))
    assert missing.status_code == 404


# --------------------------------------------------------------------------- solving and reading


def test_a_solve_runs_as_a_job_and_the_plan_reads_per_district_and_person(service: Service) -> None:
    plan = service.solved_plan()
    assert plan["status"] in ("OPTIMAL", "FEASIBLE")
    # two fortnightly series, six fortnights each; the vinterferie fortnight meets unless the
    # series' week is the closed one (then it is listed as skipped)
    assert len(plan["meetings"]) + len(plan["skipped"]) == 12 and plan["parent_id"] is None
    assert all(s["reason"] == "udgår: Vinterferie" for s in plan["skipped"])
    baltorp = service.client.get(f"/plans/{plan['id']}?district=baltorp", headers=auth("baltorp")).json()
    assert {m["unit"] for m in baltorp["meetings"]} == {"baltorpskolen"}
    mine = service.client.get(f"/plans/{plan['id']}", headers=auth("psyk-a"))
    assert mine.headers["ETag"] == f'"{plan["version"]}"'
    people = [{a["person"] for a in m["attendees"]} for m in mine.json()["meetings"]]
    assert people and all("psykolog-a" in p for p in people)
    other = service.client.get(f"/plans/{plan['id']}?person=psykolog-b", headers=auth("psyk-a"))
    assert other.status_code == 403


def test_why_a_meeting_sits_where_it_does(service: Service) -> None:
    plan = service.solved_plan()
    uid = meetings_of(plan, "kk-baltorp")[0]["uid"]
    response = service.client.get(f"/plans/{plan['id']}/meetings/{uid}/why", headers=auth("baltorp"))
    assert response.status_code == 200
    reasons = response.json()["reasons"]
    assert "Serien holdes" in reasons[0]
    assert any("udelukkes" in r for r in reasons)  # e.g. outside the 12:30-16:00 window
    assert service.get(f"/plans/{plan['id']}/meetings/nope/why", "baltorp").status_code == 404


IMPOSSIBLE = TWO_DISTRICTS.replace(
    "roles: [psykolog], serves: {all: true}}",
    'roles: [psykolog], serves: {all: true}, working_hours: {wed: "08:00-12:00"}}',
)
"""Both psychologists work Wednesday mornings only; the schools meet in the afternoon: no plan."""


def solve_job(service: Service, config_id: int) -> dict[str, Any]:
    """Solve a config through the API and return the finished job (done or failed)."""
    job = service.client.post("/plans/solve", json={"config_id": config_id}, headers=auth("baltorp"))
    assert job.status_code == 202, job.text
    service.run_jobs()
    return dict(service.get(f"/jobs/{job.json()['id']}", "baltorp").json())


def test_a_failed_solve_explains_itself_and_stores_no_plan(service: Service) -> None:
    job = solve_job(service, service.upload(IMPOSSIBLE))
    assert job["state"] == "failed" and job["plan_id"] is None and job["result"] is None
    headline, *reasons = job["error"].splitlines()
    assert "ingen plan" in headline and "ikke gemt" in headline
    assert len(reasons) > 1 and any("Psykolog" in r for r in reasons), reasons
    assert service.get("/plans", "admin").json() == []


def test_a_failed_solve_leaves_the_plan_that_was_there(service: Service) -> None:
    first = service.solved_plan()
    failed = solve_job(service, service.upload(IMPOSSIBLE))
    assert failed["state"] == "failed" and failed["plan_id"] is None
    assert [v["id"] for v in service.get(f"/plans?term={TERM}", "admin").json()] == [first["id"]]
    # An absence of someone with meetings is answered from the first plan, not "nothing to change".
    meeting = meetings_of(first, "kk-baltorp")[2]
    absent = next(a["person"] for a in meeting["attendees"] if a["role"] == "psykolog")
    body = {"person": absent, **_afternoon(meeting)}
    answer = service.client.post("/absences", json=body, headers=auth("admin")).json()
    assert answer["plan_id"] == first["id"] and answer["proposals"], answer
    mine = service.client.get(f"/plans/{first['id']}?person={absent}", headers=auth("admin")).json()
    assert mine["meetings"]


def test_an_absence_nobody_can_cover_gets_a_partial_proposal_and_the_re_solve_a_partial_draft(
    service: Service,
) -> None:
    """Issue 14: the Baltorp leader chairs every Baltorp conference and is away the last fortnight:
    no proposal covers it, yet the leader gets one that keeps every other meeting, the conference
    listed with the reason; a re-solve from the live plan stores a PARTIAL draft with the list;
    a psychologist's own view of that draft shows neither the list nor its reasons."""
    plan = service.solved_plan()
    assert (
        service.client.post(f"/plans/{plan['id']}/publish", json={}, headers=auth("admin")).status_code == 200
    )
    last = meetings_of(plan, "kk-baltorp")[-1]
    body = {
        "person": "leder-baltorp",
        "start": "2027-03-15T00:00:00+01:00",
        "end": "2027-03-27T00:00:00+01:00",
    }
    answer = service.client.post("/absences", json=body, headers=auth("baltorp"))
    assert answer.status_code == 201, answer.text
    absence = answer.json()
    assert absence["no_proposal"][0].startswith("Der er intet forslag, der dækker Leder Baltorps fravær")
    [proposal] = absence["proposals"]
    assert [(c["uid"], c["what"]) for c in proposal["changes"]] == [(last["uid"], "removed")]
    [unplaced] = proposal["unplaced"]
    assert (unplaced["series"], unplaced["occurrence"]) == ("kk-baltorp", last["occurrence"])
    assert unplaced["reason_da"][0].startswith("Koordineringskonference")
    assert "Leder Baltorp" in unplaced["reason_da"][0], unplaced
    assert absence["state"] == "open"
    # the re-solve (a job) starts from the live plan and keeps what it can: a PARTIAL draft
    job = solve_job(service, plan["config_id"])
    assert job["state"] == "done", job
    draft = service.get(f"/plans/{job['plan_id']}", "admin").json()
    assert draft["status"] == "PARTIAL" and draft["parent_id"] == plan["id"]
    assert draft["published_at"] is None
    assert [(u["series"], u["occurrence"]) for u in draft["unplaced"]] == [("kk-baltorp", last["occurrence"])]
    kept = {m["uid"]: (m["start"], m["attendees"]) for m in draft["meetings"]}
    assert kept == {
        m["uid"]: (m["start"], m["attendees"]) for m in plan["meetings"] if m["uid"] != last["uid"]
    }
    reason_line = f"- {draft['unplaced'][0]['reason_da'][0]}"
    assert (
        draft["explanation"][0].endswith("er planlagt. Disse mangler:")
        and reason_line in draft["explanation"]
    )
    assert draft["stats"]["changed_meetings"] == 1
    # a person's own view: no list, and no reason naming a colleague's absence in the explanation
    mine = service.get(f"/plans/{job['plan_id']}", "psyk-a").json()
    assert mine["unplaced"] == [] and reason_line not in mine["explanation"]
    assert mine["explanation"] and all("Leder Baltorp" not in line for line in mine["explanation"])
    assert mine["explanation"][0].endswith("er planlagt.")
    skovlunde = service.get(f"/plans/{job['plan_id']}?district=skovlunde", "skovlunde").json()
    assert skovlunde["unplaced"] == [] and reason_line not in skovlunde["explanation"]
    # staff see their own absence's proposals without the list
    staff = service.client.post(
        "/absences", json={**body, "person": "psykolog-a"}, headers=auth("psyk-a")
    ).json()
    assert all(p["unplaced"] == [] for p in staff["proposals"])
    # accepting the partial proposal makes it the (live) plan like any other
    path = f"/absences/{absence['id']}/proposals/{proposal['id']}/accept"
    accepted = service.client.post(path, headers={**auth("baltorp"), "If-Match": f'"{proposal["version"]}"'})
    assert accepted.status_code == 201, accepted.text
    new = service.get(f"/plans/{accepted.json()['plan']['id']}", "admin").json()
    assert new["status"] == "PARTIAL" and len(new["unplaced"]) == 1


# --------------------------------------------------------------------------- roles and concurrency


def test_a_baltorp_leader_cannot_lock_or_move_a_skovlunde_meeting(service: Service) -> None:
    plan = service.solved_plan()
    skovlunde = meetings_of(plan, "kk-skovlunde")[2]
    base = f"/plans/{plan['id']}/meetings/{skovlunde['uid']}"
    assert service.client.put(f"{base}/lock", json={}, headers=auth("baltorp")).status_code == 403
    move = {"start": skovlunde["start"].replace("12:30", "13:30")}
    headers = {**auth("baltorp"), "If-Match": f'"{plan["version"]}"'}
    assert service.client.post(f"{base}/move", json=move, headers=headers).status_code == 403
    assert service.client.put(f"{base}/lock", json={}, headers=auth("psyk-b")).status_code == 403
    assert service.client.put(f"{base}/lock", json={}, headers=auth("hr")).status_code == 403
    assert service.client.put(f"{base}/lock", json={}, headers=auth("skovlunde")).status_code == 201


def test_lock_unlock_with_etags(service: Service) -> None:
    plan = service.solved_plan()
    uid = meetings_of(plan, "kk-baltorp")[1]["uid"]
    base = f"/plans/{plan['id']}/meetings/{uid}/lock"
    locked = service.client.put(base, json={"reason": "rektor deltager"}, headers=auth("baltorp"))
    assert locked.status_code == 201
    tag = locked.headers["ETag"]
    assert service.client.put(base, json={}, headers=auth("admin")).status_code == 409
    assert service.client.delete(base, headers=auth("baltorp")).status_code == 428
    assert service.client.delete(base, headers={**auth("baltorp"), "If-Match": '"99"'}).status_code == 412
    assert service.client.delete(base, headers={**auth("baltorp"), "If-Match": tag}).status_code == 204
    assert service.client.delete(base, headers={**auth("baltorp"), "If-Match": tag}).status_code == 404


def test_a_move_makes_a_new_version_and_a_second_leader_cannot_undo_it(service: Service) -> None:
    plan = service.solved_plan()
    meeting = meetings_of(plan, "kk-baltorp")[3]
    path = f"/plans/{plan['id']}/meetings/{meeting['uid']}/move"
    later = at_time(meeting["start"], "14:00", unless="12:30")
    tag = {"If-Match": f'"{plan["version"]}"'}
    assert service.client.post(path, json={"start": later}, headers=auth("baltorp")).status_code == 428
    body = {"start": later, "reason": "skolefest"}
    moved = service.client.post(path, json=body, headers={**auth("baltorp"), **tag})
    assert moved.status_code == 201, moved.text
    body = moved.json()
    assert body["plan"]["parent_id"] == plan["id"]
    assert [c["uid"] for c in body["changes"]] == [meeting["uid"]]
    assert set(body["notified"]) == {a["person"] for a in meeting["attendees"]}
    new_plan = service.client.get(f"/plans/{body['plan']['id']}", headers=auth("admin")).json()
    assert next(m for m in new_plan["meetings"] if m["uid"] == meeting["uid"])["start"].startswith(later[:16])
    # The admin, still looking at the old version, moves it back: refused, nothing lost.
    back = service.client.post(path, json={"start": meeting["start"]}, headers={**auth("admin"), **tag})
    assert back.status_code == 412
    assert "ikke længere den aktuelle" in back.json()["detail"]


def test_a_move_that_breaks_a_rule_is_refused_with_the_rule(service: Service) -> None:
    plan = service.solved_plan()
    meeting = meetings_of(plan, "kk-baltorp")[0]
    path = f"/plans/{plan['id']}/meetings/{meeting['uid']}/move"
    headers = {**auth("baltorp"), "If-Match": f'"{plan["version"]}"'}
    response = service.client.post(
        path, json={"start": at_time(meeting["start"], "08:00")}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["field"] == "start" and "kan ikke flyttes" in response.json()["detail"]
    lock = service.client.put(path.replace("/move", "/lock"), json={}, headers=auth("baltorp"))
    assert lock.status_code == 201
    response = service.client.post(
        path, json={"start": at_time(meeting["start"], "13:30", unless="14:00")}, headers=headers
    )
    assert response.status_code == 422 and "låst" in response.json()["detail"]


def test_a_publish_sends_only_what_its_preview_showed_or_is_refused_naming_the_new_count(
    service: Service,
) -> None:
    """The preview's count and fingerprint confirm a publish; a publish that would now send
    something else is refused (409, Danish, naming the new count) before anything is committed."""
    plan = service.solved_plan()
    shown = service.client.get(f"/plans/{plan['id']}/preview", headers=auth("admin"))
    assert shown.status_code == 200, shown.text
    preview = shown.json()
    assert preview["messages"] > 0 and preview["messages"] == sum(p["messages"] for p in preview["people"])
    assert all(set(p["reasons"]) == {"new"} for p in preview["people"])  # a first publish: all new
    count = preview["messages"]
    refused = service.client.post(
        f"/plans/{plan['id']}/publish", json={"expected_messages": count + 1}, headers=auth("admin")
    )
    assert refused.status_code == 409, refused.text
    assert f"ville nu sende {count} beskeder, ikke de {count + 1}, der blev vist" in refused.json()["detail"]
    wrong = service.client.post(
        f"/plans/{plan['id']}/publish",
        json={"expected_messages": count, "expected_preview": "0" * 64},
        headers=auth("admin"),
    )
    assert wrong.status_code == 409 and "andre" in wrong.json()["detail"]
    assert (
        service.client.get(f"/plans/{plan['id']}/delivery", headers=auth("admin")).json()["published"]
        is False
    )
    published = service.client.post(
        f"/plans/{plan['id']}/publish",
        json={"expected_messages": count, "expected_preview": preview["fingerprint"]},
        headers=auth("admin"),
    )
    assert published.status_code == 200, published.text
    assert published.json()["messages"] == count
    after = service.client.get(f"/plans/{plan['id']}/preview", headers=auth("admin")).json()
    assert after["messages"] == 0 and after["people"] == []


# --------------------------------------------------------------------------- absences


def _afternoon(meeting: dict[str, Any]) -> dict[str, str]:
    day = meeting["start"][:10]
    return {"start": f"{day}T08:00:00+01:00", "end": f"{day}T18:00:00+01:00"}


def test_an_absence_gets_ranked_proposals_and_accepting_one_notifies_only_those_affected(
    service: Service,
) -> None:
    plan = service.solved_plan()
    published = service.client.post(f"/plans/{plan['id']}/publish", json={}, headers=auth("admin"))
    assert published.status_code == 200, published.text
    assert published.json()["messages"] > 0
    meeting = meetings_of(plan, "kk-baltorp")[2]
    absent = next(a["person"] for a in meeting["attendees"] if a["role"] == "psykolog")
    staff_key = "psyk-a" if absent == "psykolog-a" else "psyk-b"
    other_key = "psyk-b" if staff_key == "psyk-a" else "psyk-a"
    body = {"person": absent, **_afternoon(meeting), "reason": "kursus"}
    assert service.client.post("/absences", json=body, headers=auth(other_key)).status_code == 403
    registered = service.client.post("/absences", json=body, headers=auth(staff_key))
    assert registered.status_code == 201, registered.text
    absence = registered.json()
    assert "reason" not in absence and "kursus" not in registered.text
    proposals = absence["proposals"]
    assert proposals and [p["rank"] for p in proposals] == list(range(1, len(proposals) + 1))
    best = proposals[0]
    # Known minimum: the absence touches one meeting (both schools meet at once that day, so the
    # other psychologist is busy); the best proposal changes exactly that one.
    assert best["changed_meetings"] == 1
    assert [c["uid"] for c in best["changes"]] == [meeting["uid"]]
    touched = {a["person"] for a in meeting["attendees"]}
    assert set(best["notified"]) <= touched | {"psykolog-a", "psykolog-b"}
    # Nothing was sent yet, and staff cannot accept.
    path = f"/absences/{absence['id']}/proposals/{best['id']}/accept"
    assert service.client.post(path, headers={**auth(staff_key), "If-Match": '"1"'}).status_code == 403
    assert service.client.post(path, headers=auth("baltorp")).status_code == 428
    accepted = service.client.post(path, headers={**auth("baltorp"), "If-Match": f'"{best["version"]}"'})
    assert accepted.status_code == 201, accepted.text
    change = accepted.json()
    assert change["published"] is True and change["plan"]["parent_id"] == plan["id"]
    assert change["sent_to"] and set(change["sent_to"]) <= set(best["notified"])
    again = service.client.post(path, headers={**auth("baltorp"), "If-Match": f'"{best["version"]}"'})
    assert again.status_code in (409, 412)
    state = service.client.get(f"/absences/{absence['id']}", headers=auth(staff_key)).json()
    assert state["state"] == "resolved"
    assert service.client.get(f"/absences/{absence['id']}", headers=auth(other_key)).status_code == 403
    with service.state.sessions() as db:
        actions = [e.action for e in storage.audit_trail(db)]
    assert {"absence.create", "proposal.accept", "plan.save", "plan.publish"} <= set(actions)


def test_a_service_token_registers_absences_for_anyone(service: Service) -> None:
    plan = service.solved_plan()
    meeting = meetings_of(plan, "kk-skovlunde")[1]
    body = {"person": "leder-skovlunde", **_afternoon(meeting)}
    response = service.client.post("/absences", json=body, headers=auth("hr"))
    assert response.status_code == 201, response.text
    assert response.json()["proposals"] or response.json()["no_proposal"]
    unknown = service.client.post("/absences", json={**body, "person": "nobody"}, headers=auth("hr"))
    assert unknown.status_code == 422 and unknown.json()["field"] == "person"


WITH_VIKAR = TWO_DISTRICTS.replace(
    "  - {id: psykolog-a,",
    "  - {id: vikar, name: Vikar, roles: [paedagogisk_leder], serves: {units: []}}\n  - {id: psykolog-a,",
)


def test_an_absence_with_a_named_substitute_is_covered_by_them_first(service: Service) -> None:
    plan = service.solved_plan(service.upload(WITH_VIKAR))
    meeting = meetings_of(plan, "kk-baltorp")[2]
    body = {"person": "leder-baltorp", **_afternoon(meeting), "substitute": "vikar"}
    answer = service.client.post("/absences", json=body, headers=auth("baltorp"))
    assert answer.status_code == 201, answer.text
    best = answer.json()["proposals"][0]
    # The chair is a named seat: without a substitute the meeting would have to move.
    assert best["kind"] == "substitute" and best["changed_meetings"] == 1, best
    (change,) = best["changes"]
    assert change["uid"] == meeting["uid"] and change["after_start"] == change["before_start"]
    assert ("vikar", "chair") in {(a["person"], a["seat"]) for a in change["after_attendees"]}
    assert answer.json()["substitute"] == "vikar"
    # Accepting stores the plan; it verifies against the config read back with the stored absence.
    path = f"/absences/{answer.json()['id']}/proposals/{best['id']}/accept"
    accepted = service.client.post(path, headers={**auth("baltorp"), "If-Match": f'"{best["version"]}"'})
    assert accepted.status_code == 201, accepted.text
    later = service.get(f"/plans/{accepted.json()['plan']['id']}", "admin").json()
    moved = next(m for m in later["meetings"] if m["uid"] == meeting["uid"])
    assert ("vikar", "chair") in {(a["person"], a["seat"]) for a in moved["attendees"]}
    published = service.client.post(f"/plans/{later['id']}/publish", json={}, headers=auth("admin"))
    assert published.status_code == 200, published.text
    # A move by hand is checked against the config with the stored absence and its substitute.
    current = service.get(f"/plans/{later['id']}", "admin").json()
    path = f"/plans/{later['id']}/meetings/{meeting['uid']}/move"
    clock = moved["start"][11:16]
    tries = [
        moved["start"].replace(f"T{clock}", f"T{c}")
        for c in ("12:30", "13:00", "13:30", "14:00")
        if c != clock
    ]
    tag = {**auth("baltorp"), "If-Match": f'"{current["version"]}"'}
    answers = [service.client.post(path, json={"start": start}, headers=tag) for start in tries]
    assert any(a.status_code == 201 for a in answers), [a.text for a in answers]
    other = {**body, "substitute": "psykolog-a"}
    wrong = service.client.post("/absences", json=other, headers=auth("baltorp"))
    assert wrong.status_code == 422 and wrong.json()["field"] == "substitute", wrong.text
    assert "ingen rolle til fælles" in wrong.text


# --------------------------------------------------------------------------- calendars


def test_feeds_need_their_token_and_staff_get_only_their_own_link(service: Service) -> None:
    plan = service.solved_plan()
    link = service.client.get("/calendars/person/psykolog-a/link", headers=auth("psyk-a"))
    assert link.status_code == 200
    assert service.get("/calendars/person/psykolog-b/link", "psyk-a").status_code == 403
    assert service.get("/calendars/district/skovlunde/link", "baltorp").status_code == 403
    url = link.json()["url"].removeprefix("https://moedeplan.test")
    empty = service.client.get(url)
    assert empty.status_code == 200 and b"VEVENT" not in empty.content  # nothing published yet
    service.client.post(f"/plans/{plan['id']}/publish", json={}, headers=auth("admin")).raise_for_status()
    feed = service.client.get(url)
    assert feed.headers["content-type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(feed.content).walk("VEVENT")]
    assert events
    wrong = service.client.get(url.replace("psykolog-a", "psykolog-b"))
    assert wrong.status_code == 404
    assert service.client.get("/calendars/person/psykolog-a.ics").status_code == 422


# --------------------------------------------------------------------------- drafts and the live plan


WITHOUT_A = TWO_DISTRICTS.replace(
    "{id: psykolog-a, name: Psykolog A, roles: [psykolog], serves: {all: true}}",
    "{id: psykolog-a, name: Psykolog A, roles: [psykolog], serves: {all: true}, "
    'working_hours: {fri: "08:00-09:00"}}',
)
"""Psykolog A works one early Friday hour only: a solve of it gives her no meetings at all."""


def test_a_new_draft_does_not_change_what_the_live_plan_answers(service: Service) -> None:
    v1 = service.solved_plan()
    assert v1["state"] == "draft"
    assert service.get("/plans/live", "psyk-a").status_code == 404  # a draft is nobody's plan yet
    link = service.get("/calendars/person/psykolog-a/link", "psyk-a").json()["url"]
    feed_url = link.removeprefix("https://moedeplan.test")
    service.client.post(f"/plans/{v1['id']}/publish", json={}, headers=auth("admin")).raise_for_status()
    assert service.get(f"/plans/{v1['id']}", "admin").json()["state"] == "published"
    feed_before = service.client.get(feed_url).content
    v2 = service.solved_plan(service.upload(WITHOUT_A))
    assert v2["state"] == "draft" and not [
        m for m in v2["meetings"] if any(a["person"] == "psykolog-a" for a in m["attendees"])
    ]
    listed = {
        state: [v["id"] for v in service.get(f"/plans?term={TERM}&state={state}", "baltorp").json()]
        for state in ("draft", "published", "superseded", "discarded")
    }
    assert listed == {"draft": [v2["id"]], "published": [v1["id"]], "superseded": [], "discarded": []}
    # Her page, her feed and her absence answer from the live plan v1, where she has meetings.
    live = service.get(f"/plans/live?term={TERM}", "psyk-a").json()
    assert live["id"] == v1["id"] and live["state"] == "published"
    hers = live["meetings"]
    assert hers and hers == service.get(f"/plans/{v1['id']}", "psyk-a").json()["meetings"]
    assert service.client.get(feed_url).content == feed_before
    meeting = hers[0]
    body = {"person": "psykolog-a", **_afternoon(meeting)}
    answer = service.client.post("/absences", json=body, headers=auth("admin")).json()
    assert answer["plan_id"] == v1["id"] and answer["proposals"] and answer["state"] == "open", answer
    # ... and its proposal is accepted onto the live plan, the draft notwithstanding (no 412).
    best = answer["proposals"][0]
    path = f"/absences/{answer['id']}/proposals/{best['id']}/accept"
    accepted = service.client.post(path, headers={**auth("admin"), "If-Match": f'"{best["version"]}"'})
    assert accepted.status_code == 201, accepted.text
    v3 = accepted.json()["plan"]
    assert v3["state"] == "published" and v3["parent_id"] == v1["id"]
    assert service.get(f"/plans/{v1['id']}", "admin").json()["state"] == "superseded"
    # The live plan cannot be discarded; a draft can, and is then no plan any change reads.
    refused = service.client.post(f"/plans/{v3['id']}/discard", json={}, headers=auth("baltorp"))
    assert refused.status_code == 409 and "gældende" in refused.json()["detail"]
    discarded = service.client.post(f"/plans/{v2['id']}/discard", json={}, headers=auth("baltorp"))
    assert discarded.status_code == 200 and discarded.json()["state"] == "discarded"
    republished = service.client.post(f"/plans/{v2['id']}/publish", json={}, headers=auth("admin"))
    assert republished.status_code == 409
    compare = service.get(f"/plans/{v2['id']}/diff?against={v3['id']}", "baltorp")
    assert compare.status_code == 200 and compare.json()


# --------------------------------------------------------------------------- what if and jobs


def test_what_if_plans_a_changed_config_without_publishing(service: Service) -> None:
    plan = service.solved_plan()
    weekly = TWO_DISTRICTS.replace("cadence: fortnightly", "cadence: weekly", 1)
    config_id = service.upload(weekly, name="hvad-nu-hvis")
    job = service.client.post(
        f"/plans/{plan['id']}/what-if", json={"config_id": config_id}, headers=auth("baltorp")
    )
    assert job.status_code == 202
    service.run_jobs()
    done = service.client.get(f"/jobs/{job.json()['id']}", headers=auth("baltorp")).json()
    assert done["state"] == "done", done
    answer = service.client.get(f"/plans/{done['plan_id']}", headers=auth("admin")).json()
    assert answer["parent_id"] == plan["id"] and answer["published_at"] is None
    assert len(meetings_of(answer, "kk-baltorp")) > len(meetings_of(plan, "kk-baltorp"))
    # Skovlunde's meetings were not part of the question and stay where they were.
    before = {m["uid"]: m["start"] for m in meetings_of(plan, "kk-skovlunde")}
    after = {m["uid"]: m["start"] for m in meetings_of(answer, "kk-skovlunde")}
    assert before == after


def test_a_job_whose_worker_died_is_run_again(service: Service) -> None:
    config_id = service.upload()
    job = service.client.post("/plans/solve", json={"config_id": config_id}, headers=auth("admin")).json()
    with service.state.sessions() as db, db.begin():
        claimed = storage.claim_next_job(db, "worker-that-dies")
        assert claimed is not None and claimed.id == job["id"]
    # The dead worker never heartbeats; a worker with a short patience takes the job over.
    settings = service.worker.settings.model_copy(update={"job_stale_seconds": 0.001})
    assert Worker(service.state.sessions, settings).run_once()
    done = service.client.get(f"/jobs/{job['id']}", headers=auth("admin")).json()
    assert done["state"] == "done" and done["attempts"] == 2


# --------------------------------------------------------------------------- case meetings


def test_a_social_worker_finds_and_books_a_familiemoede(service: Service) -> None:
    plan = service.solved_plan()
    request = {
        "id": "fm-17",
        "participants": [{"person": "fsr"}, {"person": "leder-baltorp"}, {"name": "familien"}],
        "site": "baltorp-skole",
        "duration_minutes": 60,
        "earliest": "2027-02-01",
        "latest": "2027-02-05",
    }
    path = f"/plans/{plan['id']}/slots"
    found = service.client.post(path, json={"request": request, "top": 3}, headers=auth("fsr"))
    assert found.status_code == 200, found.text
    slots = found.json()["slots"]
    assert [s["rank"] for s in slots] == list(range(1, len(slots) + 1)) and slots
    assert service.client.post(path, json={"request": request}, headers=auth("hr")).status_code == 403
    # Another staff member cannot book a meeting they are not part of.
    refused = service.client.post(f"{path}/book", json={"request": request}, headers=auth("psyk-a"))
    assert refused.status_code == 403
    booked = service.client.post(f"{path}/book", json={"request": request, "rank": 1}, headers=auth("fsr"))
    assert booked.status_code == 201, booked.text
    change = booked.json()
    assert [c["what"] for c in change["changes"]] == ["added"]
    assert set(change["notified"]) == {"fsr", "leder-baltorp"}
    first = slots[0]["meetings"][0]["start"]
    new_plan = service.get(f"/plans/{change['plan']['id']}", "admin").json()
    added = [m for m in new_plan["meetings"] if "fm-17" in m["uid"]]
    assert len(added) == 1 and added[0]["start"][:16] == first[:16]
    bad = service.client.post(path, json={"request": {**request, "site": "nowhere"}}, headers=auth("fsr"))
    assert bad.status_code == 422 and bad.json()["field"] == "request"
    assert any("nowhere" in p for p in bad.json()["problems"])


# --------------------------------------------------------------------------- free/busy


def test_busy_times_from_exchange_keep_the_next_solve_away(service: Service) -> None:
    from datetime import datetime

    from scheduler.term_dates import TZ
    from tests.fakes.ews import EwsServer

    with_email = TWO_DISTRICTS.replace(
        "{id: psykolog-a, name: Psykolog A, roles: [psykolog], serves: {all: true}}",
        "{id: psykolog-a, name: Psykolog A, roles: [psykolog], serves: {all: true}, "
        "email: psykolog.a@ballerup.example}",
    )
    assert with_email != TWO_DISTRICTS
    config_id = service.upload(with_email)
    busy = (datetime(2027, 1, 12, 12, tzinfo=TZ), datetime(2027, 1, 12, 16, tzinfo=TZ), "Tandlæge")
    server = EwsServer(users={"svc": "pw"}).start()
    try:
        server.busy["psykolog.a@ballerup.example"] = [busy]
        service.state.calendar = CalendarSettings(
            ews_url=server.url, ews_auth="basic", ews_username="svc", ews_password="pw", ews_timeout=5
        )  # type: ignore[call-arg]
        body = {"config_id": config_id, "term": TERM, "backend": "exchange_ews"}
        assert service.client.post("/freebusy", json=body, headers=auth("psyk-a")).status_code == 403
        read = service.client.post("/freebusy", json=body, headers=auth("baltorp"))
        assert read.status_code == 200, read.text
        assert read.json() == {"people": 1, "busy_blocks": 1, "added": 1}
        again = service.client.post("/freebusy", json=body, headers=auth("baltorp"))
        assert again.json()["added"] == 0  # the same block is not stored twice
    finally:
        server.stop()
    wrong = service.client.post("/freebusy", json={**body, "backend": "ics"}, headers=auth("baltorp"))
    assert wrong.status_code == 422 and wrong.json()["field"] == "backend"
    plan = service.solved_plan(config_id)
    clashes = [
        m
        for m in plan["meetings"]
        if any(a["person"] == "psykolog-a" for a in m["attendees"])
        and datetime.fromisoformat(m["start"]) < busy[1]
        and datetime.fromisoformat(m["end"]) > busy[0]
    ]
    assert plan["status"] in ("OPTIMAL", "FEASIBLE") and clashes == []
    with service.state.sessions() as db:
        assert "Tandlæge" not in str([(a.reason, a.person_id) for a in db.scalars(select(Absence))])


# --------------------------------------------------------------------------- re-solves and district scope


def _solve(service: Service, who: str, **body: Any) -> dict[str, Any]:
    """A solve as `who`, run to its end; the plan it made."""
    job = service.client.post("/plans/solve", json=body, headers=auth(who))
    assert job.status_code == 202, job.text
    service.run_jobs()
    done = service.client.get(f"/jobs/{job.json()['id']}", headers=auth(who)).json()
    assert done["state"] == "done", done
    return dict(service.client.get(f"/plans/{done['plan_id']}", headers=auth("admin")).json())


def _published(service: Service) -> dict[str, Any]:
    plan = service.solved_plan()
    published = service.client.post(f"/plans/{plan['id']}/publish", json={}, headers=auth("admin"))
    assert published.status_code == 200, published.text
    return plan


def _shapes(plan: dict[str, Any], series: str | None = None) -> dict[str, Any]:
    return {
        m["uid"]: (m["start"], m["end"], m["site"], sorted((a["person"], a["seat"]) for a in m["attendees"]))
        for m in plan["meetings"]
        if series is None or m["series"] == series
    }


def test_a_resolve_of_the_unchanged_config_gives_the_live_plan_back(service: Service) -> None:
    live = _published(service)
    again = _solve(service, "admin", config_id=live["config_id"])
    assert again["id"] != live["id"]
    assert _shapes(again) == _shapes(live)
    assert again["stats"]["changed_meetings"] == 0 and again["stats"]["notified_people"] == 0
    diff = service.client.get(f"/plans/{again['id']}/diff?against={live['id']}", headers=auth("admin"))
    assert diff.status_code == 200 and diff.json() == []


def test_a_baltorp_leaders_solve_changes_only_baltorp_meetings(service: Service) -> None:
    live = _published(service)
    # Baltorp's conference goes monthly, and the leader starts afresh: without the district
    # scope nothing would hold Skovlunde's meetings where they are.
    monthly = TWO_DISTRICTS.replace("cadence: fortnightly", "cadence: monthly", 1)
    assert monthly != TWO_DISTRICTS
    config_id = service.upload(monthly, name="baltorp monthly")
    scoped = _solve(service, "baltorp", config_id=config_id, fresh=True)
    assert scoped["status"] in ("OPTIMAL", "FEASIBLE"), scoped["explanation"]
    assert _shapes(scoped, "kk-skovlunde") == _shapes(live, "kk-skovlunde")
    assert _shapes(scoped, "kk-baltorp") != _shapes(live, "kk-baltorp")
    diff = service.client.get(f"/plans/{scoped['id']}/diff?against={live['id']}", headers=auth("admin"))
    changed = diff.json()
    assert changed and {c["series"] for c in changed} == {"kk-baltorp"}
    assert scoped["stats"]["changed_meetings"] == len(changed)


def test_a_municipality_wide_solve_needs_the_admin_role(service: Service) -> None:
    config_id = service.upload()
    wide = service.client.post(
        "/plans/solve", json={"config_id": config_id, "municipality_wide": True}, headers=auth("baltorp")
    )
    assert wide.status_code == 403
    assert "hele kommunen" in wide.json()["detail"] and "administrator" in wide.json()["detail"]
    other = service.client.post(
        "/plans/solve", json={"config_id": config_id, "districts": ["skovlunde"]}, headers=auth("baltorp")
    )
    assert other.status_code == 403 and "Skovlunde" in other.json()["detail"]
    unknown = service.client.post(
        "/plans/solve", json={"config_id": config_id, "districts": ["atlantis"]}, headers=auth("admin")
    )
    assert unknown.status_code == 422 and "atlantis" in unknown.text
    for who, body in (("admin", {"municipality_wide": True}), ("baltorp", {"districts": ["baltorp"]})):
        job = service.client.post("/plans/solve", json={"config_id": config_id, **body}, headers=auth(who))
        assert job.status_code == 202, job.text
    with service.state.sessions() as db:
        params = [storage.get_job(db, job_id).params for job_id in storage.queued_job_ids(db, ("solve",))]
    assert any('"districts":null' in p.replace(" ", "") for p in params)
    assert any('"districts":["baltorp"]' in p.replace(" ", "") for p in params)
