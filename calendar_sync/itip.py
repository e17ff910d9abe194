"""Calendar items as iCalendar text: iTIP messages (RFC 5546) and PUBLISH feeds.

`render` turns one item into a REQUEST (an invitation or its update), a CANCEL or a PUBLISH;
`render_feed` puts many items into one PUBLISH calendar for subscription feeds and files.
Times are Copenhagen wall time with TZID=Europe/Copenhagen and a hand-built, RRULE-based
VTIMEZONE, because Outlook ignores RDATE-based VTIMEZONEs (what generators derived from the tz
database emit) and would then misplace meetings around the summer-time switch. The rule's UNTIL
is in UTC, as RFC 5545 requires when DTSTART has a TZID.

Who organises, and where replies go (the invitations must work in Outlook as invitations):

- An e-mail invitation (iMIP, RFC 6047) comes from the service's mailbox, so that mailbox is
  its ORGANIZER (`Mailbox`, the e-mail back-end's MOEDEPLAN_SMTP_SENDER): Outlook and the
  others accept updates and cancellations of an event only from its organizer, and the From
  address must be the ORGANIZER (RFC 6047 section 3). The person who calls the meeting (the
  series' convener, by default the chair) is an ATTENDEE with ROLE=CHAIR (NON-PARTICIPANT for
  a convener who has no seat in the meeting): they receive an
  invitation like everyone else, not a REQUEST for a meeting they supposedly organise in a
  mailbox that never held it.
- Replies are not processed (the plan, not the calendars, says who comes; absences are
  registered in moedeplan), so every ATTENDEE has RSVP=FALSE: no client asks for an answer. A
  reply someone sends anyway goes to the service mailbox; a human answer to the e-mail goes to
  the caller (the e-mail's Reply-To).
- Feeds and files (PUBLISH) have no attendees; their ORGANIZER is the caller, which tells the
  reader who calls the meeting.

Every item's texts pass the privacy guard (`calendar_sync.privacy`) before anything is built,
so a `PrivacyError` never leaves half a message behind. `render` checks for CPR numbers even when
a back-end calls it on its own; the sync engine has checked everything, the config's
confidential texts included, before any back-end is called.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vRecur,
)

from calendar_sync.items import CalendarItem, ItemAttendee, Method, Override, notice, view_for
from calendar_sync.privacy import DEFAULT_GUARD, PrivacyGuard
from scheduler.term_dates import TZ

PRODID = "-//moedeplan//Ballerup//DA"
TZID = "Europe/Copenhagen"
METHODS: tuple[Method, ...] = ("PUBLISH", "REQUEST", "CANCEL")


def build_vtimezone() -> Timezone:
    """Europe/Copenhagen as RRULE rules (EU summer time since 1996), which every client reads."""
    daylight = TimezoneDaylight()
    daylight.add("TZNAME", "CEST")
    daylight.add("TZOFFSETFROM", timedelta(hours=1))
    daylight.add("TZOFFSETTO", timedelta(hours=2))
    daylight.add("DTSTART", datetime(1970, 3, 29, 2, 0, 0))
    daylight.add("RRULE", vRecur(FREQ="YEARLY", BYMONTH=3, BYDAY="-1SU"))

    standard = TimezoneStandard()
    standard.add("TZNAME", "CET")
    standard.add("TZOFFSETFROM", timedelta(hours=2))
    standard.add("TZOFFSETTO", timedelta(hours=1))
    standard.add("DTSTART", datetime(1970, 10, 25, 3, 0, 0))
    standard.add("RRULE", vRecur(FREQ="YEARLY", BYMONTH=10, BYDAY="-1SU"))

    timezone = Timezone()
    timezone.add("TZID", TZID)
    timezone.add_component(daylight)
    timezone.add_component(standard)
    return timezone


def _stamp(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def _wall(moment: datetime) -> datetime:
    """Copenhagen wall time with the zoneinfo zone, so icalendar writes TZID=Europe/Copenhagen."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(TZ)


# --------------------------------------------------------------------------- components


@dataclass(frozen=True)
class Mailbox:
    """The service's own mailbox (the e-mail back-end's sender): the ORGANIZER of iMIP messages."""

    name: str
    email: str


