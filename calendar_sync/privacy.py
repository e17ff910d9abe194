"""The privacy guard: texts that go into invites are checked before anything leaves.

Invites reach people outside the unit, and tavshedspligt forbids a child's name, a CPR number or
case details in them. Names and case details cannot be recognised reliably by a pattern; a CPR
number can, so that is the minimal guard for now. Later checks (names from a case register,
free-text keywords) belong here too, so that every back-end gets them at once.
"""

from __future__ import annotations

import re
from datetime import date

from scheduler.model import MunicipalityConfig

# Six digits (DDMMYY), an optional separator, four digits, and no digit on either side: a longer
# number (an account, an EAN) is not a CPR number. Dash, en dash, non-breaking hyphen or one
# space are the separators people actually type.
_CPR_RE = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})[-\u2010\u2011\u2013 ]?(\d{4})(?!\d)")


MIN_CONFIDENTIAL_LENGTH = 12
"""Shorter confidential texts ('syg', 'kursus') would match innocent words, so they are skipped."""


class PrivacyError(Exception):
    """A text meant for an invite looks like it carries personal data; nothing was sent."""

    def __init__(self, meeting_uid: str, field: str, message: str):
        where = f"{meeting_uid}: {field}" if meeting_uid else field  # "" = the calendar itself
        super().__init__(f"{where}: {message}")
        self.meeting_uid = meeting_uid
        self.field = field
        self.message = message


def _is_birth_date(day: int, month: int, yy: int) -> bool:
    """Whether DDMMYY is a real date in either century (the CPR's 7th digit decides which)."""
    for century in (1900, 2000):
        try:
            date(century + yy, month, day)
        except ValueError:
            continue
        return True
    return False


def find_cpr(text: str) -> str | None:
    """The first thing in `text` that looks like a CPR number (DDMMYY-XXXX or DDMMYYXXXX), or None.

    The date part must be a real date, so a phone number (+45 4477 0000, 44770000) or a case
    number with an impossible day is not flagged. No modulus-11 check: CPR numbers issued since
    2007 need not pass it.
    """
    for match in _CPR_RE.finditer(text):
        day, month, yy = (int(g) for g in match.group(1, 2, 3))
        if _is_birth_date(day, month, yy):
            return match.group(0)
    return None


def check_meeting_texts(uid: str, fields: dict[str, str]) -> None:
    """Raise `PrivacyError` for the first field (e.g. SUMMARY) that carries a CPR number.

    The message names the meeting and the field but never repeats the number, so the error can
    be logged and shown without leaking what it guards.
    """
    for field, text in fields.items():
        if find_cpr(text) is not None:
            raise PrivacyError(
                uid,
                field,
                "teksten ligner et CPR-nummer; fjern det, før mødet sendes ud i kalendere",
            )


def confidential_texts(config: MunicipalityConfig) -> list[str]:
    """Text from fields marked confidential in the config: absence reasons and series notes.

    They may say why someone is away or what a conference is about; none of it may reach an
    invite, even by accident (a title copied from a note). Very short texts are skipped, since
    'syg' or 'kursus' would also match innocent words.
    """
    texts = [a.reason for p in config.staff for a in p.absences]
    texts += [s.notes for s in config.series]
    return sorted({t.strip() for t in texts if len(t.strip()) >= MIN_CONFIDENTIAL_LENGTH})


def check_confidential(uid: str, fields: dict[str, str], confidential: list[str]) -> None:
    """Raise `PrivacyError` if a field contains text from a confidential config field."""
    for field, text in fields.items():
        folded = text.casefold()
        if any(secret.casefold() in folded for secret in confidential):
            raise PrivacyError(
                uid,
                field,
                "teksten indeholder tekst fra et fortroligt felt i konfigurationen "
                "(fraværsårsag eller mødenote); fjern den, før mødet sendes ud i kalendere",
            )
