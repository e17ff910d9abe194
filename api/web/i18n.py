"""The web pages' words, in Danish (the default) and English, and dates and numbers the way each
language writes them.

The words live in gettext catalogues, `api/web/locale/<lang>/LC_MESSAGES/messages.po`, read with
Babel at import: adding a language is a catalogue, not code. A message id is a key (`nav_overview`);
a plural message (`n_meetings`) has the key as both ids and one form per plural rule of the
language. Dates, numbers and plurals come from CLDR through Babel for the catalogue's `Language`
(`da`, `en_GB`), so no hand-written month or weekday table drifts from the rest.

Domain texts the scheduler writes (rule titles, "hvorfor her?", proposal summaries) stay Danish in
both languages: they are the municipality's own terms.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from scheduler.danish import clock_da
from scheduler.term_dates import TZ

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

Lang = str
"""A catalogue's folder name under `locale/`: 'da', 'en'."""
DEFAULT: Lang = "da"


@dataclass(frozen=True)
class Language:
    """One catalogue: its texts by key, its plural rule (through gettext) and its CLDR locale."""

    catalog: Catalog
    translations: gettext.GNUTranslations
    locale: Locale

    @property
    def name(self) -> str:
        """The language's name in itself, for the language switch: 'Dansk', 'English'."""
        name = str(self.locale.language_name)
        return name[:1].upper() + name[1:]

    def text(self, key: str) -> str:
        message = self.catalog.get(key)
        if message is None or message.pluralizable:
            raise KeyError(f"no text {key!r} in the {self.locale} catalogue")
        return str(message.string)

    def plural(self, key: str, n: int) -> str:
        message = self.catalog.get(key)
        if message is None or not message.pluralizable:
            raise KeyError(f"no plural text {key!r} in the {self.locale} catalogue")
        return self.translations.ngettext(key, key, n)


def _load(folder: Path) -> Language:
    with (folder / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=None, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    locale = catalog.locale or Locale.parse(folder.name)
    return Language(catalog, gettext.GNUTranslations(compiled), locale)


def load_catalogues(locale_dir: Path) -> dict[Lang, Language]:
    """Every `<lang>/LC_MESSAGES/messages.po` under `locale_dir`, by folder name."""
    return {
        folder.name: _load(folder)
        for folder in sorted(locale_dir.iterdir())
        if (folder / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
    }


CATALOGUES: dict[Lang, Language] = load_catalogues(LOCALE_DIR)
LANGS: tuple[Lang, ...] = (DEFAULT, *(lang for lang in CATALOGUES if lang != DEFAULT))

WEEKDAYS: dict[Lang, list[str]] = {
    lang: [str(c.locale.days["format"]["wide"][i]) for i in range(7)] for lang, c in CATALOGUES.items()
}
"""'mandag' … 'søndag' / 'Monday' … 'Sunday' from CLDR, Monday first as in `date.weekday()`."""


def pick_lang(value: str | None) -> Lang:
    return value if value in CATALOGUES else DEFAULT


def text(lang: Lang, key: str) -> str:
    """The page text `key` in `lang`; a key missing from a catalogue is an error, not a fallback."""
    return CATALOGUES[lang].text(key)


def label(lang: Lang, field: str) -> str:
    """A form field as the page names it ('time_limit' -> 'Tidsgrænse (sekunder)'), else as sent."""
    message = CATALOGUES[lang].catalog.get(field)
    return str(message.string) if message is not None and not message.pluralizable else field


def plural(lang: Lang, key: str, n: int) -> str:
    """'1 møde' / '3 møder': the catalogue's form for n under the language's plural rule, with
    '{n}' filled in the language's digits ('1.234 møder')."""
    return CATALOGUES[lang].plural(key, n).format(n=number(n, lang, decimals=0))


def _local(value: date | datetime) -> date:
    return value.astimezone(TZ).date() if isinstance(value, datetime) else value


def long_date(value: date | datetime, lang: Lang = DEFAULT) -> str:
    """'tirsdag 9. marts 2027' / 'Tuesday 9 March 2027': the weekday and CLDR's long date (a
    datetime is read in Copenhagen time)."""
    day, locale = _local(value), CATALOGUES[lang].locale
    return f"{format_date(day, 'EEEE', locale=locale)} {format_date(day, 'long', locale=locale)}"


def short_date(value: date | datetime, lang: Lang = DEFAULT) -> str:
    """'tirs. 9/3' / 'Tue 9/3': for grid cells (the catalogue's `fmt_short_date` pattern)."""
    return format_date(_local(value), text(lang, "fmt_short_date"), locale=CATALOGUES[lang].locale)


def number(value: float, lang: Lang = DEFAULT, decimals: int = 1) -> str:
    """'1.234,5' in Danish, '1,234.5' in English (CLDR's digits and separators)."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, pattern, locale=CATALOGUES[lang].locale)


def percent(value: float, lang: Lang = DEFAULT, decimals: int = 0) -> str:
    """'30,6 %' / '30.6%' for 30.6 (a value already in per cent), as CLDR writes a percentage."""
    pattern = CATALOGUES[lang].locale.percent_formats[None].pattern
    if decimals > 0:
        last = pattern.rindex("0") + 1
        pattern = pattern[:last] + "." + "0" * decimals + pattern[last:]
    return format_percent(value / 100, pattern, locale=CATALOGUES[lang].locale)


def clock(value: datetime) -> str:
    """'13:30' in Copenhagen time, in both languages."""
    return clock_da(value)


def when(start: datetime, end: datetime, lang: Lang = DEFAULT) -> str:
    """'tirsdag 9. marts 2027 kl. 13:00-15:00' / 'Tuesday 9 March 2027, 13:00-15:00'."""
    return text(lang, "fmt_when").format(date=long_date(start, lang), start=clock(start), end=clock(end))