def _address(who: ItemAttendee, method: Method | None = None, role: str | None = None) -> vCalAddress:
    """A fresh address per property: icalendar shares parameter dicts between uses of one object.

    As an ATTENDEE of a REQUEST: PARTSTAT=NEEDS-ACTION and RSVP=FALSE, since no one processes
    replies (see the module docstring)."""
    address = vCalAddress(f"mailto:{who.email}")
    address.params["CN"] = who.name
    if method is not None:
        address.params["CUTYPE"] = "INDIVIDUAL"
        address.params["ROLE"] = role or ("REQ-PARTICIPANT" if who.required else "OPT-PARTICIPANT")
        if method == "REQUEST":
            address.params["PARTSTAT"] = "NEEDS-ACTION"
            address.params["RSVP"] = "FALSE"
    return address


def _mailbox(box: Mailbox) -> vCalAddress:
    address = vCalAddress(f"mailto:{box.email}")
    address.params["CN"] = box.name
    return address


def _people(
    event: Event,
    item: CalendarItem,
    method: Method,
    attendees: tuple[ItemAttendee, ...] | None = None,
    organizer: Mailbox | None = None,
    recipient: str | None = None,
) -> None:
    """ORGANIZER always; ATTENDEE lines except in PUBLISH (RFC 5546).

    With `organizer` (the service mailbox, for iMIP) it is the ORGANIZER, and whoever calls the
    meeting (`item.organizer`: the convener, by default the chair) is an ATTENDEE with
    ROLE=CHAIR (NON-PARTICIPANT for a convener without a seat), so they get a normal invitation
    like everyone else; without it the caller is the ORGANIZER (feeds, CalDAV), and in a REQUEST
    or CANCEL also such an ATTENDEE.
    An uninvitation (CANCEL of one person, `reason` "removed") lists only that person.
    People without an e-mail address cannot be invited; the description still names them.
    """
    caller = item.organizer if item.organizer is not None and item.organizer.email else None
    if organizer is not None and method != "PUBLISH":
        event.add("ORGANIZER", _mailbox(organizer))
    elif caller is not None:
        event.add("ORGANIZER", _address(caller))
    if method == "PUBLISH":
        return
    uninvites = method == "CANCEL" and item.reason == "removed" and recipient is not None
    if caller is not None and (not uninvites or caller.person == recipient):
        event.add("ATTENDEE", _address(caller, method, role="CHAIR" if caller.attends else "NON-PARTICIPANT"))
    for attendee in item.attendees if attendees is None else attendees:
        if attendee.email and (caller is None or attendee.person != caller.person):
            event.add("ATTENDEE", _address(attendee, method))


def _common(event: Event, item: CalendarItem, sequence: int, stamp: datetime) -> None:
    event.add("UID", item.uid)
    event.add("SEQUENCE", sequence)
    event.add("DTSTAMP", stamp)


def _master(item: CalendarItem, method: Method, sequence: int, stamp: datetime, who: _Who) -> Event:
    event = Event()
    _common(event, item, sequence, stamp)
    event.add("DTSTART", _wall(item.start))
    event.add("DTEND", _wall(item.end))
    if item.rrule is not None:
        event.add("RRULE", vRecur(item.rrule.parts()))
        if item.exdates:
            event.add("EXDATE", [_wall(d) for d in sorted(item.exdates)])
    event.add("SUMMARY", item.title)
    event.add("LOCATION", item.location)
    event.add("DESCRIPTION", item.description)
    _people(event, item, method, None, *who)
    _status(event, item, method)
    event.add("TRANSP", "OPAQUE")
    return event


def _status(event: Event, item: CalendarItem, method: Method) -> None:
    """CANCELLED cancels the whole event; RFC 5546 (3.2.5) leaves it out when a CANCEL only
    uninvites the attendees it lists, since the meeting itself still takes place."""
    if method != "CANCEL":
        event.add("STATUS", "CONFIRMED")
    elif item.reason != "removed":
        event.add("STATUS", "CANCELLED")


def _withdrawal(item: CalendarItem, recipient: str | None) -> CalendarItem:
    """A CANCEL that is not a cancellation (`items.notice`): its DESCRIPTION says why, and an
    uninvitation lists only the attendee it uninvites (RFC 5546 3.2.5 and 4.2.8)."""
    text = notice(item)
    if text is None:
        return item
    item = replace(
        item, description=text, overrides=tuple(replace(o, description=text) for o in item.overrides)
    )
    if item.reason != "removed" or recipient is None:
        return item

    def only(people: tuple[ItemAttendee, ...]) -> tuple[ItemAttendee, ...]:
        return tuple(a for a in people if a.person == recipient)

    return replace(
        item,
        attendees=only(item.attendees),
        overrides=tuple(replace(o, attendees=only(o.attendees or item.attendees)) for o in item.overrides),
    )


