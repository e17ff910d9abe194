"""The BAL rollout through the API (FastAPI's TestClient, real worker, SQLite and PostgreSQL):
a rollout job makes a draft, an administrator publishes it as the live rollout of its config
name, readers see their own part, "Hvorfor runde N?" answers in Danish, and a term solve of the
config then plans the rollout's course session and analyses in the same joint model."""

from __future__ import annotations

from typing import Any

import pytest

from api import storage
from api.db import session_scope
from scheduler.bal_series import with_bal
from scheduler.config import parse_config
from scheduler.model import BalRollout, SeriesType
from scheduler.verify import verify_plan
from tests.api.test_service import TWO_DISTRICTS, Service, auth
from tests.api.test_service import service as service  # noqa: F401  (the fixture: app, database, worker)
from tests.builders import BAL_TERM, BAL_TWO_DISTRICTS, bal_data, bal_rollout, bal_yaml, person

pytestmark = pytest.mark.solve

QUICK = {"time_limit": 3, "workers": 1, "seed": 1}


def rollout_job(service: Service, config_id: int) -> dict[str, Any]:
    """A rollout job as the admin, run to its end: the job as `GET /jobs/{id}` answers."""
    job = service.client.post("/bal/rollouts", json={"config_id": config_id, **QUICK}, headers=auth("admin"))
    assert job.status_code == 202, job.text
    assert job.headers["Location"] == f"/jobs/{job.json()['id']}"
    service.run_jobs()
    return dict(service.get(f"/jobs/{job.json()['id']}", "admin").json())


def draft(service: Service, config_id: int) -> dict[str, Any]:
    done = rollout_job(service, config_id)
    assert done["state"] == "done", done
    assert done["result"] == f"bal_rollout:{done['rollout_id']}" and done["plan_id"] is None
    answer = service.get(f"/bal/rollouts/{done['rollout_id']}", "admin")
    assert answer.status_code == 200, answer.text
    assert answer.headers["ETag"] == f'"{answer.json()["version"]}"'
    return dict(answer.json())


def publish(service: Service, rollout_id: int, who: str = "admin", **headers: str) -> Any:
    return service.client.post(
        f"/bal/rollouts/{rollout_id}/publish", json={"reason": "udrulning"}, headers={**auth(who), **headers}
    )


def upload_bal(service: Service, **top: Any) -> int:
    return service.upload(bal_yaml(**top), name="bal")


def test_a_rollout_job_makes_a_draft_that_an_admin_publishes_as_the_live_one(service: Service) -> None:
    config_id = upload_bal(service)
    first = draft(service, config_id)
    assert first["state"] == "draft" and first["config_name"] == "bal" and first["config_id"] == config_id
    assert {a["team"]: a["round"] for a in first["assignments"]} == {"team-1": 1, "team-2": 1}
    assert first["facilitator_hours"]["psykolog-a"][0] > 0
    assert service.get("/bal/rollouts/live?config_name=bal", "admin").status_code == 404

    assert publish(service, first["id"], "baltorp").status_code == 403  # a district leader may not
    assert publish(service, first["id"], **{"If-Match": f'"{first["version"] + 1}"'}).status_code == 412
    published = publish(service, first["id"])
    assert published.status_code == 200, published.text
    assert published.json()["state"] == "published"
    live = service.get("/bal/rollouts/live", "admin").json()  # default: the newest config's name
    assert live["id"] == first["id"]

    second = draft(service, config_id)
    assert publish(service, second["id"]).status_code == 200
    assert service.get(f"/bal/rollouts/{first['id']}", "admin").json()["state"] == "superseded"
    assert service.get("/bal/rollouts/live?config_name=bal", "admin").json()["id"] == second["id"]
    again = publish(service, first["id"])
    assert again.status_code == 409 and "afløst" in again.json()["detail"]


