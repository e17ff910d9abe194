"""No update lost, no meeting dropped, nothing sent twice — under truly concurrent requests.

The API runs as a real HTTP server (tests/api/live.py) on SQLite and on PostgreSQL; requests that
race are fired from several threads at once, and each race is repeated. What every race must
leave behind is checked against the database and the calendars: exactly one winner per version,
the loser refused with 412 or 409 and nothing of it stored or sent, and every person's calendar
holding exactly what the newest published plan says.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select

from api import storage
from api.db import make_session_factory
from api.jobs import effective_config
from api.orm import Absence, AbsenceState, PlanVersion, Proposal
from api.publishing import resume_pending
from calendar_sync.items import fingerprint, items_from_plan, view_for
from calendar_sync.ledger import Ledger
from calendar_sync.publish import delivered
from calendar_sync.settings import CalendarSettings
from scheduler.model import MunicipalityConfig, Plan
from scheduler.replan import NoProposal, move_meeting
from tests.api.databases import Db
from tests.api.live import FEED_SECRET, TERM, TWO_DISTRICTS, Live, at_once, auth, live_service, with_emails
from tests.fakes.smtp import SmtpServer
from tests.fakes.tcp import ClosedPort

pytestmark = pytest.mark.solve  # every test here solves the two-district config first

CONFIG = with_emails(TWO_DISTRICTS)




def if_match(plan: dict[str, Any]) -> dict[str, str]:
    return {"If-Match": f'"{plan["version"]}"'}


def publish(live: Live, plan_id: int) -> dict[str, Any]:
    answer = live.client.post(f"/plans/{plan_id}/publish", json={}, headers=auth("admin"))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def stored(live: Live, plan_id: int) -> tuple[Plan, MunicipalityConfig]:
    with live.state.sessions() as db:
        row, plan = storage.get_plan(db, plan_id)
        return plan, effective_config(db, storage.get_config(db, row.config_version_id))


def candidate_moves(
    plan: Plan, config: MunicipalityConfig, count: int, skip: set[str]
) -> list[tuple[str, str]]:
    """`count` (uid, new start) pairs, each a move the plan allows on its own (the replanner's own
    check, run here without storing anything)."""
    found: list[tuple[str, str]] = []
    for meeting in plan.meetings:
        if meeting.one_off or meeting.uid in skip or len(found) == count:
            continue
        for delta in (timedelta(days=1), timedelta(minutes=90), timedelta(days=2)):
            try:
                move_meeting(config, plan, meeting.uid, meeting.start + delta, time_limit=5)
            except NoProposal:
                continue
            found.append((meeting.uid, (meeting.start + delta).isoformat()))
            break
    assert len(found) == count, "the fixture plan has too few movable meetings"
    return found


def movable(live: Live, plan_id: int, count: int, skip: set[str]) -> list[tuple[str, str]]:
    return candidate_moves(*stored(live, plan_id), count, skip)


def children_of(live: Live, plan_id: int) -> list[int]:
    with live.state.sessions() as db:
        return list(db.scalars(select(PlanVersion.id).where(PlanVersion.parent_id == plan_id)))


def assert_calendars_hold(live: Live, plan_id: int, backend: str) -> None:
    """Every person's calendar holds exactly the newest published plan, item by item (a series
    the calendars held as recurring stays so while it is reasonably regular: `delivered`)."""
    plan, config = stored(live, plan_id)
    wanted: dict[str, dict[str, str]] = {}
    with Ledger(live.state.calendar.ledger_path) as ledger:
        for item in items_from_plan(config, plan, delivered(ledger, plan.term)):
            for person in item.recipients:
                view = view_for(item, person)
                if view is not None:
                    wanted.setdefault(person, {})[item.uid] = fingerprint(view)
        held = {
            person: {uid: h.fingerprint for uid, h in calendar.items()}
            for person, calendar in ledger.holdings(backend).items()
        }
        assert ledger.pending(backend) == []
    assert {p: c for p, c in held.items() if c} == wanted


# --------------------------------------------------------------------------- moves


@pytest.mark.parametrize("base", ["draft", "published", "live-with-a-draft"])
def test_two_moves_based_on_one_version_never_both_land(live: Live, base: str) -> None:
    """Also on the live plan while a newer draft exists: the draft is no obstacle to changing the
    live plan, and the live plan's changes still land one at a time."""
    published = base != "draft"
    head = live.solve(live.upload(CONFIG))
    drafts: set[int] = set()
    if published:
        publish(live, head["id"])
        head = live.plan(head["id"])
    if base == "live-with-a-draft":
        drafts.add(live.solve(live.upload(CONFIG))["id"])
    used: set[str] = set()
    for _ in range(4):
        moves = movable(live, head["id"], 2, used)
        used |= {uid for uid, _ in moves}

        def move(i: int, head: dict[str, Any] = head, moves: list[tuple[str, str]] = moves) -> httpx.Response:
            uid, start = moves[i]
            return live.client.post(
                f"/plans/{head['id']}/meetings/{uid}/move",
                json={"start": start},
                headers={**auth("admin"), **if_match(head)},
            )

        answers = at_once(2, move)
        assert sorted(a.status_code for a in answers) == [201, 412], [a.text for a in answers]
        winner = next(a.json() for a in answers if a.status_code == 201)
        loser = next(a.json() for a in answers if a.status_code == 412)
        assert "ikke længere den aktuelle" in loser["detail"]
        assert [c for c in children_of(live, head["id"]) if c not in drafts] == [winner["plan"]["id"]]
        head = live.newest()
        assert head["id"] == winner["plan"]["id"] and head["parent_id"] == winner["plan"]["parent_id"]
        assert winner["published"] is published and not winner["pending"]
        assert head["state"] == ("published" if published else "draft")
    if published:
        assert_calendars_hold(live, head["id"], "ics")
    for draft in drafts:
        assert live.plan(draft)["state"] == "draft"


