"""Each role reaches exactly what the README says: one matrix of role × route → status.

The roles: an admin (the municipality's IT), the Baltorp district leader, a staff member
(Psykolog A), the service token of an HR system, and nobody (no token). Every route of the API
has a row (a test fails if a route is missing); requests that would change something are sent
with a body the route refuses (422) or an object that does not exist (404), so an admitted role
is told apart from a refused one (401/403) without changing the plan. The district boundaries
that depend on what is asked for (feed links, bookings) are rows too, and bookings are then made
for real. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from api import storage
from api.auth import Principal, Role, people_serving
from api.orm import Job
from scheduler.config import load_config
from scheduler.term_dates import TZ
from tests.api.databases import Db
from tests.builders import TWO_DISTRICTS
from tests.fakes.service import ServiceSite, auth, open_service

ROLES = ("admin", "baltorp", "psyk-a", "hr", None)  # None: no token at all
WHO = {"admin": "admin", "baltorp": "distriktsleder", "psyk-a": "staff", "hr": "service", None: "nobody"}


def row(admin: int, leader: int, staff: int, service: int, nobody: int = 401) -> dict[str | None, int]:
    return {"admin": admin, "baltorp": leader, "psyk-a": staff, "hr": service, None: nobody}


def slot_request(
    unit: str | None = None, site: str = "baltorp-skole", case: str = "fm-1", weekend: bool = False
) -> dict[str, Any]:
    """A Familiemøde for Psykolog A and the social worker; on a weekend there is no time for it,
    so booking it changes nothing (422) once the role and district checks have let it through."""
    request: dict[str, Any] = {
        "id": case,
        "participants": [{"person": "psykolog-a"}, {"person": "fsr"}, {"name": "familien"}],
        "site": site,
        "duration_minutes": 60,
        "earliest": "2027-02-06" if weekend else "2027-02-01",
        "latest": "2027-02-07" if weekend else "2027-02-05",
    }
    if unit is not None:
        request["unit"] = unit
    return request


def matrix(site: ServiceSite, job_id: int, own_absence: int, other_absence: int) -> list[tuple[Any, ...]]:
    """(method, route, concrete path, json body, extra headers, expected status per role)."""
    p, c = site.plan_id, site.config_id
    with site.state.sessions() as db:
        _, plan = storage.get_plan(db, p)
    uid = plan.meetings[0].uid
    yaml_text = TWO_DISTRICTS
    m = f"/plans/{p}/meetings/{uid}"
    cal = "/calendars/{kind}/{reader_id}"
    return [
        ("GET", "/health", "/health", None, {}, row(200, 200, 200, 200, 200)),
        (
            "POST",
            "/configs/validate",
            "/configs/validate",
            {"name": "x", "yaml": yaml_text},
            {},
            row(200, 200, 403, 403),
        ),
        ("POST", "/configs", "/configs", {"name": "x", "yaml": "units: ["}, {}, row(422, 403, 403, 403)),
        ("GET", "/configs", "/configs", None, {}, row(200, 200, 403, 403)),
        ("GET", "/configs/{config_id}", f"/configs/{c}", None, {}, row(200, 200, 403, 403)),
        ("GET", "/configs/{config_id}/yaml", f"/configs/{c}/yaml", None, {}, row(200, 200, 403, 403)),
        ("POST", "/plans/solve", "/plans/solve", {"config_id": 0}, {}, row(422, 422, 403, 403)),
        ("GET", "/plans", "/plans", None, {}, row(200, 200, 403, 403)),
        # Staff read their own meetings of a plan; the service token reads no plan at all.
        ("GET", "/plans/{plan_id}", f"/plans/{p}", None, {}, row(200, 200, 200, 403)),
        ("GET", "/plans/live", "/plans/live", None, {}, row(200, 200, 200, 403)),
        ("GET", "/plans/{plan_id}/diff", f"/plans/{p}/diff", None, {}, row(200, 200, 403, 403)),
        ("GET", "/plans/{plan_id}/explanation", f"/plans/{p}/explanation", None, {}, row(200, 200, 403, 403)),
        ("GET", "/plans/{plan_id}/meetings/{uid}/why", f"{m}/why", None, {}, row(200, 200, 403, 403)),
        (
            "PUT",
            "/plans/{plan_id}/meetings/{uid}/lock",
            f"{m}/lock",
            {"reason": []},
            {},
            row(422, 422, 403, 403),
        ),
        ("DELETE", "/plans/{plan_id}/meetings/{uid}/lock", f"{m}/lock", None, {}, row(428, 428, 403, 403)),
        ("POST", "/plans/{plan_id}/meetings/{uid}/move", f"{m}/move", {}, {}, row(428, 428, 403, 403)),
        ("POST", "/plans/{plan_id}/what-if", f"/plans/{p}/what-if", {}, {}, row(422, 422, 403, 403)),
        (
            "POST",
            "/plans/{plan_id}/publish",
            f"/plans/{p}/publish",
            {"backend": "X"},
            {},
            row(422, 422, 403, 403),
        ),
        ("GET", "/plans/{plan_id}/preview", f"/plans/{p}/preview", None, {}, row(200, 200, 403, 403)),
        # Leaders discard drafts (a bad body here, so nothing is discarded); the others may not.
        (
            "POST",
            "/plans/{plan_id}/discard",
            f"/plans/{p}/discard",
            {"reason": []},
            {},
            row(422, 422, 403, 403),
        ),
        ("GET", "/plans/{plan_id}/delivery", f"/plans/{p}/delivery", None, {}, row(200, 200, 403, 403)),
        ("GET", "/jobs/{job_id}", f"/jobs/{job_id}", None, {}, row(200, 200, 403, 403)),
        # BAL rollouts: made and published by an admin, read like plans (no rollout here: 404)
        ("POST", "/bal/rollouts", "/bal/rollouts", {"config_id": 0}, {}, row(422, 403, 403, 403)),
        ("GET", "/bal/rollouts/live", "/bal/rollouts/live", None, {}, row(404, 404, 404, 403)),
        ("GET", "/bal/rollouts/{rollout_id}", "/bal/rollouts/999", None, {}, row(404, 404, 404, 403)),
        (
            "POST",
            "/bal/rollouts/{rollout_id}/publish",
            "/bal/rollouts/999/publish",
            {},
            {},
            row(404, 403, 403, 403),
        ),
        (
            "GET",
            "/bal/rollouts/{rollout_id}/why/{team}",
            "/bal/rollouts/999/why/team-1",
            None,
            {},
            row(404, 404, 404, 403),
        ),
        ("POST", "/absences", "/absences", {"person": ""}, {}, row(422, 422, 422, 422)),
        # An absence of Psykolog A (theirs), and one of Psykolog B (not theirs).
        ("GET", "/absences/{absence_id}", f"/absences/{own_absence}", None, {}, row(200, 200, 200, 200)),
        ("GET", "/absences/{absence_id}", f"/absences/{other_absence}", None, {}, row(200, 200, 403, 200)),
        (
            "POST",
            "/absences/{absence_id}/proposals/{proposal_id}/accept",
            f"/absences/{own_absence}/proposals/999/accept",
            None,
            {"If-Match": '"1"'},
            row(404, 404, 403, 403),
        ),
        (
            "POST",
            "/plans/{plan_id}/slots",
            f"/plans/{p}/slots",
            {"request": slot_request(), "top": 1},
            {},
            row(200, 200, 200, 403),
        ),
        # Who may book where is decided by the request: see the booking rows and test below.
        ("POST", "/plans/{plan_id}/slots/book", f"/plans/{p}/slots/book", {}, {}, row(422, 422, 422, 422)),
        ("POST", "/freebusy", "/freebusy", {}, {}, row(422, 422, 403, 403)),
        # A feed needs its token, not a login.
        (
            "GET",
            f"{cal}.ics",
            "/calendars/person/psykolog-a.ics?token=guess",
            None,
            {},
            row(404, 404, 404, 404, 404),
        ),
        # Links: staff their own; the Baltorp leader Baltorp, its units and the people serving it.
        ("GET", f"{cal}/link", "/calendars/person/psykolog-a/link", None, {}, row(200, 200, 200, 403)),
        ("GET", f"{cal}/link", "/calendars/person/psykolog-b/link", None, {}, row(200, 200, 403, 403)),
        ("GET", f"{cal}/link", "/calendars/person/leder-baltorp/link", None, {}, row(200, 200, 403, 403)),
        ("GET", f"{cal}/link", "/calendars/person/leder-skovlunde/link", None, {}, row(200, 403, 403, 403)),
        ("GET", f"{cal}/link", "/calendars/unit/baltorpskolen/link", None, {}, row(200, 200, 403, 403)),
        ("GET", f"{cal}/link", "/calendars/unit/skovlunde-skole/link", None, {}, row(200, 403, 403, 403)),
        ("GET", f"{cal}/link", "/calendars/district/baltorp/link", None, {}, row(200, 200, 403, 403)),
        ("GET", f"{cal}/link", "/calendars/district/skovlunde/link", None, {}, row(200, 403, 403, 403)),
        ("DELETE", f"{cal}/tokens", "/calendars/person/psykolog-b/tokens", None, {}, row(200, 403, 403, 403)),
        # A Familiemøde into a Skovlunde unit, named or by its site: not for the Baltorp leader.
        (
            "POST",
            "/plans/{plan_id}/slots/book",
            f"/plans/{p}/slots/book",
            {"request": slot_request(unit="skovlunde-skole", weekend=True)},
            {},
            row(422, 403, 422, 403),
        ),
        (
            "POST",
            "/plans/{plan_id}/slots/book",
            f"/plans/{p}/slots/book",
            {"request": slot_request(site="skovlunde-skole", weekend=True)},
            {},
            row(422, 403, 422, 403),
        ),
    ]


def test_every_role_reaches_exactly_its_routes(db: Db, tmp_path: Path) -> None:
    with open_service(db.url, tmp_path) as site:
        with site.state.sessions() as session, session.begin():
            job_id = storage.enqueue_job(session, "solve", {}, "Kommunens IT").id
            own = storage.create_absence(session, "psykolog-a", *_day(), None, "Kommunens IT").id
            other = storage.create_absence(session, "psykolog-b", *_day(), None, "Kommunens IT").id
        rows = matrix(site, job_id, own, other)
        schema = site.client.get("/openapi.json").json()["paths"]
        routes = {(method.upper(), path) for path, item in schema.items() for method in item}
        assert routes == {(method, route) for method, route, *_ in rows}, "every route has a row"

        wrong = []
        for method, _route, path, body, headers, expected in rows:
            for key in ROLES:
                sent = {**headers, **(auth(key) if key else {})}
                response = site.client.request(method, path, json=body, headers=sent)
                if response.status_code != expected[key]:
                    wrong.append(f"{WHO[key]} {method} {path}: {response.status_code}, not {expected[key]}")
        assert not wrong, "\n".join(wrong)
        with site.state.sessions() as session:
            assert session.query(Job).count() == 1, "nothing was started"
            assert storage.latest_plan_version(session, "foraar-2027").id == site.plan_id  # type: ignore[union-attr]


def _day() -> tuple[datetime, datetime]:
    return datetime(2027, 2, 1, 8, tzinfo=TZ), datetime(2027, 2, 1, 16, tzinfo=TZ)


def test_staff_read_only_their_own_meetings_of_a_plan(db: Db, tmp_path: Path) -> None:
    with open_service(db.url, tmp_path) as site:
        theirs = site.get(f"/plans/{site.plan_id}", "psyk-a").json()["meetings"]
        assert theirs and all(any(a["person"] == "psykolog-a" for a in m["attendees"]) for m in theirs)
        everything = site.get(f"/plans/{site.plan_id}", "baltorp").json()["meetings"]
        assert len(everything) > len(theirs)
        other = site.get(f"/plans/{site.plan_id}?person=psykolog-b", "psyk-a")
        assert other.status_code == 403


def test_a_district_leader_books_only_into_their_own_units(db: Db, tmp_path: Path) -> None:
    with open_service(db.url, tmp_path) as site:
        path = f"/plans/{site.plan_id}/slots/book"
        for request in (slot_request(unit="skovlunde-skole"), slot_request(site="skovlunde-skole")):
            refused = site.client.post(path, json={"request": request}, headers=auth("baltorp"))
            assert refused.status_code == 403 and "skovlunde-skole" in refused.json()["detail"], refused.text
        booked = site.client.post(path, json={"request": slot_request()}, headers=auth("baltorp"))
        assert booked.status_code == 201, booked.text
        new_plan = site.get(f"/plans/{booked.json()['plan']['id']}", "admin").json()
        [added] = [m for m in new_plan["meetings"] if "fm-1" in m["uid"]]
        assert added["unit"] == "baltorpskolen"
        # The Skovlunde leader books into Skovlunde, from the newest version.
        newest = booked.json()["plan"]["id"]
        request = slot_request(site="skovlunde-skole", case="fm-2")
        theirs = site.client.post(
            f"/plans/{newest}/slots/book", json={"request": request}, headers=auth("skovlunde")
        )
        assert theirs.status_code == 201, theirs.text


def test_a_unit_of_every_district_does_not_put_everyone_in_every_district() -> None:
    """Ballerup's Socialafsnittet belongs to all five districts (it hosts each district's Kreative
    Råd); the Baltorp leader still gets links only for the people who serve Baltorp."""
    config = load_config(Path(__file__).parents[2] / "examples" / "ballerup.yaml")
    leader = Principal("Leder Baltorp", Role.distriktsleder, None, frozenset({"baltorp"}))
    assert leader.may_link(config, "unit", "socialafsnittet") and leader.may_link(config, "unit", "klub-syd")
    assert not leader.may_link(config, "unit", "hedegaardsskolen")
    assert leader.may_link(config, "person", "psykolog-a")  # serves Baltorp
    assert leader.may_link(config, "person", "psykolog-j")  # serves Skovvejen and Baltorp
    assert leader.may_link(config, "person", "leder-socialafsnit")  # serves every district
    assert not leader.may_link(config, "person", "psykolog-c")  # Hedegaarden only
    assert not leader.may_link(config, "person", "skoleleder-skovlunde")
    scope = people_serving(config, frozenset({"baltorp"}))
    assert len(scope) < len(config.staff) / 2