def test_a_config_without_bal_is_refused_in_danish_and_bad_ids_are_4xx(service: Service) -> None:
    plain = service.upload(TWO_DISTRICTS)
    answer = service.client.post("/bal/rollouts", json={"config_id": plain}, headers=auth("admin"))
    assert answer.status_code == 422
    assert "ingen bal:-sektion" in answer.json()["detail"]
    assert (
        service.client.post("/bal/rollouts", json={"config_id": 999}, headers=auth("admin")).status_code
        == 404
    )
    assert (
        service.client.post("/bal/rollouts", json={"config_id": 1}, headers=auth("baltorp")).status_code
        == 403
    )
    missing = service.get("/bal/rollouts/77", "admin")
    assert missing.status_code == 404 and "findes ikke" in missing.json()["detail"]
    assert service.get("/bal/rollouts/77/why/team-1", "admin").status_code == 404
    assert service.get("/bal/rollouts/0", "admin").status_code == 422


def test_readers_see_their_own_teams_and_why_answers_in_danish(service: Service) -> None:
    rollout = draft(service, upload_bal(service, **BAL_TWO_DISTRICTS))
    path = f"/bal/rollouts/{rollout['id']}"
    assert [a["team"] for a in service.get(path, "baltorp").json()["assignments"]] == ["team-1"]
    assert [a["team"] for a in service.get(path, "skovlunde").json()["assignments"]] == ["team-2"]
    assert len(service.get(path, "psyk-a").json()["assignments"]) == 2  # Psykolog A facilitates both
    staff_b = service.get(path, "psyk-b").json()
    assert staff_b["assignments"] == [] and staff_b["facilitator_hours"] == {}
    assert service.get(path, "hr").status_code == 403

    why = service.get(f"{path}/why/team-1", "baltorp")
    assert why.status_code == 200, why.text
    assert why.json()["round"] == 1
    assert "første runde" in " ".join(why.json()["reasons"])
    assert service.get(f"{path}/why/team-1", "skovlunde").status_code == 403
    unknown = service.get(f"{path}/why/team-3", "admin")
    assert unknown.status_code == 404 and "ukendt team 'team-3' (mente du" in unknown.json()["detail"]


def test_a_term_solve_with_a_live_rollout_plans_its_analyses_in_the_joint_model(service: Service) -> None:
    config_id = upload_bal(service)
    rollout = draft(service, config_id)
    before = solve(service, config_id)
    assert not [m for m in before["meetings"] if m["series"].startswith("bal-")]  # not live yet: none

    assert publish(service, rollout["id"]).status_code == 200
    plan = solve(service, config_id)
    config = parse_config(bal_yaml())
    joint = with_bal(config, BalRollout.model_validate(service_rollout(service, rollout["id"])))
    kinds = {s.id: s.type for s in joint.series}
    analyses = [m for m in plan["meetings"] if kinds.get(m["series"]) == SeriesType.bal_analyse]
    courses = [m for m in plan["meetings"] if kinds.get(m["series"]) == SeriesType.bal_kursus]
    assert len(analyses) == 4 and len(courses) == 1
    assert all({a["person"] for a in m["attendees"]} == {"psykolog-a"} for m in analyses)
    with session_scope(service.state.sessions) as db:
        stored = storage.get_plan(db, plan["id"])[1]
    assert verify_plan(joint, stored) == []  # no clash with the conference Psykolog A sits in


def solve(service: Service, config_id: int, fresh: bool = True) -> dict[str, Any]:
    body = {"config_id": config_id, "term": BAL_TERM, "time_limit": 5, "workers": 1, "fresh": fresh}
    job = service.client.post("/plans/solve", json=body, headers=auth("admin"))
    assert job.status_code == 202, job.text
    service.run_jobs()
    done = service.get(f"/jobs/{job.json()['id']}", "admin").json()
    assert done["state"] == "done", done
    return dict(service.get(f"/plans/{done['plan_id']}", "admin").json())


def service_rollout(service: Service, rollout_id: int) -> dict[str, Any]:
    out = dict(service.get(f"/bal/rollouts/{rollout_id}", "admin").json())
    return {"municipality": "Testkommune", **{k: out[k] for k in BalRollout.model_fields if k in out}}