def test_a_move_without_if_match_or_with_a_stale_one_is_refused(live: Live) -> None:
    head = live.solve(live.upload(CONFIG))
    ((uid, start),) = movable(live, head["id"], 1, set())
    path = f"/plans/{head['id']}/meetings/{uid}/move"
    assert live.client.post(path, json={"start": start}, headers=auth("admin")).status_code == 428
    stale = {"If-Match": f'"{head["version"] + 1}"'}
    refused = live.client.post(path, json={"start": start}, headers={**auth("admin"), **stale})
    assert refused.status_code == 412
    assert children_of(live, head["id"]) == []


# --------------------------------------------------------------------------- absences


def _absent_all_day(meeting: dict[str, Any]) -> dict[str, str]:
    person = next(a["person"] for a in meeting["attendees"] if a["role"] == "psykolog")
    day = meeting["start"][:10]
    return {"person": person, "start": f"{day}T07:00:00+01:00", "end": f"{day}T18:00:00+01:00"}


def planned_during(plan: dict[str, Any], absence: dict[str, Any]) -> list[str]:
    start, end = datetime.fromisoformat(absence["start"]), datetime.fromisoformat(absence["end"])
    return [
        m["uid"]
        for m in plan["meetings"]
        if absence["person"] in {a["person"] for a in m["attendees"]}
        and datetime.fromisoformat(m["start"]) < end
        and start < datetime.fromisoformat(m["end"])
    ]


