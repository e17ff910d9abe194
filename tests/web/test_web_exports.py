"""The semester plan as Excel, per district and per person: the files open with openpyxl and hold
exactly the plan's meetings (dates, times, titles, places, names), and only for who may see them.

TestClient against the real app on a SQLite file (`tests.web.site`), with a plan solved by the
site's own job worker.
"""

from __future__ import annotations

from datetime import date, time
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from api import storage
from api.db import session_scope
from api.services.plans import filtered
from api.web import export, i18n
from api.web.common import Current
from calendar_sync.privacy import PrivacyError, PrivacyGuard
from scheduler.config import meeting_districts, parse_config
from scheduler.model import Meeting, Plan
from scheduler.term_dates import TZ
from tests.web.conftest import Site
from tests.web.site import TWO_DISTRICTS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def newest(site: Site) -> Plan:
    with session_scope(site.state.sessions) as db:
        row = storage.latest_plan_version(db, "foraar-2027")
        assert row is not None
        return storage.get_plan(db, row.id)[1]


def rows_of(body: bytes) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """(header, data rows) of the workbook's first sheet."""
    sheet = load_workbook(BytesIO(body)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


def expected(meetings: list[Meeting]) -> list[tuple[date, time, time, str]]:
    local = [(m.start.astimezone(TZ), m.end.astimezone(TZ), m.title) for m in meetings]
    return sorted((s.date(), s.time(), e.time(), title) for s, e, title in local)


def test_a_district_leader_downloads_every_meeting_of_their_district(site: Site) -> None:
    site.solve("baltorp")
    plan = newest(site)
    config = parse_config(TWO_DISTRICTS)
    theirs = [m for m in plan.meetings if "baltorp" in meeting_districts(config, m)]
    assert theirs and len(theirs) < len(plan.meetings)
    overview = site.client.get("/overview?district=baltorp").text
    assert 'href="/export/district/baltorp.xlsx' in overview

    answer = site.client.get("/export/district/baltorp.xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert "moedeplan-foraar-2027-baltorp.xlsx" in answer.headers["content-disposition"]
    header, rows = rows_of(answer.content)
    assert header == ["Dato", "Ugedag", "Uge", "Start", "Slut", "Møde", "Sted", "Lokale", "Deltagere"]
    got = [(r[0].date(), r[3], r[4], r[5]) for r in rows]
    assert sorted(got) == expected(theirs)
    assert got == sorted(got, key=lambda g: (g[0], g[1]))  # in time order
    by_start = {(m.start.astimezone(TZ).date(), m.start.astimezone(TZ).time(), m.title): m for m in theirs}
    for row in rows:
        meeting = by_start[(row[0].date(), row[3], row[5])]
        assert row[1] == i18n.WEEKDAYS["da"][row[0].weekday()]
        assert row[2] == row[0].isocalendar().week
        assert row[6] == next(s.name for s in config.sites if s.id == meeting.site)
        names = {p.id: p.name for p in config.staff}
        assert row[8] == "; ".join(names[a.person] for a in meeting.attendees)
        assert not any(a.person in row[8] for a in meeting.attendees if a.person != names[a.person])


def test_a_person_downloads_their_own_meetings_and_only_theirs(site: Site) -> None:
    site.solve("baltorp")
    plan = newest(site)
    mine = [m for m in plan.meetings if any(a.person == "psykolog-a" for a in m.attendees)]
    assert mine
    site.sign_in("psyk-a")
    page = site.client.get("/person").text
    assert 'href="/export/person/psykolog-a.xlsx' in page
    answer = site.client.get("/export/person/psykolog-a.xlsx")
    assert answer.status_code == 200
    _, rows = rows_of(answer.content)
    assert sorted((r[0].date(), r[3], r[4], r[5]) for r in rows) == expected(mine)
    assert all("Psykolog A" in r[8] for r in rows)
    # English headings in English.
    english, _ = rows_of(site.client.get("/export/person/psykolog-a.xlsx?lang=en").content)
    assert english[:2] == ["Date", "Weekday"]


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("baltorp", "/export/district/skovlunde.xlsx", 403),
        ("baltorp", "/export/district/nowhere.xlsx", 403),
        ("admin", "/export/district/skovlunde.xlsx", 200),
        ("admin", "/export/district/nowhere.xlsx", 404),
        ("psyk-a", "/export/district/baltorp.xlsx", 403),
        ("psyk-a", "/export/person/psykolog-b.xlsx", 403),
        ("hr", "/export/person/psykolog-a.xlsx", 403),
        ("baltorp", "/export/person/psykolog-b.xlsx", 200),
        ("admin", "/export/person/nobody.xlsx", 404),
        ("admin", "/export/person/a%20b.xlsx", 422),
    ],
)
def test_each_role_downloads_exactly_what_its_pages_show(
    site: Site, who: str, path: str, status: int
) -> None:
    site.solve("admin")
    site.sign_in(who)
    answer = site.client.get(path)
    assert answer.status_code == status, answer.text[:300]
    if status != 200:
        assert "text/html" in answer.headers["content-type"] and "Traceback" not in answer.text


def test_no_file_is_made_when_a_text_may_not_leave(site: Site) -> None:
    """The calendars' privacy guard decides for the spreadsheet too: a confidential text (here
    an absence reason that also appears in a title) stops the export, with a Danish reason."""
    site.solve("admin")
    plan = newest(site)
    config = parse_config(TWO_DISTRICTS)
    with session_scope(site.state.sessions) as db:
        row = storage.latest_plan_version(db, "foraar-2027")
        assert row is not None
        current = Current(row, plan, config, True, [row])
    page = _page(site)
    secret = plan.meetings[0].title
    assert len(secret) >= 12
    with pytest.raises(PrivacyError):
        export.workbook(page, current, plan.meetings, PrivacyGuard.for_config(config, also=[secret]), "x")
    body = export.workbook(page, current, plan.meetings, PrivacyGuard.for_config(config), "x")
    assert len(rows_of(body)[1]) == len(plan.meetings)


def _page(site: Site) -> Any:
    """A Page as a request would build it, for calling `export.workbook` directly."""
    from starlette.requests import Request

    from api.web.common import page

    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""})
    return page(request, site.state)


def test_the_district_filter_is_the_overviews(site: Site) -> None:
    site.solve("admin")
    plan = newest(site)
    config = parse_config(TWO_DISTRICTS)
    assert filtered(config, plan, "baltorp", None, None) == [
        m for m in plan.meetings if "baltorp" in meeting_districts(config, m)
    ]
