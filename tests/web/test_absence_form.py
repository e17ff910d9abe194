"""Every error path of the absence form: the message is Danish (English in English mode), stands
beside the field it is about, no library's words are shown, and what was typed is kept.

The site has the two-district config and no plan, so registering is fast and each answer is about
the input (the proposals are `test_web_pages`' concern).
"""

from __future__ import annotations

import html
import re

import pytest

from tests.web.conftest import Site

LIBRARY_WORDS = (
    "pydantic",
    "errors.pydantic.dev",
    "Value error",
    "String should",
    "Field required",
    "Traceback",
)
ENGLISH_WORDS = ("Nobody", "Write ", "Did you mean", "is not a date", "already exists")


def form(**typed: str) -> dict[str, str]:
    return {"person": "", "start": "", "end": "", "reason": "", "substitute": "", **typed}


def field_message(page: str, name: str | None) -> str:
    """The message shown beside the field `name` (None: the one about the whole absence)."""
    block = 'id="absence-error"' if name is None else f'id="{name}-error"'
    found = re.search(rf'<p class="alert[^"]*" {block} role="alert">(.*?)</p>', page, re.S)
    assert found, f"no message beside {name}: {page}"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def kept(page: str, name: str) -> str:
    """What the input `name` shows (the selected option for the substitute)."""
    if name == "substitute":
        found = re.search(r'<option value="([^"]*)" selected>', page)
        return html.unescape(found.group(1)) if found else ""
    found = re.search(rf'<input id="{name}" name="{name}"[^>]*? value="([^"]*)"', page)
    assert found, f"no input {name}"
    return html.unescape(found.group(1))


CASES = [
    # (what a user typed, the field the message stands beside, the message, status)
    (form(person="Zebra", start="2027-03-08"), "person", "Ingen person hedder 'Zebra'.", 422),
    (
        form(person="psykolg a", start="2027-03-08"),
        "person",
        "Ingen person hedder 'psykolg a'. Mente du Psykolog A eller Psykolog B?",
        422,
    ),
    (
        form(person="Psykolog A", start="30/2 2027"),
        "start",
        "«Fra»: '30/2 2027' er ikke en dato eller et tidspunkt. Skriv fx 2027-03-08, 8/3 2027 eller "
        "2027-03-08 09:00.",
        422,
    ),
    (
        form(person="Psykolog A", start="2027-03-08", end="næste uge"),
        "end",
        "«Til»: 'næste uge' er ikke en dato eller et tidspunkt. Skriv fx 2027-03-08, 8/3 2027 eller "
        "2027-03-08 09:00.",
        422,
    ),
    (
        form(person="Psykolog A", start="2027-03-08T12:00", end="2027-03-08T09:00"),
        "end",
        "«Til» (8/3 2027 09:00) ligger før «Fra» (8/3 2027 12:00); fraværet skal slutte, efter det starter.",
        422,
    ),
    (
        form(person="Psykolog A", start="2027-03-10", end="2027-03-08"),
        "end",
        "«Til» (8/3 2027) ligger før «Fra» (10/3 2027); fraværet skal slutte, efter det starter.",
        422,
    ),
    (
        form(person="Psykolog A", start="2027-03-08T12:00"),
        "end",
        "Skriv, hvornår fraværet slutter: «Fra» har et klokkeslæt, så «Til» skal også have et (eller skriv "
        "kun datoer for hele dage).",
        422,
    ),
    (
        form(person="Psykolog A", start="2027-07-05", end="2027-07-09"),
        "start",
        "Fraværet 5/7-9/7 2027 ligger uden for alle terminer (Forår 2027: 4. januar–26. marts 2027).",
        422,
    ),
    (form(), "person", "Skriv, hvem der er fraværende.", 422),
    (
        form(),
        "start",
        "Skriv, hvornår fraværet starter, fx 2027-03-08 (hele dagen) eller 2027-03-08 09:00.",
        422,
    ),
    (
        form(person="Psykolog A", start="2027-03-08", reason="kursus " * 200),
        "reason",
        "«Begrundelse» må højst være 1000 tegn (der er 1400).",
        422,
    ),
    (
        form(person="P" * 201, start="2027-03-08"),
        "person",
        "«Person» må højst være 200 tegn (der er 201).",
        422,
    ),
    (
        form(person="Leder Baltorp", start="2027-03-08", substitute="fsr"),
        "substitute",
        "ingen rolle til fælles",
        422,
    ),
]