def test_two_proposals_accepted_at_once_land_one_and_leave_the_other_open(live: Live) -> None:
    head = live.solve(live.upload(CONFIG))
    publish(live, head["id"])
    for round_ in range(3):
        head = live.newest()
        # 5 or 6 meetings: the vinterferie fortnight may be skipped
        skovlunde = [m for m in head["meetings"] if m["series"] == "kk-skovlunde"]
        meetings = [
            [m for m in head["meetings"] if m["series"] == "kk-baltorp"][2 * round_],
            skovlunde[min(2 * round_ + 1, len(skovlunde) - 1)],
        ]
        absences = []
        for meeting in meetings:
            registered = live.client.post("/absences", json=_absent_all_day(meeting), headers=auth("admin"))
            assert registered.status_code == 201, registered.text
            absences.append(registered.json())
            assert absences[-1]["proposals"], absences[-1]["no_proposal"]

        def accept(i: int, absences: list[dict[str, Any]] = absences) -> httpx.Response:
            absence = absences[i]
            best = absence["proposals"][0]
            return live.client.post(
                f"/absences/{absence['id']}/proposals/{best['id']}/accept",
                headers={**auth("admin"), "If-Match": f'"{best["version"]}"'},
            )

        answers = at_once(2, accept)
        assert sorted(a.status_code for a in answers) == [201, 412], [a.text for a in answers]
        won = next(i for i, a in enumerate(answers) if a.status_code == 201)
        newest = live.newest()
        with live.state.sessions() as db:
            states = [db.get(Absence, a["id"]).state for a in absences]  # type: ignore[union-attr]
            accepted = [
                db.scalar(
                    select(Proposal.id).where(
                        Proposal.absence_id == a["id"], Proposal.accepted_at.is_not(None)
                    )
                )
                for a in absences
            ]
        # exactly the winner landed; the loser's absence stays open, so nobody is told it is covered
        assert states == [AbsenceState.resolved if i == won else AbsenceState.open for i in range(2)]
        assert [a is not None for a in accepted] == [i == won for i in range(2)]
        for absence, state in zip(absences, states, strict=True):
            if state == AbsenceState.resolved:  # resolved means: not planned in the absent time
                assert not planned_during(newest, absence)
        assert_calendars_hold(live, newest["id"], "ics")


# --------------------------------------------------------------------------- bookings


FAMILIEMOEDE = {
    "participants": [{"person": "fsr"}, {"person": "leder-baltorp"}, {"name": "familien"}],
    "site": "baltorp-skole",
    "duration_minutes": 60,
    "earliest": "2027-02-01",
    "latest": "2027-02-05",
}


R = TypeVar("R")


def ignoring_index(call: Callable[..., R], *args: Any) -> Callable[[int], R]:
    """`call(*args)` for `at_once`, which passes each thread's index."""
    return lambda _index: call(*args)


def publish_as_admin(live: Live, path: str) -> httpx.Response:
    return live.client.post(path, json={}, headers=auth("admin"))


def book(live: Live, plan_id: int, request_id: str) -> httpx.Response:
    body = {"request": {**FAMILIEMOEDE, "id": request_id}, "rank": 1}
    return live.client.post(f"/plans/{plan_id}/slots/book", json=body, headers=auth("fsr"))


def test_the_same_familiemoede_booked_twice_at_once_is_booked_once(live: Live) -> None:
    head = live.solve(live.upload(CONFIG))
    for round_ in range(3):
        request_id = f"fm-{round_}"
        answers = at_once(2, ignoring_index(book, live, head["id"], request_id))
        assert sorted(a.status_code for a in answers) == [201, 412], [a.text for a in answers]
        head = live.newest()
        assert sum(f"{request_id}." in m["uid"] for m in head["meetings"]) == 1


# --------------------------------------------------------------------------- publishing


def test_two_publishes_at_once_send_every_invitation_once(db: Db, tmp_path: Path) -> None:
    smtp = SmtpServer().start()
    calendar = CalendarSettings(
        calendar_backend="email",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        ledger_path=tmp_path / "ledger.sqlite3",
    )
    try:
        with live_service(db.url, calendar) as live:
            for window in ("12:30-16:00", "13:30-16:00"):  # the second round moves every meeting
                plan = live.solve(live.upload(CONFIG.replace('window: "12:30-16:00"', f'window: "{window}"')))
                before = len(smtp.messages)
                path = f"/plans/{plan['id']}/publish"
                answers = at_once(2, ignoring_index(publish_as_admin, live, path))
                codes = sorted(a.status_code for a in answers)
                assert codes in ([200, 200], [200, 409]), [a.text for a in answers]
                refused = [a.json() for a in answers if a.status_code == 409]
                assert all("i gang" in r["detail"] for r in refused)
                sent = sum(a.json()["messages"] for a in answers if a.status_code == 200)
                received = smtp.messages[before:]
                assert sent == len(received) > 0
                keys = Counter((m.rcpt_tos, m.message["Subject"], _uid(m)) for m in received)
                assert max(keys.values()) == 1, "an invitation was sent twice"
                assert_calendars_hold(live, plan["id"], "email")
    finally:
        smtp.stop()


