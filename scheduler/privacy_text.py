"""Recognising personal data in text: CPR numbers however written, and text copied from elsewhere.

Pure functions on strings, here in `scheduler` so that both the edges that take input (slot
requests in `scheduler.slots`) and the privacy guard on everything that reaches a calendar
(`calendar_sync.privacy`) use the same detector; `scheduler` may not import `calendar_sync`.

Text is compared after normalisation, because a careless copy or a hostile input changes how a
number looks but not what it says: Unicode compatibility forms are folded (NFKD: full-width and
superscript digits become 0-9, a no-break space becomes a space), and format characters
(zero-width spaces and joiners, U+2060, the BOM, the soft hyphen) and combining marks are
dropped.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_DROPPED = frozenset({"Cf", "Mn", "Me"})
"""Unicode categories left out before matching: format characters and combining marks."""

_SEPARATOR = r"[\s._/\\·\-\u2010-\u2015\u2212\u2044\u2215]"
"""What people put between the groups of a CPR number: any space (tab, no-break), dot, slash,
underscore, middle dot, hyphen and the dashes (en, em, figure, minus sign U+2212)."""

# DD MM YY XXXX with at most a few separator characters between the groups ('010190 - 1234',
# '01.01.90-1234', '01 01 90 1234') and no digit on either side: a longer number (an account,
# an EAN) is not a CPR number. The last four digits stay together, so a phone number written in
# pairs ('20 11 90 12 34') is not mistaken for one.
_GAP = f"{_SEPARATOR}{{0,5}}"
_CPR_RE = re.compile(rf"(?<!\d)(\d\d){_GAP}(\d\d){_GAP}(\d\d){_GAP}(\d{{4}})(?!\d)")

CPR_LOOKS_DA = "teksten ligner et CPR-nummer"
"""The start of every Danish message about a CPR number found in input or in an invite."""

CPR_MASK = "XXXXXX-XXXX"
"""What `mask_cpr` puts where a CPR number was."""


def normalised(text: str) -> tuple[str, list[int]]:
    """`text` folded for matching, and for each of its characters the index it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.category(part) not in _DROPPED:
                chars.append(part)
                origin.append(index)
    return "".join(chars), origin


def _is_birth_date(day: int, month: int, yy: int) -> bool:
    """Whether DDMMYY is a real date in either century (the CPR's 7th digit decides which)."""
    for century in (1900, 2000):
        try:
            date(century + yy, month, day)
        except ValueError:
            continue
        return True
    return False


_TEN_DIGITS = re.compile(r"(?:\d\D*){10}")
"""A CPR number has ten digits; most texts (names, titles, places) have fewer and are done fast."""


def cpr_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) in `text` of everything that looks like a CPR number, in order.

    The date part must be a real date, so a phone number (+45 4477 0000, 44 77 00 00), a date
    (2027-03-09) or a case number with an impossible day is not flagged. No modulus-11 check:
    CPR numbers issued since 2007 need not pass it.
    """
    if not _TEN_DIGITS.search(unicodedata.normalize("NFKD", text)):
        return []
    folded, origin = normalised(text)
    spans: list[tuple[int, int]] = []
    position = 0
    while (match := _CPR_RE.search(folded, position)) is not None:
        day, month, yy = (int(group) for group in match.group(1, 2, 3))
        if _is_birth_date(day, month, yy):
            spans.append((origin[match.start()], origin[match.end() - 1] + 1))
            position = match.end()
        else:  # a later start inside this match may still be a CPR number
            position = match.start() + 1
    return spans


def find_cpr(text: str) -> str | None:
    """The first thing in `text` that looks like a CPR number, as it is written there, or None."""
    spans = cpr_spans(text)
    if not spans:
        return None
    start, end = spans[0]
    return text[start:end]


def mask_cpr(text: str) -> str:
    """`text` with every CPR number replaced by `CPR_MASK`, so it can be shown or logged."""
    out: list[str] = []
    last = 0
    for start, end in cpr_spans(text):
        out += [text[last:start], CPR_MASK]
        last = end
    out.append(text[last:])
    return "".join(out)


def match_key(text: str) -> str:
    """The letters and digits of `text`, case-folded and normalised, for substring matching.

    Spacing, punctuation, case, accents and invisible characters do not change the key, so a
    confidential text copied into a title with other spacing or case is still found in it.
    """
    # combining marks and format characters are not alphanumeric: the filter drops them too
    return "".join(filter(str.isalnum, unicodedata.normalize("NFKD", text.casefold())))
