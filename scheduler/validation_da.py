"""Pydantic's validation errors in the words a user reads: Danish (or English on English pages).

One home for turning a `ValidationError` (or FastAPI's list of the same error dicts) into lines
like `series[3].cadence.kind (serien 'kk-skole-x'): ukendt værdi 'weeklyy'; mulige værdier: …`.
The place is the key path the user wrote in the YAML or JSON (pydantic's union-member tags such
as `int` or `list[Room]` left out), with the id of the nearest list item that has one; the
message is ours per error type. Pydantic's own text, its "For further information visit
https://errors.pydantic.dev/…" and its repr of the input are never shown. Messages of our own
validators (`ValueError` in `scheduler.model`) are already Danish and are shown as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

Lang = str
"""A language code, as the web pages have them (`api.web.i18n.Lang`): Danish for "da", English
for any other (the pages' catalogues may add languages; these messages exist in the two)."""


def _norm(lang: Lang) -> str:
    """'da' or 'en': the language these messages are written in that is nearest `lang`."""
    return "da" if lang == "da" else "en"


_REQUEST_PARTS = ("body", "query", "path", "header", "cookie", "form")
"""FastAPI's first loc part says where in the request; the user only wrote what follows."""

_TAG = re.compile(
    r"^(int|str|float|bool|none|date|datetime|list|dict|tuple|set|[A-Z]\w*)(\[.*\])?$|^[a-z]+-[a-z]+\["
)
"""A union member's tag in a loc (`int`, `list[Room]`, `function-after[…]`, `TimeRange`), not a key."""

ITEM_NOUN: dict[str, dict[Lang, str]] = {
    "series": {"da": "serien", "en": "series"},
    "staff": {"da": "personen", "en": "person"},
    "people": {"da": "personen", "en": "person"},
    "units": {"da": "enheden", "en": "unit"},
    "sites": {"da": "mødestedet", "en": "site"},
    "districts": {"da": "distriktet", "en": "district"},
    "terms": {"da": "terminen", "en": "term"},
    "rooms": {"da": "lokalet", "en": "room"},
    "participants": {"da": "deltageren", "en": "participant"},
    "teams": {"da": "teamet", "en": "team"},
}
"""What an item of a config list is called beside its id: "(serien 'kk-skole-x')"."""

_MESSAGES: dict[str, dict[Lang, str]] = {
    "missing": {"da": "mangler (feltet skal udfyldes)", "en": "is missing (the field is required)"},
    "extra_forbidden": {
        "da": "ukendt felt (tjek stavemåden)",
        "en": "unknown field (check the spelling)",
    },
    "string_type": {"da": "skal være en tekst", "en": "must be a text"},
    "string_too_short": {
        "da": "skal have mindst {min_length} tegn",
        "en": "must have at least {min_length} characters",
    },
    "string_too_long": {
        "da": "må højst have {max_length} tegn",
        "en": "may have at most {max_length} characters",
    },
    "string_pattern_mismatch": {
        "da": "har et ugyldigt format",
        "en": "has an invalid format",
    },
    "int_type": {"da": "skal være et helt tal", "en": "must be a whole number"},
    "int_parsing": {"da": "skal være et helt tal", "en": "must be a whole number"},
    "int_from_float": {"da": "skal være et helt tal (uden decimaler)", "en": "must be a whole number"},
    "float_type": {"da": "skal være et tal", "en": "must be a number"},
    "float_parsing": {"da": "skal være et tal", "en": "must be a number"},
    "bool_type": {"da": "skal være true eller false", "en": "must be true or false"},
    "bool_parsing": {"da": "skal være true eller false", "en": "must be true or false"},
    "date_type": {"da": "skal være en dato som 2027-03-08", "en": "must be a date like 2027-03-08"},
    "date_parsing": {"da": "skal være en dato som 2027-03-08", "en": "must be a date like 2027-03-08"},
    "date_from_datetime_parsing": {
        "da": "skal være en dato som 2027-03-08",
        "en": "must be a date like 2027-03-08",
    },
    "date_from_datetime_inexact": {
        "da": "skal være en dato uden klokkeslæt",
        "en": "must be a date without a time of day",
    },
    "datetime_type": {
        "da": "skal være et tidspunkt som 2027-03-08T13:00",
        "en": "must be a date and time like 2027-03-08T13:00",
    },
    "datetime_parsing": {
        "da": "skal være et tidspunkt som 2027-03-08T13:00",
        "en": "must be a date and time like 2027-03-08T13:00",
    },
    "datetime_from_date_parsing": {
        "da": "skal være et tidspunkt som 2027-03-08T13:00",
        "en": "must be a date and time like 2027-03-08T13:00",
    },
    "time_type": {"da": "skal være et klokkeslæt som 13:00", "en": "must be a time like 13:00"},
    "time_parsing": {"da": "skal være et klokkeslæt som 13:00", "en": "must be a time like 13:00"},
    "timezone_aware": {
        "da": "skal have en tidszone, fx +01:00",
        "en": "must have a time zone offset, e.g. +01:00",
    },
    "timezone_naive": {"da": "må ikke have en tidszone", "en": "must not have a time zone offset"},
    "enum": {
        "da": "ukendt værdi{got}; mulige værdier: {expected}",
        "en": "unknown value{got}; possible values: {expected}",
    },
    "literal_error": {
        "da": "ukendt værdi{got}; mulige værdier: {expected}",
        "en": "unknown value{got}; possible values: {expected}",
    },
    "greater_than": {"da": "skal være større end {gt}", "en": "must be greater than {gt}"},
    "greater_than_equal": {"da": "skal være mindst {ge}", "en": "must be at least {ge}"},
    "less_than": {"da": "skal være mindre end {lt}", "en": "must be less than {lt}"},
    "less_than_equal": {"da": "må højst være {le}", "en": "must be at most {le}"},
    "multiple_of": {"da": "skal gå op i {multiple_of}", "en": "must be a multiple of {multiple_of}"},
    "too_short": {"da": "skal have mindst {min_length}", "en": "must have at least {min_length}"},
    "too_long": {"da": "må højst have {max_length}", "en": "may have at most {max_length}"},
    "list_type": {"da": "skal være en liste", "en": "must be a list"},
    "tuple_type": {"da": "skal være en liste", "en": "must be a list"},
    "set_type": {"da": "skal være en liste", "en": "must be a list"},
    "dict_type": {"da": "skal være et afsnit med felter", "en": "must be a mapping of fields"},
    "model_type": {"da": "skal være et afsnit med felter", "en": "must be a mapping of fields"},
    "model_attributes_type": {"da": "skal være et afsnit med felter", "en": "must be a mapping of fields"},
    "json_invalid": {"da": "er ikke gyldig JSON", "en": "is not valid JSON"},
    "json_type": {"da": "er ikke gyldig JSON", "en": "is not valid JSON"},
    "url_parsing": {"da": "er ikke en gyldig adresse (URL)", "en": "is not a valid URL"},
    "url_scheme": {"da": "har en adresse med et ugyldigt skema", "en": "has a URL with an invalid scheme"},
    "uuid_parsing": {"da": "er ikke et gyldigt id", "en": "is not a valid id"},
    "none_required": {"da": "skal være tom", "en": "must be empty"},
    "frozen_field": {"da": "kan ikke ændres", "en": "cannot be changed"},
    "frozen_instance": {"da": "kan ikke ændres", "en": "cannot be changed"},
    "union_tag_invalid": {
        "da": "ukendt slags; mulige: {expected_tags}",
        "en": "unknown kind; possible: {expected_tags}",
    },
    "union_tag_not_found": {"da": "mangler feltet {discriminator}", "en": "lacks the field {discriminator}"},
}
"""Our sentence per pydantic error type; `{…}` are pydantic's context values."""

OWN_EN: dict[str, str] = {
    "clock_format": "'{text}' is not a time of day like '13:30'",
    "span_format": "'{text}' is not a time span like '12:30-16:00'",
    "span_order": "the span ends ({end}) before it starts ({start})",
    "absence_order": "the absence ends ({end}) before it starts ({start})",
    "holiday_order": "'{name}' ends ({end}) before it starts ({start})",
    "term_order": "the term ends ({end}) before it starts ({start})",
}
"""The English of our own validators' refusals (`scheduler.model.invalid`), by kind; their
Danish is where they are raised."""

_FALLBACK: dict[Lang, str] = {"da": "ugyldig værdi", "en": "invalid value"}
"""An error type not in the table: said plainly, never in pydantic's words."""

_OR: dict[Lang, str] = {"da": " eller ", "en": " or "}
_ITEMS: dict[Lang, tuple[tuple[str, str], tuple[str, str]]] = {
    "da": (("element", "elementer"), ("tegn", "tegn")),
    "en": (("item", "items"), ("character", "characters")),
}
_TOP: dict[Lang, str] = {"da": "(øverst)", "en": "(top)"}
_KEY: dict[Lang, str] = {"da": "nøglen", "en": "the key"}

_OWN_PREFIXES = ("Value error, ", "Assertion failed, ")

_DATE_DETAIL: dict[str, dict[Lang, str]] = {
    "day value is outside expected range": {
        "da": "dagen findes ikke i måneden",
        "en": "no such day in the month",
    },
    "month value is outside expected range": {"da": "måneden findes ikke", "en": "no such month"},
    "input is too short": {"da": "for kort", "en": "too short"},
    "input is too long": {"da": "for lang", "en": "too long"},
    "invalid character in year": {"da": "ugyldigt år", "en": "invalid year"},
    "invalid date separator, expected `-`": {
        "da": "brug - mellem år, måned og dag",
        "en": "use - between year, month and day",
    },
}
"""speedate's reasons a date is not one (pydantic's ctx 'error'), in words a user reads."""


def number(value: float, lang: Lang = "da") -> str:
    """0.0 -> '0', 0.5 -> '0,5' (Danish decimal comma), 10000 -> '10000'."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text.replace(".", ",") if _norm(lang) == "da" else text


def clean_loc(loc: Sequence[Any]) -> tuple[Any, ...]:
    """The loc as the user wrote it: no request part ('body', 'query') first, no union-member tags."""
    parts = list(loc)
    if parts and parts[0] in _REQUEST_PARTS:
        parts = parts[1:]
    return tuple(p for p in parts if not (isinstance(p, str) and p != "[key]" and _TAG.match(p)))


def format_loc(loc: Sequence[Any], lang: Lang = "da") -> str:
    """'series[3].cadence.kind': keys joined by dots, list positions in brackets."""
    out = ""
    for part in loc:
        if part == "[key]":
            continue  # said beside the path (`where`)
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or _TOP[_norm(lang)]


def item_label(loc: Sequence[Any], data: Any, lang: Lang = "da") -> str | None:
    """ "serien 'kk-skole-x'": the nearest item on the way to the field that has an id, if any."""
    label = None
    node = data
    key: Any = None
    for part in loc:
        if isinstance(node, Mapping) and part in node:
            key, node = part, node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            ident = node.get("id") if isinstance(node, Mapping) else None
            if isinstance(ident, str | int) and not isinstance(ident, bool):
                noun = ITEM_NOUN.get(str(key), {}).get(_norm(lang))
                label = f"{noun} '{ident}'" if noun else f"'{ident}'"
        else:
            break
    return label


def where(loc: Sequence[Any], data: Any = None, lang: Lang = "da") -> str:
    """The place of a problem: the key path, and the id of its item when the data has one."""
    loc = clean_loc(loc)
    notes = [_KEY[_norm(lang)]] if "[key]" in loc else []
    label = item_label(loc, data, lang) if data is not None else None
    notes += [label] if label else []
    path = format_loc(loc, lang)
    return f"{path} ({', '.join(notes)})" if notes else path


def _got(err: Mapping[str, Any]) -> str:
    """ " 'weeklyy'" for a short text the user typed (their own words, not a repr of an object)."""
    value = err.get("input")
    if isinstance(value, str) and 0 < len(value) <= 60 and value.isprintable():
        return f" '{value}'"
    return ""


def message(err: Mapping[str, Any], lang: Lang = "da") -> str:
    """One error's sentence, without its place."""
    kind = str(err.get("type", ""))
    ctx = dict(err.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        own = ctx.get("error")
        text = str(own) if own is not None else str(err.get("msg", ""))
        for prefix in _OWN_PREFIXES:
            text = text.removeprefix(prefix)
        return text or _FALLBACK[_norm(lang)]
    template = _MESSAGES.get(kind, {}).get(_norm(lang))
    if template is None:
        # A custom error of ours (PydanticCustomError) carries its own, Danish, message.
        if kind not in _PYDANTIC_TYPES:
            english = OWN_EN.get(kind) if _norm(lang) == "en" else None
            if english is not None:
                try:
                    return english.format(**ctx)
                except (KeyError, IndexError, ValueError):
                    pass
            text = str(err.get("msg", ""))
            if text and "pydantic" not in text:
                return text
        return _FALLBACK[_norm(lang)]
    if kind in ("enum", "literal_error"):
        ctx["expected"] = str(ctx.get("expected", "")).replace(" or ", ", ")
        ctx["got"] = _got(err)
    for name, value in ctx.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            ctx[name] = number(value, lang)
    if kind in ("too_short", "too_long"):
        items, chars = _ITEMS[_norm(lang)]
        one, many = chars if "str" in str(ctx.get("field_type", "")).lower() else items
        limit = (err.get("ctx") or {}).get("min_length" if kind == "too_short" else "max_length")
        template += " " + (one if limit == 1 else many)
    try:
        text = template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        text = template.split("{", 1)[0].strip() or _FALLBACK[_norm(lang)]
    detail = _DATE_DETAIL.get(str(ctx.get("error", "")), {}).get(_norm(lang))
    if detail and "date" in kind:
        text += f" ({detail})"
    return text


_PYDANTIC_TYPES = frozenset(_MESSAGES) | {
    "bytes_type",
    "callable_type",
    "dataclass_type",
    "decimal_parsing",
    "decimal_type",
    "iterable_type",
    "is_instance_of",
    "is_subclass_of",
    "mapping_type",
    "recursion_loop",
    "string_unicode",
    "string_sub_type",
    "arguments_type",
    "missing_argument",
    "unexpected_keyword_argument",
    "get_attribute_error",
}
"""pydantic's own types whose message (its words) is never shown; any other type is one of ours."""


ErrorList = ValidationError | Iterable[Mapping[str, Any]]
"""A ValidationError, or its `.errors()` (FastAPI's `RequestValidationError.errors()`)."""


def _errors(error: ErrorList) -> list[Mapping[str, Any]]:
    return list(error.errors() if isinstance(error, ValidationError) else error)


def problems(error: ErrorList, data: Any = None, lang: Lang = "da") -> list[tuple[tuple[Any, ...], str, str]]:
    """(clean loc, place, message) per problem; one line per place, a union's alternatives joined.

    A value that fits no member of a union (`rooms: abc`, a number or a list) gets one error per
    member from pydantic; the user reads one line: "skal være et helt tal eller skal være en liste".
    """
    merged: dict[tuple[Any, ...], list[str]] = {}
    places: dict[tuple[Any, ...], str] = {}
    for err in _errors(error):
        loc = clean_loc(err.get("loc", ()))
        text = message(err, lang)
        said = merged.setdefault(loc, [])
        if text not in said:
            said.append(text)
        places.setdefault(loc, where(err.get("loc", ()), data, lang))
    return [(loc, places[loc], _OR[_norm(lang)].join(texts)) for loc, texts in merged.items()]


def messages_da(error: ErrorList, lang: Lang = "da", data: Any = None) -> list[str]:
    """'place: message' per problem, in Danish (or English for `lang='en'`).

    `data` is the input that was validated (the parsed YAML or JSON): with it, the place also
    names the item's id the user wrote, e.g. "series[3].cadence (serien 'kk-skole-x')".
    """
    return [f"{place}: {text}" for _, place, text in problems(error, data, lang)]


def field_name(loc: Sequence[Any], lang: Lang = "da") -> str | None:
    """The field at fault as the user named it ('end', 'series[3].cadence'), or None at the top."""
    cleaned = clean_loc(loc)
    return format_loc(cleaned, lang) if cleaned else None