def _uid(message: Any) -> str:
    for part in message.message.walk():
        if part.get_content_type() == "text/calendar":
            text = part.get_content()
            return next(line for line in text.splitlines() if line.startswith("UID:"))
    return ""


# --------------------------------------------------------------------------- one-off meetings are kept


@pytest.mark.parametrize("change", ["move", "accept", "solve", "solve-with-lock"])
def test_a_booked_familiemoede_survives_every_later_change(live: Live, change: str) -> None:
    config_id = live.upload(CONFIG)
    head = live.solve(config_id)
    publish(live, head["id"])
    booked = book(live, head["id"], "fm-keep")
    assert booked.status_code == 201, booked.text
    head = live.newest()
    one_off = next(m for m in head["meetings"] if m["one_off"])

    if change == "move":
        ((uid, start),) = movable(live, head["id"], 1, {one_off["uid"]})
        answer = live.client.post(
            f"/plans/{head['id']}/meetings/{uid}/move",
            json={"start": start},
            headers={**auth("admin"), **if_match(head)},
        )
        assert answer.status_code == 201, answer.text
    elif change == "accept":
        meeting = [m for m in head["meetings"] if m["series"] == "kk-skovlunde"][4]
        absence = live.client.post("/absences", json=_absent_all_day(meeting), headers=auth("admin")).json()
        best = absence["proposals"][0]
        answer = live.client.post(
            f"/absences/{absence['id']}/proposals/{best['id']}/accept",
            headers={**auth("admin"), "If-Match": f'"{best["version"]}"'},
        )
        assert answer.status_code == 201, answer.text
    else:
        if change == "solve-with-lock":
            other = next(m for m in head["meetings"] if not m["one_off"])
            path = f"/plans/{head['id']}/meetings/{other['uid']}/lock"
            lock = live.client.put(path, json={}, headers=auth("admin"))
            assert lock.status_code == 201
        resolved = live.solve(config_id)
        publish(live, resolved["id"])

    newest = live.newest()
    kept = next((m for m in newest["meetings"] if m["uid"] == one_off["uid"]), None)
    assert kept is not None, "the booked Familiemøde was dropped"
    assert (kept["start"], kept["attendees"], kept["guests"]) == (
        one_off["start"],
        one_off["attendees"],
        one_off["guests"],
    )
    with Ledger(live.state.calendar.ledger_path) as ledger:
        cancels = [d for d in ledger.deliveries("ics") if d.uid == one_off["uid"] and d.action == "cancel"]
    assert cancels == []
    assert_calendars_hold(live, newest["id"], "ics")


def test_a_solve_plans_around_a_booked_familiemoede(live: Live) -> None:
    """The fresh solve keeps the Familiemøde and puts nobody in it into another meeting then."""
    config_id = live.upload(CONFIG)
    head = live.solve(config_id)
    assert book(live, head["id"], "fm-around").status_code == 201
    one_off = next(m for m in live.newest()["meetings"] if m["one_off"])
    resolved = live.solve(config_id)
    start, end = datetime.fromisoformat(one_off["start"]), datetime.fromisoformat(one_off["end"])
    people = {a["person"] for a in one_off["attendees"]}
    for meeting in resolved["meetings"]:
        if meeting["uid"] == one_off["uid"]:
            continue
        overlaps = (
            datetime.fromisoformat(meeting["start"]) < end and start < datetime.fromisoformat(meeting["end"])
        )
        assert not (overlaps and people & {a["person"] for a in meeting["attendees"]})


# --------------------------------------------------------------------------- a crash while sending


