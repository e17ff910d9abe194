"""The web pages through TestClient: sign-in, CSRF, roles exactly as the API's, Danish and English.

Fast and browser-free; the end-to-end walk in Chromium is test_web_browser.py.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from api import storage
from api.db import session_scope
from api.jobs import job_params
from api.orm import Job
from api.web import session
from api.web.i18n import long_date, when
from calendar_sync.ledger import Ledger
from scheduler.config import parse_config
from scheduler.deviation import deviations
from scheduler.model import Plan
from scheduler.term_dates import TZ
from tests.builders import TWO_DISTRICTS
from tests.web.conftest import Site
from tests.web.site import token


def newest(site: Site) -> Plan:
    with session_scope(site.state.sessions) as db:
        row = storage.latest_plan_version(db, "foraar-2027")
        assert row is not None
        return storage.get_plan(db, row.id)[1]


# --------------------------------------------------------------------------- words and dates


def test_dates_read_the_danish_way_and_the_english_way() -> None:
    assert long_date(date(2027, 3, 9)) == "tirsdag 9. marts 2027"
    assert long_date(date(2027, 3, 9), "en") == "Tuesday 9 March 2027"
    start = datetime(2027, 1, 12, 12, 30, tzinfo=TZ)
    assert when(start, start.replace(hour=14, minute=30)) == "tirsdag 12. januar 2027 kl. 12:30-14:30"
    # A UTC time is shown in Copenhagen: 23:30 UTC on 31 December is already New Year's Day.
    assert long_date(datetime.fromisoformat("2026-12-31T23:30:00+00:00")) == "fredag 1. januar 2027"


# --------------------------------------------------------------------------- sign-in and sessions


def test_pages_need_a_sign_in_and_the_api_is_unchanged(site: Site) -> None:
    response = site.client.get("/overview?district=baltorp")
    assert response.url.path == "/login" and "next=%2Foverview%3Fdistrict%3Dbaltorp" in str(response.url)
    assert 'lang="da"' in response.text and "Log ind" in response.text
    assert site.client.get("/health").json()["status"] == "ok"
    assert site.client.get("/plans").status_code == 401  # still JSON, still bearer tokens
    assert site.client.get("/plans").json()["detail"]
    paths = site.client.get("/openapi.json").json()["paths"]
    assert not any(p.startswith(("/overview", "/login", "/solve", "/publish", "/absence/")) for p in paths)
    assert site.client.get("/docs").status_code == 200


def test_sign_in_sets_a_signed_httponly_lax_cookie_without_the_token(site: Site) -> None:
    form = site.client.get("/login")
    response = site.client.post(
        "/login",
        data={"token": token("baltorp"), "csrf": site.csrf(form.text), "next": "/overview"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/overview"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(session.COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert token("baltorp") not in cookie
    # A tampered cookie is no session at all.
    value = site.client.cookies[session.COOKIE]
    site.client.cookies.set(session.COOKIE, value[:-2] + ("00" if not value.endswith("00") else "11"))
    assert site.client.get("/overview").url.path == "/login"


def test_a_wrong_token_or_a_missing_csrf_token_is_refused(site: Site) -> None:
    form = site.client.get("/login")
    wrong = site.client.post("/login", data={"token": "nope", "csrf": site.csrf(form.text)})
    assert wrong.status_code == 401 and "Ukendt token" in wrong.text
    no_csrf = site.client.post("/login", data={"token": token("baltorp")})
    assert no_csrf.status_code == 403
    assert site.client.get("/overview").url.path == "/login"


def test_sign_in_never_redirects_off_site(site: Site) -> None:
    form = site.client.get("/login")
    response = site.client.post(
        "/login",
        data={"token": token("baltorp"), "csrf": site.csrf(form.text), "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_posts_without_this_sessions_csrf_token_change_nothing(site: Site) -> None:
    csrf = site.sign_in("baltorp")
    for sent in ({}, {"csrf": "forged-token"}):
        response = site.client.post("/solve", data={"config_id": "1", **sent})
        assert response.status_code == 403
        assert "Formularen var for gammel" in response.text
    with session_scope(site.state.sessions) as db:
        assert db.query(Job).count() == 0
    # The htmx header carries it too.
    ok = site.client.post("/solve", data={"config_id": "1"}, headers={session.CSRF_HEADER: csrf})
    assert ok.status_code == 200 and "/solve/jobs/" in str(ok.url)
    out = site.client.post("/logout", data={"csrf": csrf})
    assert out.url.path == "/login"
    assert site.client.get("/overview").url.path == "/login"


def test_session_cookies_expire_and_need_their_signature() -> None:
    key = b"k" * 32
    web = session.new_session("ab" * 32)
    value = session.encode(key, web)
    assert session.decode(key, value, max_age=60) == web
    assert session.decode(b"other" * 8, value, max_age=60) is None
    assert session.decode(key, value, max_age=60, now=web.issued + 61) is None
    assert session.decode(key, "garbage", max_age=60) is None


# --------------------------------------------------------------------------- roles


def test_a_baltorp_leader_sees_skovlunde_but_cannot_change_it(site: Site) -> None:
    plan_id = site.solve("baltorp")
    plan = newest(site)
    theirs = next(m for m in plan.meetings if m.unit == "skovlunde-skole")
    own = next(m for m in plan.meetings if m.unit == "baltorpskolen")
    csrf = site.sign_in("baltorp")
    overview = site.client.get("/overview?district=skovlunde")
    assert overview.status_code == 200 and theirs.uid in overview.text
    page = site.client.get(f"/meeting/{theirs.uid}")
    assert page.status_code == 200 and 'id="no-rights"' in page.text
    assert "/lock" not in page.text and "/move" not in page.text
    lock = site.client.post(f"/meeting/{theirs.uid}/lock", data={"csrf": csrf, "plan": str(plan_id)})
    assert lock.status_code == 403 and "må ikke ændre" in lock.text
    move = site.client.post(
        f"/meeting/{theirs.uid}/move",
        data={
            "csrf": csrf,
            "plan": str(plan_id),
            "version": "1",
            "start": theirs.start.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert move.status_code == 403
    with session_scope(site.state.sessions) as db:
        assert storage.locked_uids(db, "foraar-2027") == set()
    # Their own district: buttons and the change both work.
    page = site.client.get(f"/meeting/{own.uid}")
    assert f"/meeting/{own.uid}/lock" in page.text
    locked = site.client.post(f"/meeting/{own.uid}/lock", data={"csrf": csrf, "plan": str(plan_id)})
    assert locked.status_code == 200 and "Mødet er låst" in locked.text
    with session_scope(site.state.sessions) as db:
        assert storage.locked_uids(db, "foraar-2027") == {own.uid}
    assert 'class="mtg is-locked"' in site.client.get("/overview").text


def test_a_leader_moves_their_own_meeting_into_a_new_version(site: Site) -> None:
    plan_id = site.solve("baltorp")
    own = [m for m in newest(site).meetings if m.series == "kk-baltorp"][1]
    later = own.start.astimezone(TZ).replace(hour=13, minute=0)
    csrf = site.sign_in("baltorp")
    moved = site.client.post(
        f"/meeting/{own.uid}/move",
        data={
            "csrf": csrf,
            "plan": str(plan_id),
            "version": "1",
            "start": later.strftime("%Y-%m-%dT%H:%M"),
            "reason": "lokale",
        },
    )
    assert moved.status_code == 200, moved.text
    assert "Mødet er flyttet" in moved.text and "kl. 13:00-15:00" in moved.text
    moved_plan = newest(site)
    assert next(m for m in moved_plan.meetings if m.uid == own.uid).start == later
    # The old version is no longer the newest: the page says so and offers no changes.
    old = site.client.get(f"/meeting/{own.uid}?plan={plan_id}").text
    assert "ikke den nyeste version" in old and f"/meeting/{own.uid}/move" not in old
    stale = site.client.post(
        f"/meeting/{own.uid}/move",
        data={"csrf": csrf, "plan": str(plan_id), "version": "1", "start": later.strftime("%Y-%m-%dT%H:%M")},
    )
    assert stale.status_code == 412


def test_the_meeting_page_says_how_a_meeting_differs_from_its_rhythm(site: Site) -> None:
    plan_id = site.solve("baltorp")
    series_meetings = [m for m in newest(site).meetings if m.series == "kk-baltorp"]
    own, other = series_meetings[1], series_meetings[2]
    usual = own.start.astimezone(TZ)
    moved_to = usual.replace(hour=13, minute=30 if (usual.hour, usual.minute) == (13, 0) else 0)
    csrf = site.sign_in("baltorp")
    page = site.client.post(
        f"/meeting/{own.uid}/move",
        data={"csrf": csrf, "plan": str(plan_id), "version": "1", "start": f"{moved_to:%Y-%m-%dT%H:%M}"},
    )
    assert page.status_code == 200, page.text
    config = parse_config(TWO_DISTRICTS)
    moved_plan = newest(site)
    series = next(s for s in config.series if s.id == "kk-baltorp")
    term = next(t for t in config.terms if t.id == moved_plan.term)
    in_series = [m for m in moved_plan.meetings if m.series == "kk-baltorp"]
    texts = {d.meeting.uid: d.text_da for d in deviations(config, term, series, in_series)}
    assert f"kl. {moved_to:%H:%M} i stedet for {usual:%H:%M}" in texts[own.uid]
    assert "Afviger fra seriens rytme" in page.text and texts[own.uid] in page.text
    if other.uid not in texts:
        assert 'id="deviation"' not in site.client.get(f"/meeting/{other.uid}").text


def test_the_absence_form_passes_a_named_substitute_on(site: Site) -> None:
    site.solve("baltorp")
    meeting = [m for m in newest(site).meetings if m.series == "kk-baltorp"][1]
    day = meeting.start.astimezone(TZ).date().isoformat()
    csrf = site.sign_in("baltorp")
    form = {"csrf": csrf, "person": "leder-baltorp", "start": f"{day}T08:00", "end": f"{day}T18:00"}
    refused = site.client.post("/absence", data={**form, "substitute": "fsr"})
    assert refused.status_code == 422 and "ingen rolle til fælles" in refused.text, refused.text
    registered = site.client.post("/absence", data={**form, "substitute": ""})
    assert registered.status_code == 200 and "Forslag 1" in registered.text
    assert 'id="substitute"' not in registered.text
    again = site.client.post("/absence", data={**form, "substitute": ""})
    assert again.status_code == 200 and "findes allerede" in again.text  # no second record
    other = [m for m in newest(site).meetings if m.series == "kk-baltorp"][2]
    later = other.start.astimezone(TZ).date().isoformat()
    form = {**form, "start": f"{later}T08:00", "end": f"{later}T18:00"}
    named = site.client.post("/absence", data={**form, "substitute": "leder-skovlunde"})
    assert named.status_code == 200 and '<p id="substitute">Vikar: Leder Skovlunde</p>' in named.text


def test_a_leader_cannot_accept_a_proposal_that_changes_another_district(site: Site) -> None:
    plan_id = site.solve("skovlunde")
    meeting = [m for m in newest(site).meetings if m.series == "kk-skovlunde"][1]
    day = meeting.start.astimezone(TZ).date().isoformat()
    csrf = site.sign_in("baltorp")  # leaders may register anyone's absence (as in the API)
    registered = site.client.post(
        "/absence",
        data={"csrf": csrf, "person": "leder-skovlunde", "start": f"{day}T08:00", "end": f"{day}T18:00"},
    )
    assert registered.status_code == 200, registered.text
    proposals = re.findall(r'action="(/absence/\d+/accept/\d+)"', registered.text)
    assert not proposals, "no accept button for another district's meetings"
    assert "Forslag 1" in registered.text and "et andet distrikt" in registered.text
    absence_id = re.search(r"/absence/(\d+)", str(registered.url))
    assert absence_id
    with session_scope(site.state.sessions) as db:
        row = storage.proposals_for(db, int(absence_id.group(1)))[0]
        pid, version = row.id, row.version
    refused = site.client.post(
        f"/absence/{absence_id.group(1)}/accept/{pid}", data={"csrf": csrf, "version": str(version)}
    )
    assert refused.status_code == 403 and "må ikke ændre" in refused.text
    with session_scope(site.state.sessions) as db:
        latest = storage.latest_plan_version(db, "foraar-2027")
        assert latest is not None and latest.id == plan_id


def test_staff_see_only_their_own_weeks_and_absences(site: Site) -> None:
    site.solve("baltorp")
    site.sign_in("psyk-a")
    assert site.client.get("/").url.path == "/person"
    own = site.client.get("/person")
    assert own.status_code == 200 and "Psykolog A" in own.text
    assert site.client.get("/person?id=psykolog-b").status_code == 403
    for path in ("/overview", "/load", "/solve", "/publish"):
        assert site.client.get(path).status_code == 403, path
    form = site.client.get("/absence").text
    names = form.split('<datalist id="staff-names">', 1)[1].split("</datalist>", 1)[0]
    assert re.findall(r'<option value="([^"]+)"', names) == ["Psykolog A"]
    assert re.search(r'<input id="person" name="person"[^>]* value="Psykolog A"', form)  # her own
    assert '<select id="substitute" name="substitute">' in form  # any colleague may take over


def test_a_leader_without_a_person_first_sees_the_first_staff_member_by_name(site: Site) -> None:
    """No default tuned to the example (it used to be 'psykolog-a'): the list's first person."""
    site.solve("baltorp")
    site.sign_in("baltorp")
    page = site.client.get("/person")
    assert page.status_code == 200
    assert "<title>Personens uger: Leder Baltorp" in page.text