@pytest.mark.parametrize(("typed", "field", "expected", "status"), CASES)
def test_each_error_says_what_is_wrong_beside_its_field_and_keeps_what_was_typed(
    site: Site, typed: dict[str, str], field: str, expected: str, status: int
) -> None:
    csrf = site.sign_in("baltorp")
    page = site.client.post("/absence", data={"csrf": csrf, **typed})
    assert page.status_code == status, page.text
    assert expected in field_message(page.text, field)
    for word in LIBRARY_WORDS:
        assert word not in page.text, word
    for name, value in typed.items():
        assert kept(page.text, name) == value, name
    assert 'id="absence-form"' in page.text and "Seneste fravær" not in page.text  # nothing stored


def test_staff_naming_a_colleague_are_told_on_the_form(site: Site) -> None:
    csrf = site.sign_in("psyk-a")
    typed = form(person="Psykolog B", start="2027-03-08")
    page = site.client.post("/absence", data={"csrf": csrf, **typed})
    assert page.status_code == 403
    assert field_message(page.text, "person") == "du kan kun melde dit eget fravær"
    assert kept(page.text, "person") == "Psykolog B" and kept(page.text, "start") == "2027-03-08"


def test_a_duplicate_and_an_overlap_around_one_are_said_on_the_form_with_what_was_typed(site: Site) -> None:
    csrf = site.sign_in("baltorp")
    first = site.client.post(
        "/absence", data={"csrf": csrf, **form(person="Psykolog A", start="2027-03-08", end="2027-03-10")}
    )
    assert first.status_code == 200 and re.search(r"/absence/\d+$", str(first.url)), first.text
    again = form(person="psykolog a", start="8/3 2027", end="10/3 2027", reason="kursus")
    page = site.client.post("/absence", data={"csrf": csrf, **again})
    assert page.status_code == 200
    message = field_message(page.text, None)
    assert message.startswith("Fraværet findes allerede (fravær nr. 1, 8/3-10/3 2027); der er ikke oprettet")
    assert 'href="/absence/1"' in page.text and "Se fraværet" in page.text
    assert all(kept(page.text, name) == value for name, value in again.items())
    around = form(person="Psykolog A", start="2027-03-01", end="2027-03-19")
    refused = site.client.post("/absence", data={"csrf": csrf, **around})
    assert refused.status_code == 409
    assert "omslutter fravær nr. 1 (8/3-10/3 2027)" in field_message(refused.text, "start")
    assert all(kept(refused.text, name) == value for name, value in around.items())
    for answer in (page, refused):
        assert not any(word in answer.text for word in LIBRARY_WORDS)
    # the recent list names the person, never the id
    assert "Psykolog A: 8/3-10/3 2027" in page.text and "psykolog-a:" not in page.text


def test_an_overlap_at_one_end_registers_the_new_days_and_the_page_says_so(site: Site) -> None:
    csrf = site.sign_in("baltorp")
    site.client.post("/absence", data={"csrf": csrf, **form(person="Psykolog A", start="2027-03-08")})
    longer = site.client.post(
        "/absence", data={"csrf": csrf, **form(person="Psykolog A", start="2027-03-08", end="2027-03-12")}
    )
    assert longer.status_code == 200 and "/absence/2?overlaps=1" in str(longer.url), longer.url
    note = re.search(r'<p class="ok" role="status" id="absence-note">(.*?)</p>', longer.text, re.S)
    assert note and html.unescape(note.group(1)) == (
        "Fraværet overlapper fravær nr. 1 (8/3 2027); kun den nye del, 9/3-12/3 2027, er registreret."
    )
    assert 'id="absence-span">9/3-12/3 2027' in longer.text


def test_the_form_speaks_english_in_english_mode(site: Site) -> None:
    csrf = site.sign_in("baltorp")
    site.client.get("/absence?lang=en")
    page = site.client.post(
        "/absence",
        data={"csrf": csrf, **form(person="psykolg a", start="2027-03-08T12:00", end="2027-03-07")},
    )
    assert page.status_code == 422
    assert (
        field_message(page.text, "person")
        == "Nobody is called 'psykolg a'. Did you mean Psykolog A or Psykolog B?"
    )
    assert field_message(page.text, "end").startswith("«To» (7/3 2027) is before «From» (8/3 2027 12:00)")
    danish = site.client.post(
        "/absence?lang=da", data={"csrf": csrf, **form(person="psykolg a", start="2027-03-08")}
    )
    assert not any(word in danish.text for word in ENGLISH_WORDS)


def test_a_link_from_a_persons_week_opens_the_form_for_that_whole_day(site: Site) -> None:
    site.sign_in("baltorp")
    page = site.client.get("/absence?person=psykolog-b&day=2027-03-09").text
    assert (
        kept(page, "person") == "Psykolog B"
        and kept(page, "start") == "2027-03-09"
        and kept(page, "end") == ""
    )