def test_an_absent_facilitator_is_covered_first_by_one_who_follows_a_team_of_the_institution(
    service: Service,
) -> None:
    # Psykolog A follows team 1 at Nordskolen, Psykolog B team 3 there, Psykolog C team 2 at
    # Solsikken: for A's absence, B comes first, with the reason; accepting records B with it
    staff = [
        person("leder"),
        person("psykolog-a", "psykolog", name="Psykolog A", max_meetings_per_day=1),
        person("psykolog-b", "psykolog", name="Psykolog B"),
        person("psykolog-c", "psykolog", name="Psykolog C"),
    ]
    teams = [
        *bal_data()["teams"],
        {"id": "team-3", "name": "Nordskolen, team 2", "unit": "nordskolen", "size": 6},
    ]
    facilitators = [{"person": p, "hours_per_week": 4} for p in ("psykolog-a", "psykolog-c", "psykolog-b")]
    config_id = upload_bal(service, staff=staff, bal=bal_data(teams=teams, facilitators=facilitators))
    rollout = bal_rollout(
        "team-1", "team-2", "team-3", facilitators={"team-2": "psykolog-c", "team-3": "psykolog-b"}
    )
    with session_scope(service.state.sessions) as db:
        row = storage.save_rollout(db, storage.get_config(db, config_id), rollout, "admin", "i hånden")
        storage.publish_rollout(db, row.id, row.version, "admin", "")
    plan = solve(service, config_id)
    team_1 = [m for m in plan["meetings"] if m["series"] == "bal-team-1"]
    assert len(team_1) == 2 and all(a["person"] == "psykolog-a" for m in team_1 for a in m["attendees"])

    body = {"person": "psykolog-a", "start": "2027-09-06", "end": "2027-10-01", "plan_id": plan["id"]}
    answer = service.client.post("/absences", json=body, headers=auth("admin"))
    assert answer.status_code == 201, answer.text
    first = answer.json()["proposals"][0]
    assert first["summary_da"].startswith(
        "Psykolog B tager over som BAL-facilitator (følger allerede 1 team på Nordskolen)."
    ), first["summary_da"]
    second = answer.json()["proposals"][1]
    assert second["summary_da"].startswith(
        "Psykolog C tager over som BAL-facilitator (følger allerede 1 team i Nord)"
    )

    absence_id = answer.json()["id"]
    accepted = service.client.post(
        f"/absences/{absence_id}/proposals/{first['id']}/accept",
        headers={**auth("admin"), "If-Match": f'"{first["version"]}"'},
    )
    assert accepted.status_code == 201, accepted.text
    assert service.get(f"/absences/{absence_id}", "admin").json()["substitute"] == "psykolog-b"
    new_plan = service.get(f"/plans/{accepted.json()['plan']['id']}", "admin").json()
    covered = [m for m in new_plan["meetings"] if m["series"] == "bal-team-1"]
    assert all({a["person"] for a in m["attendees"]} == {"psykolog-b"} for m in covered)


def test_a_re_solve_of_the_live_plan_after_a_rollout_goes_live_adds_its_meetings(service: Service) -> None:
    # the term's plan is live before the rollout; the next solve starts from it (its parent) and
    # places the course session and the analyses beside the conference, verified
    config_id = upload_bal(service)
    first = solve(service, config_id)
    assert (
        service.client.post(f"/plans/{first['id']}/publish", json={}, headers=auth("admin")).status_code
        == 200
    )
    rollout = draft(service, config_id)
    assert publish(service, rollout["id"]).status_code == 200
    plan = solve(service, config_id, fresh=False)
    assert plan["parent_id"] == first["id"]
    series = {m["series"] for m in plan["meetings"]}
    assert {"bal-team-1", "bal-team-2"} <= series
    joint = with_bal(
        parse_config(bal_yaml()), BalRollout.model_validate(service_rollout(service, rollout["id"]))
    )
    with session_scope(service.state.sessions) as db:
        assert verify_plan(joint, storage.get_plan(db, plan["id"])[1]) == []
