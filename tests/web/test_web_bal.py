"""The BAL rollout pages through the TestClient: per district (teams by round, course group,
facilitator, "Hvorfor runde N?"), per facilitator (hours a week against their BAL hours), and who
may see what; in Chromium, the two views as a district leader and a facilitator reach them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.bal_site import publish_bal_rollout
from tests.web.conftest import Server, Site
from tests.web.site import LAPTOP, sign_in


def test_without_a_live_rollout_the_page_says_so(site: Site) -> None:
    site.sign_in("admin")
    page = site.client.get("/bal")
    assert page.status_code == 200 and 'id="bal-none"' in page.text
    assert "Der er ingen gældende BAL-udrulning endnu." in page.text


def test_a_district_leader_sees_their_districts_teams_by_round(site: Site) -> None:
    publish_bal_rollout(site.state)
    site.sign_in("baltorp")
    page = site.client.get("/bal")
    assert page.status_code == 200
    assert 'href="/bal"' in page.text  # in the navigation
    assert 'data-team="team-1"' in page.text and 'data-team="team-2"' not in page.text
    assert "Nordskolen, team 1" in page.text and "Psykolog A" in page.text and "Hold 1" in page.text
    assert "Runde 1 · " in page.text and "Hvorfor runde 1?" in page.text
    assert site.client.get("/bal?district=skovlunde").status_code == 404
    why = site.client.get("/bal/why/team-1")
    assert why.status_code == 200 and "Det er første runde" in why.text
    assert site.client.get("/bal/why/team-2").status_code == 403  # Skovlunde's team


def test_an_admin_picks_the_district(site: Site) -> None:
    publish_bal_rollout(site.state)
    site.sign_in("admin")
    assert 'data-team="team-1"' in site.client.get("/bal").text  # the first district: Baltorp
    other = site.client.get("/bal?district=skovlunde")
    assert 'data-team="team-2"' in other.text and 'data-team="team-1"' not in other.text
    assert 'id="bal-districts"' in other.text
    assert site.client.get("/bal/why/team-9").status_code == 404


def test_a_facilitator_sees_their_hours_a_week_against_their_bal_hours(site: Site) -> None:
    publish_bal_rollout(site.state)
    site.sign_in("psyk-a")
    page = site.client.get("/bal/facilitators")
    assert page.status_code == 200
    assert 'href="/bal/facilitators"' in page.text  # in the staff navigation
    assert 'data-person="psykolog-a"' in page.text and "4,0 BAL-timer om ugen" in page.text
    widths = [int(w) for w in re.findall(r'class="bar-fill[^"]*" style="width: (\d+)%"', page.text)]
    assert len(widths) == 1 and 0 < widths[0] <= 100
    assert "Nordskolen (1)" in page.text and "Solsikken (1)" in page.text
    assert site.client.get("/bal").status_code == 403  # the district view is for leaders
    site.sign_in("psyk-b")
    assert 'data-person="psykolog-a"' not in site.client.get("/bal/facilitators").text
    site.sign_in("hr")
    assert site.client.get("/bal/facilitators").status_code == 403


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_the_two_views_in_chromium(browser: Any, server: Server) -> None:
    publish_bal_rollout(server.state)
    context = browser.new_context(viewport=LAPTOP, locale="da-DK", base_url=server.url)
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        sign_in(page, "baltorp", lang="da")
        page.get_by_role("link", name="BAL-udrulning").first.click()
        page.wait_for_url(re.compile(r"/bal$"))
        row = page.locator("tr[data-team=team-1]")
        assert "Nordskolen, team 1" in row.inner_text() and "Psykolog A" in row.inner_text()
        assert page.locator("tr[data-team=team-2]").count() == 0
        row.get_by_role("link", name="Hvorfor runde 1?").click()
        page.wait_for_url(re.compile(r"/bal/why/team-1"))
        assert "første runde" in page.locator("#bal-why").inner_text()

        page.context.clear_cookies()
        sign_in(page, "psyk-a", lang="da")
        page.get_by_role("link", name="BAL-udrulning").first.click()
        page.wait_for_url(re.compile(r"/bal/facilitators$"))
        section = page.locator("section[data-person=psykolog-a]")
        assert "Psykolog A" in section.inner_text()
        fill = section.locator(".bar-fill").first
        assert fill.bounding_box()["width"] > 0
    finally:
        context.close()