class Server:
    """`moedeplan serve` as a real process on the SQLite default in `folder`."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder, self.env = folder, env
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)],
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.url}/health", timeout=2)
                return self
            except httpx.TransportError:
                assert self.process is not None and self.process.poll() is None, "the server died at start-up"
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(check: Any, what: str, seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.workers
def test_a_publish_killed_after_its_first_email_is_finished_after_a_restart(tmp_path: Path) -> None:
    """The server is SIGKILLed while a move of a published plan is being sent (right after the
    SMTP server accepted the first e-mail); the restarted server sends the rest from the outbox,
    and every person in the move gets its update once (the one in flight at most twice)."""
    from typer.testing import CliRunner

    from api.cli import app

    users = tmp_path / "users.yaml"
    token = CliRunner().invoke(app, ["user-add", str(users), "IT", "--role", "admin"]).output.strip()
    admin = {"Authorization": f"Bearer {token}"}
    smtp = SmtpServer().start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MOEDEPLAN_")},
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "MOEDEPLAN_USERS_FILE": str(users),
        "MOEDEPLAN_FEED_SECRET": FEED_SECRET,
        "MOEDEPLAN_CALENDAR_BACKEND": "email",
        "MOEDEPLAN_SMTP_HOST": smtp.host,
        "MOEDEPLAN_SMTP_PORT": str(smtp.port),
        "MOEDEPLAN_LEDGER_PATH": str(tmp_path / "ledger.sqlite3"),
        "MOEDEPLAN_SOLVE_TIME_LIMIT": "10",
        "MOEDEPLAN_OUTBOX_SWEEP_SECONDS": "2",
    }
    server = Server(tmp_path, env).start()
    try:
        config = httpx.post(f"{server.url}/configs", json={"name": "t", "yaml": CONFIG}, headers=admin)
        job = httpx.post(f"{server.url}/plans/solve", json={"config_id": config.json()["id"]}, headers=admin)
        done = _until(
            lambda: (j := httpx.get(f"{server.url}/jobs/{job.json()['id']}", headers=admin).json())["state"]
            == "done"
            and j,
            "the solve",
        )
        plan_id = int(done["plan_id"])
        assert httpx.post(f"{server.url}/plans/{plan_id}/publish", json={}, headers=admin).status_code == 200
        plan_etag = httpx.get(f"{server.url}/plans/{plan_id}", headers=admin).headers["ETag"]
        sessions = make_session_factory(f"sqlite:///{tmp_path / 'moedeplan.sqlite3'}")
        with sessions() as db:
            row, plan = storage.get_plan(db, plan_id)
            model_config = effective_config(db, storage.get_config(db, row.config_version_id))
        ((uid, start),) = candidate_moves(plan, model_config, 1, set())

        before = len(smtp.messages)
        assert server.process is not None
        smtp.on_message = lambda _message: os.kill(server.process.pid, signal.SIGKILL)  # type: ignore[union-attr]
        with pytest.raises(httpx.TransportError):
            httpx.post(
                f"{server.url}/plans/{plan_id}/meetings/{uid}/move",
                json={"start": start},
                headers={**admin, "If-Match": plan_etag},
                timeout=60,
            )
        server.process.wait(30)
        smtp.on_message = None
        assert len(smtp.messages) == before + 1  # killed right after the first e-mail
        with sessions() as db:
            live_row = storage.live_plan_version(db, TERM)
            assert live_row is not None and live_row.id != plan_id and live_row.published_at is not None
            moved_id = live_row.id
            assert [p.plan_version_id for p in storage.pending_publications(db)] == [moved_id]

        server = Server(tmp_path, env).start()  # the start-up sweep finishes the publication
        delivery = _until(
            lambda: (d := httpx.get(f"{server.url}/plans/{moved_id}/delivery", headers=admin).json())["state"]
            == "done"
            and d,
            "the resumed publication",
        )
        assert delivery["unsent"] == []
        diff = httpx.get(f"{server.url}/plans/{moved_id}/diff", headers=admin).json()
        told = {a["person"] for c in diff for a in [*c["before_attendees"], *c["after_attendees"]]}
        got = Counter((rcpt, _uid(m)) for m in smtp.messages[before:] for rcpt in m.rcpt_tos)
        assert {rcpt for rcpt, _ in got} == {f"{person}@ballerup.example" for person in told}
        # each calendar item reached each person once; only the e-mail in flight at the kill twice
        assert sorted(got.values())[:-1] == [1] * (len(got) - 1) and max(got.values()) <= 2

        # and the next change of the live plan is sent at once, as usual
        moved = httpx.get(f"{server.url}/plans/{moved_id}", headers=admin)
        with sessions() as db:
            _, plan = storage.get_plan(db, moved_id)
        ((uid, start),) = candidate_moves(plan, model_config, 1, {uid})
        answer = httpx.post(
            f"{server.url}/plans/{moved_id}/meetings/{uid}/move",
            json={"start": start},
            headers={**admin, "If-Match": moved.headers["ETag"]},
            timeout=60,
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["published"] is True and answer.json()["sent_to"]
        sessions.kw["bind"].dispose()
    finally:
        server.stop()
        smtp.stop()


def test_a_publish_to_an_unreachable_smtp_server_waits_in_the_outbox_and_is_sent_later(
    db: Db, tmp_path: Path
) -> None:
    closed = ClosedPort()
    calendar = CalendarSettings(
        calendar_backend="email",
        smtp_host=closed.host,
        smtp_port=closed.port,
        smtp_timeout=2,
        ledger_path=tmp_path / "ledger.sqlite3",
    )
    smtp = SmtpServer()
    try:
        with live_service(db.url, calendar) as live:
            plan = live.solve(live.upload(CONFIG))
            started = time.monotonic()
            answer = publish(live, plan["id"])
            assert time.monotonic() - started < 15
            assert answer["pending"] is True and answer["messages"] == 0
            assert any("MOEDEPLAN_SMTP_HOST" in f for f in answer["failures"])
            delivery = live.client.get(f"/plans/{plan['id']}/delivery", headers=auth("admin")).json()
            assert delivery["state"] == "pending" and delivery["unsent"]
            assert {u["failed"] for u in delivery["unsent"]} == {False}  # waiting, not given up

            smtp.start()  # the server comes back; the next sweep sends what waited
            back = {"smtp_host": smtp.host, "smtp_port": smtp.port}
            live.state.calendar = calendar.model_copy(update=back)
            assert resume_pending(live.state) != []
            delivery = live.client.get(f"/plans/{plan['id']}/delivery", headers=auth("admin")).json()
            assert (delivery["state"], delivery["unsent"]) == ("done", [])
            assert len(smtp.messages) == delivery["messages"] > 0
            assert_calendars_hold(live, plan["id"], "email")
    finally:
        closed.close()
        smtp.stop()


def test_an_absence_reason_copied_into_a_title_is_never_published(live: Live) -> None:
    """Absence reasons registered through the API are confidential too, though the uploaded
    config does not hold them: a title that repeats one is refused before anything is sent."""
    reason = "Udredning af barnet i 3.B"
    leaky = CONFIG.replace(
        "type: koordineringskonference_skole\n    unit: baltorpskolen",
        "type: koordineringskonference_skole\n"
        f"    title: 'Konference – {reason.upper()}'\n    unit: baltorpskolen",
    )
    assert leaky != CONFIG
    plan = live.solve(live.upload(leaky))
    day = "2027-03-22"
    body = {"person": "fsr", "start": f"{day}T08:00+01:00", "end": f"{day}T16:00+01:00", "reason": reason}
    assert live.client.post("/absences", json=body, headers=auth("admin")).status_code == 201
    refused = live.client.post(f"/plans/{plan['id']}/publish", json={}, headers=auth("admin"))
    assert refused.status_code == 422 and reason.casefold() not in refused.text.casefold()
    assert "tavshedspligt" in refused.json()["detail"]
    assert live.plan(plan["id"])["published_at"] is None
    with Ledger(live.state.calendar.ledger_path) as ledger:
        assert ledger.deliveries() == []
