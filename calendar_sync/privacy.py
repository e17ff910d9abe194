"""The privacy guard: every text that can reach a calendar is checked before anything leaves.

Invites reach people outside the unit, and tavshedspligt forbids a child's name, a CPR number or
case details in them. Names and case details cannot be recognised reliably by a pattern; a CPR
number can (`scheduler.privacy_text`, however it is written), and so can text copied from the
config's confidential fields (absence reasons, series notes). Later checks (names from a case
register, free-text keywords) belong here too, so that every path gets them at once.

`PrivacyGuard` is the one object that decides. It is built from the config (which holds the
confidential texts) and required by the sync engine (`calendar_sync.sync`), which checks every
item and recipient before anything is written to the outbox and again right before each
back-end call, so no back-end, present or future, can skip it; the feeds and files
(`calendar_sync.ics`, `itip.render_feed`) use the same guard. It looks at every text of a
calendar item, found by walking the item's fields (a field added later is checked without
anyone remembering to): UIDs and meeting uids, title, place, description, organizer and
attendees (id, name, address, role), overrides and the rule.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from functools import cache
from typing import TYPE_CHECKING

from calendar_sync.items import CalendarItem, items_from_plan
from scheduler.model import MunicipalityConfig, Plan
from scheduler.privacy_text import CPR_LOOKS_DA, find_cpr, mask_cpr, match_key

if TYPE_CHECKING:
    from calendar_sync.backends.base import Recipient

__all__ = ["MIN_CONFIDENTIAL_LENGTH", "PrivacyError", "PrivacyGuard", "find_cpr", "guarded_items"]

MIN_CONFIDENTIAL_LENGTH = 12
"""Letters and digits; shorter confidential texts ('syg', 'kursus') would match innocent words."""

CPR_PROBLEM = f"{CPR_LOOKS_DA}; fjern det, før mødet sendes ud i kalendere"
CONFIDENTIAL_PROBLEM = (
    "teksten indeholder tekst fra et fortroligt felt i konfigurationen "
    "(fraværsårsag eller mødenote); fjern den, før mødet sendes ud i kalendere"
)
HIDDEN_UID = "(et møde, hvis uid ikke kan vises)"
"""How an error names a meeting whose uid itself is what the guard stopped."""

_LABELS = {
    "uid": "UID",
    "title": "SUMMARY",
    "location": "LOCATION",
    "description": "DESCRIPTION",
    "organizer": "ORGANIZER",
    "attendees": "ATTENDEE",
    "rrule": "RRULE",
    "meeting_uids": "mødets uid",
    "meeting_uid": "mødets uid",
    "series": "serie",
    "unit": "enhed",
    "person": "person-id",
    "name": "navn",
    "email": "e-mail",
    "role_label": "rolle",
    "guests": "gæst",
}
"""How an error names a field of an item: iCalendar's names where there is one, else Danish."""


class PrivacyError(Exception):
    """A text meant for a calendar looks like it carries personal data; nothing was sent.

    `meeting_uid` and `field` say where, never what: the message can be logged and shown.
    """

    def __init__(self, meeting_uid: str, field: str, message: str):
        where = f"{meeting_uid}: {field}" if meeting_uid else field  # "" = the calendar itself
        super().__init__(f"{where}: {message}")
        self.meeting_uid = meeting_uid
        self.field = field
        self.message = message


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _strings(value: object) -> set[str]:
    """Every distinct string in `value`, like `_texts` but without labels: the fast pass."""
    found: set[str] = set()
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            found.add(current)
        elif isinstance(current, list | tuple):
            stack.extend(current)
        elif isinstance(current, Mapping):
            stack.extend(current.values())
        elif is_dataclass(current) and not isinstance(current, type):
            stack.extend(getattr(current, name) for name in _field_names(type(current)))
    return found


def _texts(value: object, label: str) -> Iterator[tuple[str, str]]:
    """(field label, text) for every string in `value`, through dataclasses, sequences, dicts."""
    if isinstance(value, str):
        yield label, value
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            inner = _LABELS.get(f.name, f.name)
            yield from _texts(getattr(value, f.name), f"{label}, {inner}" if label else inner)
    elif isinstance(value, list | tuple):
        for number, element in enumerate(value, start=1):
            yield from _texts(element, f"{label} {number}" if len(value) > 1 else label)
    elif isinstance(value, Mapping):
        for key, element in value.items():
            yield from _texts(element, f"{label} {key}")