def test_a_service_token_only_reaches_the_absence_page(site: Site) -> None:
    site.sign_in("hr")
    assert site.client.get("/").url.path == "/absence"
    assert site.client.get("/overview").status_code == 403


# --------------------------------------------------------------------------- language, assets, publish


def test_english_on_request_and_kept_in_a_cookie(site: Site) -> None:
    site.solve("baltorp")
    page = site.client.get("/overview?lang=en")
    assert 'lang="en"' in page.text and "Semester overview" in page.text
    assert site.client.cookies.get(session.LANG_COOKIE) == "en"
    meeting = newest(site).meetings[0]
    detail = site.client.get(f"/meeting/{meeting.uid}").text
    assert long_date(meeting.start, "en") in detail and "Why here?" in detail
    back = site.client.get("/overview?lang=da").text
    assert "Semesteroversigt" in back and 'lang="da"' in back


def test_assets_are_served_from_here_not_a_cdn(site: Site) -> None:
    html = site.client.get("/login").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith(("/", "?", "#")) for s in sources), sources
    htmx = site.client.get("/static/vendor/htmx-2.0.11.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:200]
    assert site.client.get("/static/vendor/htmx-LICENSE.txt").status_code == 200
    css = site.client.get("/static/app.css").text
    assert ":focus-visible" in css


def test_the_publish_preview_sends_nothing_and_publishing_sends_what_it_showed(site: Site) -> None:
    plan_id = site.solve("baltorp")
    csrf = site.sign_in("admin")  # an administrator publishes a term's first plan
    page = site.client.get("/publish")
    assert page.status_code == 200 and 'id="preview"' in page.text
    shown = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', page.text)
    }
    assert shown.get("Psykolog A", 0) > 0
    why = re.search(r'<th scope="row">Psykolog A</th><td>\d+</td>\s*<td class="why">([^<]*)</td>', page.text)
    assert why is not None and why.group(1) == f"{shown['Psykolog A']} nyt møde", "per person: count and why"
    ledger_path = site.state.calendar.ledger_path
    if ledger_path.exists():
        with Ledger(ledger_path) as ledger:
            assert ledger.deliveries() == []
    expected = re.search(r'name="expected" value="(\d+)"', page.text)
    fingerprint = re.search(r'name="shown" value="([0-9a-f]{64})"', page.text)
    assert expected and fingerprint and int(expected.group(1)) == sum(shown.values())
    form = {"csrf": csrf, "plan": str(plan_id), "expected": expected.group(1), "shown": fingerprint.group(1)}
    stale = site.client.post("/publish", data={**form, "expected": str(int(expected.group(1)) + 1)})
    assert stale.status_code == 409 and f"ville nu sende {expected.group(1)} beskeder" in stale.text
    if ledger_path.exists():
        with Ledger(ledger_path) as ledger:
            assert ledger.deliveries() == [], "a refused publish sends nothing"
    assert site.client.post("/publish", data={"csrf": csrf, "plan": str(plan_id)}).status_code == 422
    published = site.client.post("/publish", data=form)
    assert published.status_code == 200 and 'id="published"' in published.text
    with Ledger(ledger_path) as ledger:
        done = [d for d in ledger.deliveries() if d.state == "done"]
    per_person: dict[str, int] = {}
    for d in done:
        per_person[d.recipient] = per_person.get(d.recipient, 0) + 1
    assert per_person.get("psykolog-a") == shown["Psykolog A"]
    again = site.client.get("/publish").text
    assert "Intet at sende" in again
    link = re.search(
        r'value="(http://127\.0\.0\.1:8000/calendars/person/psykolog-a\.ics\?token=[\w-]+)"', again
    )
    assert link, "Psykolog A's ICS link is offered"
    feed = site.client.get(link.group(1).removeprefix("http://127.0.0.1:8000"))
    assert feed.status_code == 200 and feed.text.startswith("BEGIN:VCALENDAR")


