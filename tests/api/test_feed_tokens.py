"""Calendar feed links: issued, not computable; revocable per person and per user; ended with the user.

The API on SQLite and PostgreSQL with a users file on disk (`tests.fakes.service`), a plan
published through the ICS back-end, feeds read back as iCalendar.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from icalendar import Calendar
from typer.testing import CliRunner

from api import feed_tokens, storage
from api.auth import Principal, Role, token_hash
from api.cli import app as cli
from api.orm import FeedToken
from tests.api.databases import Db
from tests.fakes.service import FEED_SECRET, ServiceSite, auth, open_service


def events(site: ServiceSite, path: str) -> int:
    response = site.client.get(path)
    assert response.status_code == 200, response.text
    return len(Calendar.from_ical(response.content).walk("VEVENT"))


def audit_actions(site: ServiceSite, action: str) -> list[tuple[str, str]]:
    with site.state.sessions() as db:
        return [(e.actor, e.detail) for e in storage.audit_trail(db, "feed_token") if e.action == action]


def test_a_feed_token_computed_offline_opens_nothing(db: Db, tmp_path: Path) -> None:
    """The old links were HMAC(key, "person:<id>"): with the key (or an empty one) anyone could
    compute every link. Now only issued links open a feed."""
    with open_service(db.url, tmp_path) as site:
        for key in (FEED_SECRET, ""):
            forged = hmac.new(key.encode(), b"person:psykolog-a", hashlib.sha256).hexdigest()[:40]
            assert site.client.get(f"/calendars/person/psykolog-a.ics?token={forged}").status_code == 404
        assert events(site, site.feed_path("person", "psykolog-a", "psyk-a")) > 0


def test_each_user_gets_the_same_link_every_time_and_only_for_that_feed(db: Db, tmp_path: Path) -> None:
    with open_service(db.url, tmp_path) as site:
        first = site.feed_path("person", "psykolog-a", "psyk-a")
        assert site.feed_path("person", "psykolog-a", "psyk-a") == first
        leader = site.feed_path("person", "psykolog-a", "baltorp")
        assert leader != first and events(site, leader) == events(site, first) > 0
        token = first.split("token=")[1]
        assert site.client.get(f"/calendars/person/psykolog-b.ics?token={token}").status_code == 404
        assert site.client.get(f"/calendars/unit/psykolog-a.ics?token={token}").status_code == 404
        assert len(audit_actions(site, "feed_token.issue")) == 2  # one per user and feed
        with site.state.sessions() as rows:
            stored = {r.token_sha256 for r in rows.query(FeedToken)}
        assert token_hash(token) in stored and not any(token in s for s in stored)


def test_an_admin_revokes_one_persons_feed_links(db: Db, tmp_path: Path) -> None:
    with open_service(db.url, tmp_path) as site:
        own = site.feed_path("person", "psykolog-a", "psyk-a")
        leaders = site.feed_path("person", "psykolog-a", "baltorp")
        other = site.feed_path("person", "psykolog-b", "baltorp")
        path = "/calendars/person/psykolog-a/tokens"
        assert site.client.delete(path, headers=auth("baltorp")).status_code == 403
        revoked = site.client.delete(path, params={"reason": "tabt telefon"}, headers=auth("admin"))
        assert revoked.status_code == 200 and revoked.json() == {"revoked": 2}
        assert site.client.get(own).status_code == 404 and site.client.get(leaders).status_code == 404
        assert events(site, other) > 0  # another person's feed is untouched
        renewed = site.feed_path("person", "psykolog-a", "psyk-a")
        assert renewed != own and events(site, renewed) > 0
        revokes = audit_actions(site, "feed_token.revoke")
        assert len(revokes) == 2 and {actor for actor, _ in revokes} == {"Kommunens IT"}
        assert all("tabt telefon" in detail and "psykolog-a" in detail for _, detail in revokes)


def test_only_one_users_links_to_a_feed_can_be_revoked(db: Db, tmp_path: Path) -> None:
    with open_service(db.url, tmp_path) as site:
        own = site.feed_path("person", "psykolog-a", "psyk-a")
        leaders = site.feed_path("person", "psykolog-a", "baltorp")
        revoked = site.client.delete(
            "/calendars/person/psykolog-a/tokens", params={"user": "Leder Baltorp"}, headers=auth("admin")
        )
        assert revoked.json() == {"revoked": 1}
        assert site.client.get(leaders).status_code == 404 and events(site, own) > 0


def test_feed_revoke_on_the_command_line(db: Db, tmp_path: Path) -> None:
    with open_service(db.url, tmp_path) as site:
        own = site.feed_path("person", "psykolog-a", "psyk-a")
        unit = site.feed_path("unit", "baltorpskolen", "baltorp")
        runner = CliRunner()
        env = {"MOEDEPLAN_DATABASE_URL": db.url, "MOEDEPLAN_FEED_SECRET": FEED_SECRET}
        assert runner.invoke(cli, ["feed-revoke"], env=env).exit_code == 2
        both = runner.invoke(cli, ["feed-revoke", "--person", "a", "--unit", "b"], env=env)
        assert both.exit_code == 2 and "--person" in both.output
        result = runner.invoke(cli, ["feed-revoke", "--user", "Psykolog A", "--reason", "fratrådt"], env=env)
        assert result.exit_code == 0, result.output
        assert "Tilbagekaldt 1" in result.output and "person/psykolog-a" in result.output
        assert site.client.get(own).status_code == 404
        assert site.client.get(unit).status_code == 200  # issued to someone else: untouched
        [(actor, detail)] = audit_actions(site, "feed_token.revoke")
        assert actor.startswith("kommandolinje") and "fratrådt" in detail
        again = runner.invoke(cli, ["feed-revoke", "--user", "Psykolog A"], env=env)
        assert again.exit_code == 0 and "intet ændret" in again.output


def test_feed_links_end_with_their_user(db: Db, tmp_path: Path) -> None:
    with open_service(db.url, tmp_path) as site:
        own = site.feed_path("person", "psykolog-a", "psyk-a")
        admins = site.feed_path("person", "psykolog-a", "admin")
        site.write_users(["admin", "baltorp"])  # Psykolog A has left
        assert site.client.get(own).status_code == 404
        assert events(site, admins) > 0
        # Back with a new token (a new user-add): the old link stays dead.
        added = CliRunner().invoke(
            cli,
            ["user-add", str(site.users_file), "Psykolog A", "--role", "staff", "--person", "psykolog-a"],
            env={"MOEDEPLAN_DATABASE_URL": db.url},  # checked against the service's config
        )
        assert added.exit_code == 0, added.output
        assert site.client.get(own).status_code == 404


def test_a_new_key_keeps_issued_links_and_issues_fresh_ones(db: Db) -> None:
    user = Principal("Psykolog A", Role.staff, "psykolog-a", frozenset(), token_hash("t"))
    with db.sessions() as session, session.begin():
        old = feed_tokens.link_token(session, "a" * 32, "person", "psykolog-a", user)
        assert feed_tokens.link_token(session, "a" * 32, "person", "psykolog-a", user) == old
        new = feed_tokens.link_token(session, "b" * 32, "person", "psykolog-a", user)
        assert new != old
        assert feed_tokens.reader_of(session, old, lambda h: h == token_hash("t")) == ("person", "psykolog-a")
        assert feed_tokens.reader_of(session, new, lambda h: h == token_hash("t")) == ("person", "psykolog-a")
        assert feed_tokens.reader_of(session, new, lambda h: False) is None
        assert feed_tokens.reader_of(session, "not-a-token", lambda h: True) is None


def test_malformed_feed_requests_are_4xx_on_both_databases(db: Db, tmp_path: Path) -> None:
    with open_service(db.url, tmp_path) as site:
        assert site.get("/calendars/person/%00/link", "admin").status_code == 422
        assert site.get("/calendars/person/" + "a" * 300 + "/link", "admin").status_code == 422
        assert site.client.get("/calendars/person/%00.ics?token=x").status_code == 422
        for params in ({"user": "a\x00b"}, {"reason": "\x00"}):
            bad = site.client.delete(
                "/calendars/person/psykolog-a/tokens", params=params, headers=auth("admin")
            )
            assert bad.status_code == 422, bad.text
