"""The bundled example's pages at a glance, in Debian's Chromium (issue 16): the semester overview
fits on about two screens at 1280×800 with titles, week numbers and a legend, works at 768 px,
prints without the page's chrome; the Excel export downloads and matches the plan; the load
chart's names are whole.

A real uvicorn server on examples/ballerup.yaml with a plan solved once (`ballerup_server`);
screenshots under test-artifacts/web/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from api import storage
from api.db import session_scope
from scheduler.config import load_config, meeting_districts
from scheduler.model import Plan
from tests.web.conftest import Server
from tests.web.site import BALLERUP_FILE, LAPTOP, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

TABLET = {"width": 768, "height": 1024}
MAX_HEIGHT = 2.5 * LAPTOP["height"]


@pytest.fixture
def context(browser: Any, ballerup_server: Server) -> Iterator[Any]:
    ctx = browser.new_context(
        viewport=LAPTOP, locale="da-DK", base_url=ballerup_server.url, accept_downloads=True
    )
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()


def signed_in(context: Any, who: str) -> Any:
    page = context.new_page()
    sign_in(page, who)
    return page


def the_plan(server: Server) -> Plan:
    with session_scope(server.state.sessions) as db:
        row = storage.latest_plan_version(db, "foraar-2027")
        assert row is not None
        return storage.get_plan(db, row.id)[1]


def height(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


@pytest.mark.parametrize(("who", "path"), [("baltorp", "/overview"), ("admin", "/overview")])
def test_the_example_term_fits_on_two_and_a_half_screens(
    context: Any, ballerup_server: Server, shots: Path, who: str, path: str
) -> None:
    """A district leader's overview (their district) and the admin's (every district)."""
    page = signed_in(context, who)
    page.goto(path)
    page.screenshot(path=shots / f"20-overview-ballerup-{who}.png", full_page=True)
    assert height(page) <= MAX_HEIGHT, f"{height(page)} px is more than 2.5 screens of 800 px"
    weeks = page.locator("th.wk .wkno")
    assert weeks.count() >= 20 and weeks.first.inner_text().replace("\xa0", " ") == "uge 1"
    assert page.locator("#legend").is_visible()
    assert page.locator("#legend li").filter(has_text="Det Kreative Råd").count() == 1
    assert page.locator("#legend li").filter(has_text="Skoleferie").count() == 1
    assert page.locator("td.ferie .holiday", has_text="vinterferie").first.is_visible()
    assert page.locator("td.hol .holiday", has_text="Langfredag").is_visible()
    chips = page.locator("a.mtg .ti")
    assert chips.count() > 20 and all(t.strip() for t in chips.all_inner_texts())
    # At 768 px the page still fits its width (the table scrolls inside its box if it must).
    page.set_viewport_size(TABLET)
    page.screenshot(path=shots / f"20b-overview-ballerup-{who}-tablet.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    spilling = "Array.from(document.querySelectorAll('a.mtg')).filter((a) => a.scrollWidth > a.clientWidth)"
    assert page.evaluate(f"{spilling}.length") == 0, "a title runs out of its meeting's box"
    assert page.locator("a.mtg").first.is_visible()


def test_a_district_sees_its_own_meetings_with_their_titles(context: Any, ballerup_server: Server) -> None:
    plan = the_plan(ballerup_server)
    config = load_config(BALLERUP_FILE)
    baltorp = [m for m in plan.meetings if "baltorp" in meeting_districts(config, m)]
    page = signed_in(context, "baltorp")
    page.goto("/overview")
    assert page.locator("a.mtg").count() == len(baltorp)
    titles = set(page.locator("a.mtg .ti").all_inner_texts())
    assert "Det Kreative Råd, Baltorp" in titles
    assert not any("Skovlunde" in t or "Hedegården" in t for t in titles), titles
    assert "Koordineringskonference, skole, Baltorpskolen" in titles


def test_the_overview_prints_without_navigation_or_buttons(
    context: Any, ballerup_server: Server, shots: Path
) -> None:
    page = signed_in(context, "baltorp")
    page.goto("/overview")
    page.emulate_media(media="print")
    for hidden in ("header.top", "#print", "#export-xlsx", "#district"):
        assert not page.locator(hidden).is_visible(), hidden
    assert page.locator("#term").is_visible() and page.locator("#legend").is_visible()
    page.screenshot(path=shots / "21-overview-print.png", full_page=True)
    pdf = page.pdf(format="A4", landscape=True)
    assert pdf.startswith(b"%PDF")


def test_the_excel_export_downloads_and_matches_the_plan(
    context: Any, ballerup_server: Server, tmp_path: Path
) -> None:
    plan = the_plan(ballerup_server)
    config = load_config(BALLERUP_FILE)
    theirs = [m for m in plan.meetings if "baltorp" in meeting_districts(config, m)]
    page = signed_in(context, "baltorp")
    page.goto("/overview")
    with page.expect_download() as info:
        page.locator("#export-xlsx").click()
    path = tmp_path / "baltorp.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))[1:]
    assert len(rows) == len(theirs)
    assert {r[5] for r in rows} == {m.title for m in theirs}


def test_the_load_chart_shows_every_name_whole(context: Any, ballerup_server: Server, shots: Path) -> None:
    page = signed_in(context, "admin")
    page.goto("/load")
    page.screenshot(path=shots / "22-load-ballerup.png", full_page=True)
    boxes = page.evaluate(
        """() => Array.from(document.querySelectorAll('#people-chart text.name, #people-chart text.total'))
             .map((t) => { const b = t.getBBox(); const w = t.ownerSVGElement.viewBox.baseVal.width;
                           return [t.textContent, b.x, b.x + b.width, w]; })"""
    )
    assert len(boxes) > 40
    cut = [name for name, left, right, width in boxes if left < 0 or right > width]
    assert not cut, cut
    assert "Forebyggende socialrådgiver Hedegården" in [b[0] for b in boxes]
    chart = page.locator("#people-chart svg").bounding_box()
    assert chart is not None and chart["width"] > 0.9 * (LAPTOP["width"] - 60)