def _override(
    item: CalendarItem, override: Override, method: Method, sequence: int, stamp: datetime, who: _Who
) -> Event:
    """A moved instance, or one with other attendees: a full VEVENT, since clients show an
    override on its own properties."""
    event = Event()
    _common(event, item, sequence, stamp)
    event.add("RECURRENCE-ID", _wall(override.recurrence_id))
    event.add("DTSTART", _wall(override.start))
    event.add("DTEND", _wall(override.end))
    event.add("SUMMARY", item.title)
    event.add("LOCATION", override.location)
    event.add("DESCRIPTION", item.description if override.description is None else override.description)
    _people(event, item, method, override.attendees, *who)
    _status(event, item, method)
    event.add("TRANSP", "OPAQUE")
    return event


_Who = tuple[Mailbox | None, str | None]
"""(the ORGANIZER mailbox, the recipient) of one message, for `_people`."""


def _events(
    item: CalendarItem, method: Method, sequence: int, stamp: datetime, who: _Who = (None, None)
) -> list[Event]:
    if item.instances_only:  # an attendee of single instances gets (or loses) just those
        return [_override(item, o, method, sequence, stamp, who) for o in item.overrides]
    events = [_master(item, method, sequence, stamp, who)]
    if method != "CANCEL":  # cancelling the master (no RECURRENCE-ID) cancels every instance
        events += [_override(item, o, method, sequence, stamp, who) for o in item.overrides]
    return events


def _calendar(method: Method) -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    return calendar


# --------------------------------------------------------------------------- public


def render(
    item: CalendarItem,
    method: Method,
    sequence: int,
    now: datetime | None = None,
    recipient: str | None = None,
    organizer: Mailbox | None = None,
) -> bytes:
    """One iTIP message for one item: METHOD, the VTIMEZONE, the master VEVENT and its overrides.

    With `recipient`, the item as that person's calendar holds it (`items.view_for`): without
    the instances they do not come to, or only the instances they do.

    `organizer`: the mailbox the message is sent from, which then is the ORGANIZER (iMIP; see the
    module docstring); the meeting's caller is an ATTENDEE with ROLE=CHAIR either way.

    REQUEST: ATTENDEE lines with ROLE, PARTSTAT=NEEDS-ACTION and RSVP=FALSE. CANCEL: the master
    with STATUS:CANCELLED and the (raised) `sequence`; overrides are not repeated. A CANCEL of an
    item whose `reason` is "removed" uninvites `recipient` only: no STATUS, only their ATTENDEE
    line, and a DESCRIPTION that says they no longer attend a meeting that still takes place. PUBLISH: no
    ATTENDEE lines. `now` fixes DTSTAMP (UTC) for reproducible output.
    """
    if method not in METHODS:
        raise ValueError(f"unknown iTIP method '{method}'")
    if recipient is not None:
        view = view_for(item, recipient)
        if view is None:
            raise ValueError(f"{recipient} has no part in {item.uid}")
        item = view
    if method == "CANCEL":
        item = _withdrawal(item, recipient)
    DEFAULT_GUARD.check_item(item)
    calendar = _calendar(method)
    calendar.add_component(build_vtimezone())
    for event in _events(item, method, sequence, _stamp(now), (organizer, recipient)):
        calendar.add_component(event)
    return calendar.to_ical()


def render_feed(
    items: Iterable[CalendarItem],
    name: str,
    now: datetime | None = None,
    sequences: Mapping[str, int] | None = None,
    guard: PrivacyGuard = DEFAULT_GUARD,
) -> bytes:
    """One METHOD:PUBLISH calendar named `name` with every item, for subscription feeds and files.

    `sequences` (uid -> SEQUENCE, e.g. from a sync ledger) defaults to 0 for every item. All
    items and the name pass `guard` (give the config's, `PrivacyGuard.for_config`, so its
    confidential texts are checked too) before the calendar is built.
    """
    ordered = sorted(items, key=lambda i: (i.start, i.uid))
    guard.check_items(ordered)
    guard.check_text("", "X-WR-CALNAME", name)
    stamp = _stamp(now)
    calendar = _calendar("PUBLISH")
    calendar.add("X-WR-CALNAME", name)
    calendar.add("X-WR-TIMEZONE", TZID)
    calendar.add_component(build_vtimezone())
    for item in ordered:
        for event in _events(item, "PUBLISH", (sequences or {}).get(item.uid, 0), stamp):
            calendar.add_component(event)
    return calendar.to_ical()
