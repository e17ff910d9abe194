"""The web pages' sign-in and role boundaries: sessions live on the server, users count at once,
each role reaches the pages (and feed links) the API would give it.

TestClient against the real app on a SQLite file (`tests.web.site`), with the users read from a
file on disk where a test edits them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import update

from api import storage
from api.auth import Directory, token_hash
from api.db import session_scope
from api.orm import WebSession
from api.web import session
from tests.web.conftest import Site
from tests.web.site import USERS, token


def users_file(path: Path, keys: list[str]) -> Path:
    """The site's users (`tests.web.site.USERS`) as a file, the way `moedeplan user-add` writes it."""
    entries = [
        {
            "name": USERS[k][0],
            "role": USERS[k][1].value,
            "token_sha256": token_hash(token(k)),
            "person": USERS[k][2],
            "districts": USERS[k][3],
        }
        for k in keys
    ]
    path.write_text(yaml.safe_dump({"users": entries}, allow_unicode=True), encoding="utf-8")
    return path


def test_logging_out_ends_the_session_for_every_copy_of_the_cookie(site: Site) -> None:
    csrf = site.sign_in("baltorp")
    copied = site.client.cookies[session.COOKIE]
    assert token("baltorp") not in copied and token_hash(token("baltorp")) not in copied
    assert site.client.get("/overview").url.path == "/overview"
    assert site.client.post("/logout", data={"csrf": csrf}).url.path == "/login"
    site.client.cookies.set(session.COOKIE, copied)  # the cookie someone copied before
    assert site.client.get("/overview").url.path == "/login"
    with session_scope(site.state.sessions) as db:
        [row] = db.query(WebSession).all()
        assert row.ended_at is not None


def test_a_removed_user_is_signed_out_of_the_pages_at_once(site: Site, tmp_path: Path) -> None:
    path = users_file(tmp_path / "users.yaml", list(USERS))
    site.state.directory = Directory.from_file(path)
    site.sign_in("baltorp")
    assert site.client.get("/overview").url.path == "/overview"
    users_file(path, ["admin", "psyk-a"])
    assert site.client.get("/overview").url.path == "/login"
    form = site.client.get("/login")
    again = site.client.post("/login", data={"token": token("baltorp"), "csrf": site.csrf(form.text)})
    assert again.status_code == 401
    users_file(path, ["admin", "baltorp"])  # added back: signs in at once
    site.sign_in("baltorp")
    assert site.client.get("/overview").url.path == "/overview"


def test_a_session_ends_when_it_expires_on_the_server(site: Site) -> None:
    site.sign_in("baltorp")
    assert site.client.get("/overview").url.path == "/overview"
    with session_scope(site.state.sessions) as db:
        db.execute(update(WebSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert site.client.get("/overview").url.path == "/login"


def _offered(html: str) -> set[tuple[str, str]]:
    return set(re.findall(r'<li class="ics" data-kind="(\w+)" data-id="([^"]+)">', html))


def test_a_leader_is_offered_feed_links_only_for_their_own_district(site: Site) -> None:
    site.solve("baltorp")
    offered = _offered(site.client.get("/publish").text)
    assert offered == {
        ("district", "baltorp"),
        ("unit", "baltorpskolen"),
        ("person", "leder-baltorp"),  # chairs Baltorp's meetings
        ("person", "psykolog-a"),  # serve every district
        ("person", "psykolog-b"),
        ("person", "fsr"),
    }
    site.sign_in("admin")
    everything = _offered(site.client.get("/publish").text)
    assert {
        ("district", "skovlunde"),
        ("unit", "skovlunde-skole"),
        ("person", "leder-skovlunde"),
    } <= everything
    # The same links each time the page is shown.
    first = re.findall(r"token=([\w-]+)", site.client.get("/publish").text)
    assert first == re.findall(r"token=([\w-]+)", site.client.get("/publish").text)


def test_each_role_reaches_exactly_its_pages(site: Site) -> None:
    site.solve("baltorp")
    with session_scope(site.state.sessions) as db:
        latest = storage.latest_plan_version(db, "foraar-2027")
        assert latest is not None
        uid = storage.get_plan(db, latest.id)[1].meetings[0].uid
    pages = {
        "/overview": (200, 200, 403, 403),
        "/person?id=psykolog-a": (200, 200, 200, 403),
        "/person?id=psykolog-b": (200, 200, 403, 403),
        "/load": (200, 200, 403, 403),
        "/solve": (200, 200, 403, 403),
        "/publish": (200, 200, 403, 403),
        "/drafts": (200, 200, 403, 403),
        f"/meeting/{uid}": (200, 200, 403, 403),
        "/absence": (200, 200, 200, 200),
        "/bal": (200, 200, 403, 403),
        "/bal/facilitators": (200, 200, 200, 403),
    }
    wrong = []
    for i, who in enumerate(("admin", "baltorp", "psyk-a", "hr")):
        site.sign_in(who)
        for path, expected in pages.items():
            status = site.client.get(path).status_code
            if status != expected[i]:
                wrong.append(f"{who} {path}: {status}, not {expected[i]}")
    assert not wrong, "\n".join(wrong)
