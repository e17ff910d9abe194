"""The pages' message catalogues: every key the pages use is in every language, none is empty, and
numbers, dates and plurals read the way each language writes them (CLDR through Babel)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import get_args

import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po

from api.auth import Role
from api.orm import JobState, PlanState
from api.web import i18n
from api.web.flows import RULE_GROUPS
from calendar_sync.items import Reason
from scheduler.danish import distance_da, long_date_da, number_da, plural_da
from scheduler.model import PlanStatus
from scheduler.replan.diff import ChangeKind
from scheduler.term_dates import TZ

WEB = Path(i18n.__file__).resolve().parent
STATIC_KEY = re.compile(r"""\b(?:t|tn)\(\s*['"]([A-Za-z0-9_]+)['"]\s*[,)]""")
"""`t('key')` and `tn('key', n)` in templates, `p.t("key")` in the views."""
DYNAMIC = re.compile(r"""\bt\(\s*['"]([a-z]+_)['"]\s*~""")
"""`t('status_' ~ …)`: a family of keys; each family is listed in `_families` from its enum."""


def _families() -> dict[str, set[str]]:
    return {
        "status_": {s.value for s in PlanStatus},
        "state_": {s.value for s in PlanState} | {"open", "resolved"},
        "banner_": {PlanState.superseded.value, PlanState.discarded.value},
        "role_": {r.value for r in Role},
        "job_": {s.value for s in JobState},
        "action_": {"create", "update", "cancel"},
        "reason_": set(get_args(Reason)),
        "what_": set(get_args(ChangeKind)),
    }


def used_keys() -> set[str]:
    """Every key the templates and views ask for, the families spelled out."""
    sources = [*WEB.glob("templates/*.html"), *WEB.glob("*.py")]
    keys: set[str] = set()
    families = _families()
    for path in sources:
        source = path.read_text(encoding="utf-8")
        keys |= set(STATIC_KEY.findall(source))
        for prefix in DYNAMIC.findall(source):
            assert prefix in families, f"{path.name}: t('{prefix}' ~ …) is a family the test does not know"
            keys |= {prefix + member for member in families[prefix]}
    keys |= {key for key, _ in RULE_GROUPS}  # t(key) in _rules.html
    keys |= {"locked_ok", "unlocked_ok", "moved_ok", "discarded_ok"}  # t(done) in meeting/drafts
    keys |= {"from", "to"}  # p.t(field) for the absence form's times
    return keys


def test_the_key_finder_finds_keys() -> None:
    """So the coverage test below cannot pass by finding nothing."""
    keys = used_keys()
    assert {"nav_overview", "n_meetings", "status_PARTIAL", "what_attendee_added", "fairness"} <= keys
    assert len(keys) > 150


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_key_the_pages_use_is_in_the_catalogue(lang: str) -> None:
    missing = sorted(k for k in used_keys() if k not in i18n.CATALOGUES[lang].catalog)
    assert not missing, f"missing from {lang}: {missing}"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_no_translation_is_empty_and_every_catalogue_has_the_same_keys(lang: str) -> None:
    catalog = i18n.CATALOGUES[lang].catalog
    default = i18n.CATALOGUES[i18n.DEFAULT].catalog
    assert {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id} == {
        m.id if isinstance(m.id, str) else m.id[0] for m in default if m.id
    }
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(isinstance(s, str) and s.strip() for s in strings), f"{lang}: {message.id} is empty"
        assert not message.fuzzy, f"{lang}: {message.id} is fuzzy"


def test_the_languages_are_the_catalogues_in_the_folder() -> None:
    folders = {p.parent.parent.name for p in WEB.glob("locale/*/LC_MESSAGES/messages.po")}
    assert set(i18n.LANGS) == folders and i18n.LANGS[0] == "da"
    for folder in folders:
        with (WEB / "locale" / folder / "LC_MESSAGES" / "messages.po").open("rb") as po:
            assert read_po(po).locale is not None, f"{folder}: the catalogue names no Language"


def test_a_missing_key_is_an_error_not_the_key_on_the_page() -> None:
    with pytest.raises(KeyError):
        i18n.text("da", "no_such_key")
    with pytest.raises(KeyError):
        i18n.plural("da", "nav_overview", 2)  # not a plural message


def test_an_unknown_language_falls_back_to_danish() -> None:
    assert i18n.pick_lang("en") == "en"
    assert i18n.pick_lang("xx") == "da" and i18n.pick_lang(None) == "da"


# --------------------------------------------------------------------------- numbers, dates, plurals


def test_numbers_read_with_a_decimal_comma_in_danish() -> None:
    assert i18n.number(1234.5) == "1.234,5"
    assert i18n.number(1234.5, "en") == "1,234.5"
    assert i18n.number(7, decimals=0) == "7"
    assert i18n.percent(30.6, "da", 1) == "30,6\xa0%"
    assert i18n.percent(30.6, "en") == "31%"
    assert number_da(12.25, 2) == "12,25"


def test_plurals_follow_the_language() -> None:
    assert i18n.plural("da", "n_meetings", 1) == "1 møde"
    assert i18n.plural("da", "n_meetings", 0) == "0 møder"
    assert i18n.plural("da", "n_meetings", 1200) == "1.200 møder"
    assert i18n.plural("en", "unplaced_title", 1) == "1 meeting could not be placed"
    assert i18n.plural("da", "unplaced_title", 3) == "3 møder kunne ikke placeres"
    assert plural_da(1, "møde", "møder") == "1 møde" and plural_da(2, "møde", "møder") == "2 møder"


def test_dates_come_from_cldr_and_agree_with_the_schedulers_danish() -> None:
    day = date(2027, 3, 9)
    assert i18n.long_date(day) == long_date_da(day) == "tirsdag 9. marts 2027"
    assert i18n.long_date(day, "en") == "Tuesday 9 March 2027"
    assert i18n.short_date(day) == "tirs. 9/3" and i18n.short_date(day, "en") == "Tue 9/3"
    start = datetime(2027, 3, 9, 13, 0, tzinfo=TZ)
    assert i18n.when(start, start.replace(hour=15), "en") == "Tuesday 9 March 2027, 13:00-15:00"
    assert i18n.WEEKDAYS["da"][0] == "mandag" and i18n.WEEKDAYS["en"][6] == "Sunday"


def test_the_pages_distance_phrase_is_the_schedulers() -> None:
    """The CLI's phrase (scheduler.danish) and the page's catalogue say the same; this test keeps them so."""
    pct = 12.34
    page = i18n.text("da", "gap").replace("{pct}", i18n.number(pct))
    assert distance_da("FEASIBLE", 100, 100 - pct) == page == "højst 12,3 % fra det bedst mulige"
    assert i18n.text("da", "status_OPTIMAL").startswith(distance_da("OPTIMAL", 1, 1) or "-")


def test_a_new_language_is_a_catalogue_and_nothing_else(tmp_path: Path) -> None:
    """A German catalogue (the English one, its Language set to de) in a locale folder is a language:
    its texts, its plural forms, and CLDR's German for its name and the dates and digits."""
    for lang in ("da", "de"):
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        source = (
            WEB / "locale" / ("en" if lang == "de" else lang) / "LC_MESSAGES" / "messages.po"
        ).read_text(encoding="utf-8")
        if lang == "de":
            source = source.replace('"Language: en_GB\\n"', '"Language: de\\n"')
        (folder / "messages.po").write_text(source, encoding="utf-8")
    languages = i18n.load_catalogues(tmp_path)
    german = languages["de"]
    assert german.name == "Deutsch" and languages["da"].name == "Dansk"
    assert str(german.locale) == "de" and german.text("nav_overview") == "Overview"
    assert german.plural("n_meetings", 2) == "{n} meetings"
    assert format_date(date(2027, 3, 9), "EEEE d. MMMM", locale=german.locale) == "Dienstag 9. März"
    assert i18n.CATALOGUES["en"].name == "English"
