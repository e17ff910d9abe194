"""End to end in Debian's Chromium: a district leader plans, looks, handles an absence, publishes.

A real uvicorn server with its in-process job worker on a fresh SQLite file (tests/fixtures/
two_districts.yaml); Playwright for Python drives /usr/bin/chromium headless. Each page is saved
as a screenshot under test-artifacts/web/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from api import storage
from api.db import session_scope
from scheduler.config import parse_config
from scheduler.index import index_of
from tests.web.conftest import Server
from tests.web.site import LAPTOP, TWO_DISTRICTS, sign_in, token

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

TABLET = {"width": 768, "height": 1024}


@pytest.fixture
def context(browser: Any, server: Server) -> Iterator[Any]:
    ctx = browser.new_context(viewport=LAPTOP, locale="da-DK", base_url=server.url)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()


def nav(page: Any, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()


def ensure_plan(page: Any, server: Server) -> None:
    """A plan exists (the first test makes one; run alone, a test plans through the page itself)."""
    with session_scope(server.state.sessions) as db:
        if storage.latest_plan_version(db, "foraar-2027") is not None:
            return
    page.goto("/solve")
    page.get_by_label("Tidsgrænse (sekunder)").fill("3")
    page.get_by_role("button", name="Start planlægning").click()
    page.locator("#progress[data-state=done]").wait_for(timeout=60_000)


def newest_plan(server: Server) -> Any:
    with session_scope(server.state.sessions) as db:
        row = storage.latest_plan_version(db, "foraar-2027")
        assert row is not None
        return storage.get_plan(db, row.id)[1]


def test_a_leader_plans_looks_handles_an_absence_and_publishes(
    context: Any, server: Server, shots: Path
) -> None:
    page = context.new_page()
    page.goto("/")
    assert "/login" in page.url
    page.screenshot(path=shots / "01-sign-in.png", full_page=True)
    sign_in(page, "baltorp")
    assert page.get_by_text("Leder Baltorp").is_visible()

    # Plan: start a solve and watch the progress bar finish.
    nav(page, "Planlæg")
    page.screenshot(path=shots / "02-plan.png", full_page=True)
    page.get_by_label("Tidsgrænse (sekunder)").fill("3")
    page.get_by_role("button", name="Start planlægning").click()
    page.wait_for_url(re.compile(r"/solve/jobs/\d+"))
    # From the first second the page says what happens (queued, building the model, solving) ...
    assert page.locator("#progress").get_attribute("data-phase") in (
        "job_queued",
        "phase_building",
        "phase_solving",
        "job_done",
    )
    page.screenshot(path=shots / "03-solve-progress.png", full_page=True)
    # ... and when the job ends it shows the result itself: no click.
    page.locator("#rules").wait_for(timeout=60_000)
    assert page.locator("#progress").get_attribute("data-state") == "done"
    assert page.locator("#solve-bar").get_attribute("value") == "100"
    assert page.get_by_role("link", name="Se planen").is_visible()
    rules = page.locator("#rules")
    for heading in ("Regelmæssighed", "Kontinuitet", "Retfærdig fordeling", "Transport"):
        assert rules.get_by_role("heading", name=heading).is_visible()
    page.screenshot(path=shots / "04-rules.png", full_page=True)

    # Look: the overview (Baltorp by default), with holidays and meeting blocks.
    nav(page, "Oversigt")
    assert page.get_by_role("columnheader", name="mandag").is_visible()
    assert page.locator(".wkno", has_text="uge 7").is_visible()
    assert page.locator(".holiday", has_text="vinterferie").first.is_visible()
    assert page.locator("a.mtg").count() >= 4
    page.screenshot(path=shots / "05-overview.png", full_page=True)
    page.set_viewport_size(TABLET)
    page.screenshot(path=shots / "05b-overview-tablet.png", full_page=True)
    page.set_viewport_size(LAPTOP)

    # A meeting: why here, then lock it.
    page.locator("a.mtg").first.click()
    page.get_by_role("link", name="Hvorfor her?").click()
    page.locator("#why-list li").first.wait_for()
    assert "ligger" in page.locator("#why-list").inner_text()
    page.get_by_role("button", name="Lås mødet").click()
    assert page.get_by_role("status").filter(has_text="Mødet er låst").is_visible()
    page.screenshot(path=shots / "06-meeting.png", full_page=True)
    page.get_by_role("link", name="Tilbage til oversigten").click()
    assert page.locator("a.mtg.is-locked").count() == 1

    # A person's weeks across districts, and the load chart.
    nav(page, "Person")
    page.get_by_label("Vælg person").select_option(label="Psykolog A")
    page.get_by_role("button", name="Vis").last.click()
    assert page.get_by_role("heading", name=re.compile("Psykolog A")).is_visible()
    page.screenshot(path=shots / "07-person.png", full_page=True)
    nav(page, "Belastning")
    assert page.locator("#people-chart svg rect.bar").count() > 0
    assert page.locator("#district-chart svg polyline").count() == 2
    page.screenshot(path=shots / "08-load.png", full_page=True)

    # Absence: the psychologist of Baltorp's third conference is away that day.
    plan = newest_plan(server)
    meeting = [m for m in plan.meetings if m.series == "kk-baltorp"][2]
    absent = next(a.person for a in meeting.attendees if a.role == "psykolog")
    day = meeting.start.date().isoformat()
    nav(page, "Fravær")
    name = index_of(parse_config(TWO_DISTRICTS)).person_name(absent)
    page.get_by_label("Person", exact=True).fill(name)  # people are typed by name
    page.get_by_label("Fra").fill(f"{day}T08:00")
    page.get_by_label("Til").fill(f"{day}T18:00")
    page.get_by_label(re.compile("Begrundelse")).fill("kursus")
    page.screenshot(path=shots / "09-absence.png", full_page=True)
    page.get_by_role("button", name="Find forslag").click()
    page.wait_for_url(re.compile(r"/absence/\d+$"), timeout=60_000)
    first = page.locator("#proposal-1")
    assert first.get_by_text("Får besked").is_visible()
    assert first.locator("table.diff tbody tr").count() >= 1
    assert "kursus" not in page.content()  # the reason is confidential
    page.screenshot(path=shots / "10-proposals.png", full_page=True)
    first.get_by_role("button", name="Vælg dette forslag").click()
    page.locator("#accepted").wait_for()
    assert "ny planversion" in page.locator("#accepted").inner_text()
    page.screenshot(path=shots / "11-accepted.png", full_page=True)

    # Publish: preview what each person gets, then send (a term's first plan: an administrator).
    sign_in(page, "admin")
    nav(page, "Udsend")
    preview = page.locator("#preview")
    assert preview.get_by_role("rowheader", name="Psykolog A").is_visible()
    assert "ny invitation" in preview.inner_text()
    page.screenshot(path=shots / "12-publish-preview.png", full_page=True)
    page.get_by_role("button", name="Udsend nu").click()
    page.locator("#published").wait_for()
    assert "Udsendt" in page.locator("#published").inner_text()

    # Copy Psykolog A's ICS subscription link.
    row = page.locator('li.ics[data-kind=person][data-id="psykolog-a"]')
    row.get_by_role("button", name="Kopiér link").click()
    expect(row.get_by_role("status")).to_have_text("Kopieret")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == row.locator("input").input_value()
    assert copied.startswith(server.url + "/calendars/person/psykolog-a.ics?token=")
    page.screenshot(path=shots / "13-published.png", full_page=True)
    assert page.request.get(copied).text().startswith("BEGIN:VCALENDAR")

    # English on request; dates the English way.
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("link", name="Overview").is_visible()
    page.goto(f"/meeting/{meeting.uid}")
    assert re.search(r"(Monday|Tuesday|Wednesday|Thursday|Friday) \d+ [A-Z][a-z]+ 2027", page.content())
    page.screenshot(path=shots / "14-english.png", full_page=True)
    page.get_by_role("link", name="Dansk").click()
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url(re.compile("/login"))


def test_a_baltorp_leader_cannot_change_a_skovlunde_meeting(
    context: Any, server: Server, shots: Path
) -> None:
    page = context.new_page()
    sign_in(page, "baltorp")
    ensure_plan(page, server)
    skovlunde = next(m for m in newest_plan(server).meetings if m.unit == "skovlunde-skole")
    page.goto("/overview?district=skovlunde")
    page.locator(f'a.mtg[data-uid="{skovlunde.uid}"]').click()
    assert page.locator("#no-rights").is_visible()
    assert page.get_by_role("button", name="Lås mødet").count() == 0
    assert page.get_by_role("button", name="Flyt mødet").count() == 0
    page.screenshot(path=shots / "15-other-district.png", full_page=True)
    # The server refuses the change too, even with a valid session and CSRF token.
    csrf = page.locator("body").get_attribute("hx-headers")
    assert csrf is not None
    forged = page.request.post(
        f"/meeting/{skovlunde.uid}/lock",
        form={"csrf": re.findall(r'"([^"]{20,})"', csrf)[0], "plan": str(_plan_id(server))},
    )
    assert forged.status == 403
    assert "må ikke ændre" in forged.text()


def _plan_id(server: Server) -> int:
    with session_scope(server.state.sessions) as db:
        row = storage.latest_plan_version(db, "foraar-2027")
        assert row is not None
        return row.id


CONTRAST = """() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(',').map(parseFloat);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg, option, .skip')) continue;
    if (!Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const s = getComputedStyle(el); const box = el.getBoundingClientRect();
    if (s.visibility === 'hidden' || s.display === 'none' || !box.width || !box.height) continue;
    const a = lum(parse(s.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight) >= 700;
    if (ratio < ((size >= 24 || (size >= 18.66 && bold)) ? 3 : 4.5))
      bad.push(`${el.tagName} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return bad;
}"""


def test_keyboard_only_and_contrast(context: Any, server: Server, shots: Path) -> None:
    page = context.new_page()
    page.goto("/login")
    # The token field has focus; typing and Enter sign in, no mouse needed.
    assert page.evaluate("document.activeElement.id") == "token"
    page.keyboard.type(token("baltorp"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/overview"))
    ensure_plan(page, server)
    page.goto("/overview")
    # Tab reaches the skip link first, then a meeting block; focus is visible; Enter opens it.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('mtg')"):
            break
    else:
        pytest.fail("no meeting block can be reached with the keyboard")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.screenshot(path=shots / "16-keyboard-focus.png")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/meeting/"))
    for path in ("/login", "/overview", page.url, "/person", "/load", "/solve", "/absence", "/publish"):
        page.goto(path)
        assert page.evaluate(CONTRAST) == [], f"text below WCAG AA contrast on {path}"
    # The check itself finds pale text.
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<p style=\"color:#aaa\">bleg</p>')"
    )
    assert any("bleg" in line for line in page.evaluate(CONTRAST))


def test_a_leader_opens_a_draft_sees_it_is_one_and_sees_what_publishing_it_would_send(
    context: Any, server: Server, shots: Path
) -> None:
    """A draft is never mistaken for the plan: the drafts page opens it under the banner "Du ser et
    udkast", and its publish page counts what publishing it would send before the button does."""
    page = context.new_page()
    sign_in(page, "baltorp")
    ensure_plan(page, server)
    with session_scope(server.state.sessions) as db:
        never_published = storage.live_plan_version(db, "foraar-2027") is None
    if never_published:  # run alone: publish the plan first, so that there is a live one
        nav(page, "Udsend")
        page.get_by_role("button", name="Udsend nu").click()
        page.locator("#published").wait_for()
    # Baltorp's conferences now start at 13:30 at the earliest: a re-solve must move them (the
    # lock the first test set would hold one where it is: released).
    later = TWO_DISTRICTS.replace('window: "12:30-16:00"', 'window: "13:30-16:00"', 1)
    with session_scope(server.state.sessions) as db:
        for uid in storage.locked_uids(db, "foraar-2027"):
            lock = storage.get_lock(db, "foraar-2027", uid)
            assert lock is not None
            storage.unlock_meeting(db, "foraar-2027", uid, lock.version, "Leder Baltorp", "ny start")
        config = storage.save_config(db, "senere", later, "Kommunens IT", "senere start i Baltorp")
        config_id = config.id
        live = storage.live_plan_version(db, "foraar-2027")
        assert live is not None
        live_id = live.id
    nav(page, "Planlæg")
    page.get_by_label("Konfiguration").select_option(str(config_id))
    page.get_by_label("Tidsgrænse (sekunder)").fill("3")
    page.get_by_role("button", name="Start planlægning").click()
    page.locator("#progress[data-state=done]").wait_for(timeout=60_000)
    with session_scope(server.state.sessions) as db:
        draft = storage.plan_versions(db, "foraar-2027", limit=1)[0]
        assert draft.state == "draft" and draft.parent_id == live_id
        draft_id = draft.id

    nav(page, "Udkast")
    row = page.locator(f"#draft-{draft_id}")
    expect(row).to_be_visible()
    page.screenshot(path=shots / "17-drafts.png", full_page=True)
    row.get_by_role("link", name="Åbn").click()
    banner = page.locator("#plan-state")
    expect(banner).to_have_attribute("data-state", "draft")
    expect(banner).to_contain_text(
        f"Du ser et udkast (version {draft_id}); den gældende plan er version {live_id}"
    )
    page.screenshot(path=shots / "18-draft-overview.png", full_page=True)

    nav(page, "Udkast")
    page.locator(f"#draft-{draft_id}").get_by_role("link", name="Udsend").click()
    expect(page.locator("#plan-state")).to_contain_text("Du ser et udkast")
    answer = page.request.get(
        f"/plans/{draft_id}/preview", headers={"Authorization": f"Bearer {token('baltorp')}"}
    )
    assert answer.ok, answer.text()
    count = answer.json()["messages"]
    assert count > 0  # Baltorp's moved conferences, to their people
    expect(page.get_by_role("heading", name=f"Forhåndsvisning: {count} beskeder")).to_be_visible()
    expect(page.locator("#publish")).to_have_text(f"Udsend nu: {count} beskeder")
    page.screenshot(path=shots / "19-draft-publish.png", full_page=True)