@dataclass(frozen=True)
class PrivacyGuard:
    """Decides whether a text may reach a calendar; `check_*` raise `PrivacyError` if not.

    `PrivacyGuard()` checks for CPR numbers only; `for_config` adds the config's confidential
    texts, which are then also found inside longer texts, whatever their spacing or case.
    """

    confidential: tuple[str, ...] = ()
    """`match_key`s of the confidential texts"""

    @classmethod
    def for_config(cls, config: MunicipalityConfig, also: Iterable[str] = ()) -> PrivacyGuard:
        """The guard for a config: its absence reasons and series notes, plus `also` (e.g. the
        reasons of absences registered through the API, which live in the database)."""
        texts = [a.reason for p in config.staff for a in p.absences]
        texts += [s.notes for s in config.series]
        keys = {match_key(text) for text in [*texts, *also]}
        return cls(tuple(sorted(k for k in keys if len(k) >= MIN_CONFIDENTIAL_LENGTH)))

    # ------------------------------------------------------------------ one text

    def problem(self, text: str) -> str | None:
        """Why `text` may not reach a calendar (in Danish, without the text), or None."""
        if find_cpr(text) is not None:
            return CPR_PROBLEM
        if self.confidential:
            key = match_key(text)
            if any(secret in key for secret in self.confidential):
                return CONFIDENTIAL_PROBLEM
        return None

    def name_for(self, uid: str) -> str:
        """How an error may name this meeting: its uid, with any CPR number masked."""
        if self.problem(uid) is None:
            return uid
        masked = mask_cpr(uid)
        return masked if self.problem(masked) is None else HIDDEN_UID

    def check_text(self, meeting_uid: str, field: str, text: str) -> None:
        """Raise `PrivacyError` naming the meeting (its uid) and field if `text` may not go out."""
        problem = self.problem(text)
        if problem is not None:
            raise PrivacyError(self.name_for(meeting_uid), field, problem)

    def check_texts(self, meeting_uid: str, texts: Mapping[str, str]) -> None:
        """`check_text` for each field -> text, in order."""
        for field, text in texts.items():
            self.check_text(meeting_uid, field, text)

    # ------------------------------------------------------------------ what leaves

    def check_item(self, item: CalendarItem) -> None:
        """Every text of a calendar item; an override's texts are named by its own meeting."""
        if all(self.problem(text) is None for text in _strings(item)):
            return  # the usual case, found without building a label for every text
        for f in fields(item):
            value = getattr(item, f.name)
            if f.name == "overrides":
                for override in value:
                    for field, text in _texts(override, ""):
                        self.check_text(override.meeting_uid, field, text)
                continue
            for field, text in _texts(value, _LABELS.get(f.name, f.name)):
                self.check_text(item.uid, field, text)

    def check_items(self, items: Iterable[CalendarItem]) -> None:
        for item in items:
            self.check_item(item)

    def check_recipient(self, recipient: Recipient) -> None:
        """Whose calendar it is: their id (a folder, a ledger key), name and address (headers)."""
        for field, text in _texts(recipient, f"modtager {self.name_for(recipient.person)}"):
            self.check_text("", field, text)

    def check_recipients(self, recipients: Iterable[Recipient]) -> None:
        for recipient in recipients:
            self.check_recipient(recipient)

    def check_plan(self, config: MunicipalityConfig, plan: Plan) -> None:
        """What a plan's meetings hold besides the calendar items: the room (id and name) and the
        guests of a one-off meeting (label and address). Invites show the room's name (LOCATION)
        and the guests' labels; the ids and addresses are checked too, so nothing of a meeting
        reaches a calendar unchecked."""
        rooms = {(site.id, room.id): room.name for site in config.sites for room in site.room_list}
        for meeting in plan.meetings:
            texts: dict[str, str] = {}
            if meeting.room is not None:
                texts["lokale"] = meeting.room
                texts["lokalets navn"] = rooms.get((meeting.site, meeting.room), "")
            for number, guest in enumerate(meeting.guests, start=1):
                texts[f"gæst {number}, navn"] = guest.name
                texts[f"gæst {number}, e-mail"] = guest.email or ""
            self.check_texts(meeting.uid, texts)


DEFAULT_GUARD = PrivacyGuard()
"""CPR numbers only: for a path that has no config at hand (`itip.render` on its own)."""


def guarded_items(
    config: MunicipalityConfig, plan: Plan, confidential: Iterable[str] = (), recurring: Collection[str] = ()
) -> tuple[list[CalendarItem], PrivacyGuard]:
    """The plan's calendar items, each checked by the config's guard (`confidential` added), and
    that guard: what publishing and the feeds start from, and what a caller uses to refuse a
    leaky plan before it commits or sends anything. `recurring`: see `items_from_plan`."""
    guard = PrivacyGuard.for_config(config, also=confidential)
    guard.check_plan(config, plan)
    items = items_from_plan(config, plan, recurring)
    guard.check_items(items)
    return items, guard