def test_the_publish_page_shows_what_a_crashed_publish_left_unsent(site: Site) -> None:
    """The state a crash leaves between committing a publication and sending it: the page says
    sending is not finished; once the outbox sweep has run, it no longer does."""
    from api.publishing import make_live, resume_pending

    plan_id = site.solve("baltorp")
    site.sign_in("baltorp")
    assert 'id="unsent"' not in site.client.get("/publish").text
    with session_scope(site.state.sessions) as db:
        make_live(db, site.state, storage.get_plan_version(db, plan_id), "Leder Baltorp", "udsendt", None)
    page = site.client.get("/publish").text
    assert 'id="unsent"' in page and "Udsendelsen er ikke færdig" in page
    assert resume_pending(site.state) != []
    page = site.client.get("/publish").text
    assert 'id="unsent"' not in page


@pytest.mark.parametrize("path", ["/load", "/person?id=psykolog-a", "/solve"])
def test_the_other_pages_render_for_a_leader(site: Site, path: str) -> None:
    site.solve("baltorp")
    page = site.client.get(path)
    assert page.status_code == 200, page.text
    assert "<svg" in page.text if path == "/load" else True


# --------------------------------------------------------------------------- bad ids


BAD_IDS = [str(2**64), str(2**63), "-1", "0", "abc"]
# (method, path, form, field): every id a page takes, in a path, a query or a form.
ID_ROUTES: list[tuple[str, str, dict[str, str] | None, str | None]] = [
    ("get", "/solve/jobs/{id}", None, "job_id"),
    ("get", "/solve/jobs/{id}/progress", None, "job_id"),
    ("get", "/absence/{id}", None, "absence_id"),
    ("post", "/absence/{id}/accept/1", {"version": "1"}, "absence_id"),
    ("post", "/absence/1/accept/{id}", {"version": "1"}, "proposal_id"),
    ("post", "/absence/1/accept/1", {"version": "{id}"}, "version"),
    ("post", "/solve", {"config_id": "{id}"}, "config_id"),
    ("post", "/meeting/kk.1@moedeplan/lock", {"plan": "{id}"}, "plan"),
    ("post", "/meeting/kk.1@moedeplan/unlock", {"plan": "{id}", "version": "1"}, "plan"),
    ("post", "/meeting/kk.1@moedeplan/unlock", {"plan": "1", "version": "{id}"}, "version"),
    ("post", "/meeting/kk.1@moedeplan/move", {"plan": "{id}", "start": "2027-01-12T13:00"}, "plan"),
    ("post", "/publish", {"plan": "{id}", "expected": "0", "shown": "0" * 64}, "plan"),
    # Plan ids in the query string are ignored when they are not one (the newest is shown).
    ("get", "/overview?plan={id}", None, None),
    ("get", "/publish?plan={id}", None, None),
    ("get", "/load?plan={id}", None, None),
    ("get", "/meeting/kk.1@moedeplan?plan={id}", None, None),  # 404: no such meeting
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_ids_beyond_64_bits_negative_or_not_numbers_are_4xx_pages_in_danish(site: Site, bad: str) -> None:
    """2**64 reached the database and crashed every page that takes an id (500)."""
    csrf = site.sign_in("admin")
    for method, path, form, field in ID_ROUTES:
        url = path.replace("{id}", bad)
        if form is None:
            response = site.client.get(url)
        else:
            data = {key: value.replace("{id}", bad) for key, value in form.items()}
            response = site.client.post(url, data={**data, "csrf": csrf})
        where = f"{method.upper()} {url} {form}"
        assert 400 <= response.status_code < 500 or (field is None and response.status_code == 200), (
            where,
            response.status_code,
            response.text[:300],
        )
        assert response.headers["content-type"].startswith("text/html"), where
        if field is not None and not (field == "version" and bad == "0"):  # 0 is a version: 404
            assert response.status_code == 422, where
            if "{id}" in path:  # a part of the address: no field to name
                assert "Adressen er ugyldig." in response.text and field not in response.text, where
            else:
                assert f"Ugyldig værdi i feltet «{field}»" in response.text, where
            assert "Input should" not in response.text and "pydantic" not in response.text, where
    assert site.client.get("/health").json()["status"] == "ok"


# --------------------------------------------------------------------------- drafts and the live plan


def _her_count(html: str) -> int:
    found = re.search(r"(\d+) (?:møder|meetings)", html)
    assert found, html
    return int(found.group(1))


def test_pages_show_the_live_plan_and_say_when_they_show_a_draft(site: Site) -> None:
    v1 = site.solve("admin")
    with session_scope(site.state.sessions) as db:
        row = storage.get_plan_version(db, v1)
        storage.publish_plan_version(db, v1, row.version, "Kommunens IT", "udsendt")
        plan = storage.get_plan(db, v1)[1]
        meetings = [m for m in plan.meetings if any(a.person == "psykolog-a" for a in m.attendees)]
    hers = len(meetings)
    assert hers > 0
    v2 = site.solve("baltorp")  # a new draft: not the plan until it is published
    csrf = site.sign_in("psyk-a")
    mine = site.client.get("/person").text
    assert _her_count(mine) == hers and f"Du ser den gældende plan (version {v1})." in mine
    assert _her_count(site.client.get(f"/person?plan={v2}").text) == hers  # staff see the live plan only
    day = meetings[0].start.astimezone(TZ).date().isoformat()
    form = {"csrf": csrf, "person": "psykolog-a", "start": f"{day}T07:00", "end": f"{day}T18:00"}
    answer = site.client.post("/absence", data=form)
    assert answer.status_code == 200 and f"Du ser den gældende plan (version {v1})." in answer.text
    assert "rører ingen møder" not in answer.text
    site.sign_in("baltorp")
    overview = site.client.get("/overview").text
    assert f"Du ser den gældende plan (version {v1})." in overview and 'data-state="published"' in overview
    draft = site.client.get(f"/person?id=psykolog-a&plan={v2}").text
    assert f"Du ser et udkast (version {v2}); den gældende plan er version {v1}." in draft
    # The drafts page lists the draft; the live plan cannot be discarded, the draft can.
    drafts = site.client.get("/drafts")
    assert f'id="draft-{v2}"' in drafts.text and f'id="draft-{v1}"' not in drafts.text
    csrf = site.csrf(drafts.text)
    refused = site.client.post(f"/drafts/{v1}/discard", data={"csrf": csrf})
    assert refused.status_code == 409 and "gældende plan" in refused.text
    discarded = site.client.post(f"/drafts/{v2}/discard", data={"csrf": csrf})
    assert discarded.status_code == 200 and f'id="draft-{v2}"' not in discarded.text
    assert "Udkastet er kasseret." in discarded.text
    old = site.client.get(f"/overview?plan={v2}").text
    assert f"Du ser version {v2}, som er kasseret; den gældende plan er version {v1}." in old


def test_a_term_never_published_shows_its_newest_draft_and_says_so(site: Site) -> None:
    v1 = site.solve("admin")
    site.sign_in("baltorp")
    page = site.client.get("/overview").text
    assert f"Planen er endnu ikke udsendt: du ser det nyeste udkast (version {v1})" in page


def test_a_failed_solve_shows_why_on_its_job_page_and_leaves_the_plan(site: Site) -> None:
    v1 = site.solve("admin")
    impossible = TWO_DISTRICTS.replace(
        "roles: [psykolog], serves: {all: true}}",
        'roles: [psykolog], serves: {all: true}, working_hours: {wed: "08:00-12:00"}}',
    )
    with session_scope(site.state.sessions) as db:
        config_id = storage.save_config(db, "umulig", impossible, "Kommunens IT", "test").id
    csrf = site.sign_in("baltorp")
    started = site.client.post("/solve", data={"csrf": csrf, "config_id": str(config_id), "time_limit": "3"})
    assert started.status_code == 200 and "/solve/jobs/" in str(started.url), started.text
    site.run_jobs()
    job = site.client.get(str(started.url).split("testserver")[1]).text
    assert 'data-state="failed"' in job and "Der findes ingen plan" in job and "Psykolog" in job
    assert 'id="see-plan"' not in job
    overview = site.client.get("/overview").text
    assert f"du ser det nyeste udkast (version {v1})" in overview


def test_a_partial_solve_lists_the_missing_meetings_and_offers_both_ways_on(site: Site) -> None:
    # both psychologists away in March: the conferences that need one cannot meet then
    away = ", absences: [{start: 2027-03-01, end: 2027-03-26}]}"
    partial = TWO_DISTRICTS.replace(
        "name: Psykolog A, roles: [psykolog], serves: {all: true}}",
        "name: Psykolog A, roles: [psykolog], serves: {all: true}" + away,
    ).replace(
        "name: Psykolog B, roles: [psykolog], serves: {all: true}}",
        "name: Psykolog B, roles: [psykolog], serves: {all: true}" + away,
    )
    assert partial.count("absences") == 2
    with session_scope(site.state.sessions) as db:
        config_id = storage.save_config(db, "delvis", partial, "Kommunens IT", "test").id
    csrf = site.sign_in("admin")
    started = site.client.post("/solve", data={"csrf": csrf, "config_id": str(config_id), "time_limit": "5"})
    assert started.status_code == 200 and "/solve/jobs/" in str(started.url), started.text
    site.run_jobs()
    job = site.client.get(str(started.url).split("testserver")[1]).text
    assert 'data-state="done"' in job, job
    assert "delvis (ikke alle møder kunne placeres)" in job
    assert 'id="unplaced"' in job and "møder kunne ikke placeres" in job
    assert "Psykolog A" in job and "fraværende 1/3-26/3" in job
    assert "Planlæg med det, der kan lade sig gøre" in job and 'id="keep-partial"' in job
    assert "Ret konfigurationen" in job and 'href="/solve#solve-form"' in job
    plan = newest(site)
    assert plan.status.value == "PARTIAL" and plan.unplaced and plan.meetings
    assert all(u.period_start >= date(2027, 2, 22) for u in plan.unplaced)
    overview = site.client.get("/overview").text
    assert 'id="unplaced"' in overview and "Ret konfigurationen" in overview
    with session_scope(site.state.sessions) as db:
        row = storage.latest_plan_version(db, "foraar-2027")
        assert row is not None
        plan_id = row.id
    api = site.client.get(f"/plans/{plan_id}", headers={"Authorization": f"Bearer {token('admin')}"})
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["status"] == "PARTIAL"
    assert [u["series"] for u in body["unplaced"]] == [u.series for u in plan.unplaced]
    assert all(u["reason_da"] for u in body["unplaced"])


def test_an_absence_nobody_covers_shows_a_partial_proposal_and_the_re_solve_lists_what_is_missing(
    site: Site,
) -> None:
    """The Baltorp leader (every Baltorp conference's chair) is away the last fortnight of a
    published plan: the proposals page lists the conference its one proposal leaves out, with
    the reason; a re-solve's job page (a replanning from the live plan) shows the same list."""
    v1 = site.solve("admin")
    with session_scope(site.state.sessions) as db:
        row = storage.get_plan_version(db, v1)
        storage.publish_plan_version(db, v1, row.version, "Kommunens IT", "test")
    csrf = site.sign_in("baltorp")
    registered = site.client.post(
        "/absence",
        data={
            "csrf": csrf,
            "person": "leder-baltorp",
            "start": "2027-03-15T00:00",
            "end": "2027-03-26T23:00",
        },
    )
    assert registered.status_code == 200, registered.text
    page = registered.text
    assert 'id="unplaced-1"' in page and "1 møde kunne ikke placeres" in page
    assert re.search(r'<li data-series="kk-baltorp"[^>]*>Koordineringskonference[^<]*Leder Baltorp', page), (
        page
    )
    assert re.findall(r'action="(/absence/\d+/accept/\d+)"', page)  # it can be accepted like any other
    job_id, job = _solve_on_the_page(site, csrf)
    assert 'data-state="done"' in job, job
    assert "delvis (ikke alle møder kunne placeres)" in job and 'id="unplaced"' in job
    assert 'data-series="kk-baltorp"' in job and "Leder Baltorp" in job
    assert "I forhold til den gældende plan: 1 møde ændres" in job
    assert newest(site).status.value == "PARTIAL"


def _solve_on_the_page(site: Site, csrf: str, **fields: str) -> tuple[int, str]:
    started = site.client.post("/solve", data={"csrf": csrf, "config_id": "1", "time_limit": "3", **fields})
    assert started.status_code == 200 and "/solve/jobs/" in str(started.url), started.text
    job_id = int(str(started.url).rsplit("/", 1)[1])
    site.run_jobs()
    return job_id, site.client.get(f"/solve/jobs/{job_id}").text


def test_a_re_solve_says_what_it_changes_and_start_afresh_is_explicit(site: Site) -> None:
    v1 = site.solve("admin")
    with session_scope(site.state.sessions) as db:
        row = storage.get_plan_version(db, v1)
        storage.publish_plan_version(db, v1, row.version, "Kommunens IT", "test")
    csrf = site.sign_in("admin")
    assert 'name="fresh"' in site.client.get("/solve").text
    kept_job, kept = _solve_on_the_page(site, csrf)
    assert "I forhold til den gældende plan: 0 møder ændres, 0 personer får besked." in kept
    fresh_job, fresh = _solve_on_the_page(site, csrf, fresh="1")
    changed = r"I forhold til den gældende plan: \d+ møder? ændres, \d+ person(er)? får besked\."
    assert re.search(changed, fresh)
    with session_scope(site.state.sessions) as db:
        params = {job_id: job_params(storage.get_job(db, job_id)) for job_id in (kept_job, fresh_job)}
    assert [getattr(params[j], "fresh", None) for j in (kept_job, fresh_job)] == [False, True]


@pytest.mark.parametrize(
    ("bound", "shown"),
    [(150.0, "højst 25,0 % fra det bedst mulige"), (0.0, None), (-40.0, None), (250.0, None)],
)
def test_a_running_solve_shows_the_distance_only_where_it_is_true(
    site: Site, bound: float, shown: str | None
) -> None:
    """A leader reads 'højst X % fra det bedst mulige' for a valid bound, nothing for a bound of 0
    or one that is not a bound of the plan, and never the solver's 'grænse'."""
    csrf = site.sign_in("baltorp")
    with session_scope(site.state.sessions) as db:
        config_id = storage.save_config(db, "fremskridt", TWO_DISTRICTS, "Kommunens IT", "test").id
    started = site.client.post("/solve", data={"csrf": csrf, "config_id": str(config_id), "time_limit": "60"})
    job_id = int(str(started.url).rstrip("/").split("/")[-1])
    with session_scope(site.state.sessions) as db:
        assert storage.claim_job(db, job_id, "test-worker") is not None
    with session_scope(site.state.sessions) as db:
        progress = {"phase": "løser", "solutions": 3, "objective": 200.0, "best_bound": bound, "elapsed_s": 6}
        storage.heartbeat(db, job_id, "test-worker", progress)
    fragment = site.client.get(f"/solve/jobs/{job_id}/progress").text
    assert 'data-state="running"' in fragment
    assert "grænse" not in fragment
    if shown is None:
        assert "fra det bedst mulige" not in fragment
    else:
        assert shown in fragment
