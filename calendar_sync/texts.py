"""What an invite says about a meeting: its wall time, its place and who comes, in Danish.

Shared by the calendar items (`calendar_sync.items`) and so by every back-end, so a feed file,
an e-mail invite and a CalDAV event describe a meeting in the same words.
"""

from __future__ import annotations

from datetime import date, datetime

from scheduler.danish import join_da, long_date_da, part_da, plural_da
from scheduler.model import Attendee, Meeting, Person, Site
from scheduler.term_dates import TZ


def local(moment: datetime, uid: str) -> datetime:
    """The meeting's wall time in Copenhagen; a plan read back from JSON has fixed offsets."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"meeting {uid}: {moment.isoformat()} has no time zone")
    return moment.astimezone(TZ)


def location(site: Site, room: str | None = None) -> str:
    """'Mødelokale 2, Ballerup Rådhus, Hold-An Vej 7, 2750 Ballerup': the booked room first when
    the site names its rooms (counted rooms, 'Lokale 1' of `rooms: 3`, are no place anyone finds)."""
    named = {r.id: r.name for r in site.rooms if r.name} if isinstance(site.rooms, list) else {}
    parts = [named[room]] if room in named else []
    parts.append(site.name)
    if site.address:
        parts.append(site.address)
    return ", ".join(parts)


GUEST = "gæst"
"""How an invite marks someone from outside the staff list ('familien (gæst)')."""


def guest_label(name: str) -> str:
    """'familien (gæst)': a guest is shown by the label the booking gave (never a child's name:
    `scheduler.model.Guest` holds a label only, and the privacy guard checks it)."""
    return f"{' '.join(name.split())} ({GUEST})"


def people_of(meeting: Meeting, people: dict[str, Person]) -> list[tuple[Attendee, Person]]:
    """Each person once, in plan order; a person in two seats counts as required if either is."""
    chosen: dict[str, Attendee] = {}
    for attendee in meeting.attendees:
        if attendee.person not in people:
            raise ValueError(f"meeting {meeting.uid}: unknown person '{attendee.person}'")
        held = chosen.get(attendee.person)
        if held is None or (attendee.required and not held.required):
            chosen[attendee.person] = attendee
    return [(attendee, people[pid]) for pid, attendee in chosen.items()]


def description(
    meeting: Meeting, people: dict[str, Person], role_labels: dict[str, str], convener: Person | None = None
) -> str:
    """Who comes and in which role, in Danish: names and role labels only, and guests by their
    label ('familien (gæst)'), nothing else. A partial
    seat says which part (kl. 14:15-15:00, de sidste 45 minutter); a convener other than the
    chair is named as the one who calls the meeting."""
    lines: list[str] = []
    chairs = {a.person for a in meeting.attendees if a.seat == "chair"}
    if convener is not None and convener.id not in chairs:
        lines.append(f"Indkaldt af: {convener.name}")
    for seat, label in (("chair", "Mødeleder"), ("minute_taker", "Referent")):
        names = [people[a.person].name for a in meeting.attendees if a.seat == seat]
        if names:
            lines.append(f"{label}: {', '.join(dict.fromkeys(names))}")
    if lines:
        lines.append("")
    lines.append("Deltagere:")
    for attendee, person in people_of(meeting, people):
        role = role_labels.get(attendee.role, attendee.role)
        optional = "" if attendee.required else " (valgfri)"
        lines.append(f"- {person.name}, {role}{optional}{_part(meeting, attendee)}")
    lines += [f"- {guest_label(guest.name)}" for guest in meeting.guests]
    return "\n".join(lines)


def _part(meeting: Meeting, attendee: Attendee) -> str:
    """' (deltager kl. 14:15-15:00, de sidste 45 minutter)' for a partial seat, '' otherwise."""
    if attendee.joins_after_minutes is None and attendee.leaves_after_minutes is None:
        return ""
    joins, leaves = meeting.span_of(attendee)
    return f" (deltager {part_da(meeting.start, meeting.end, joins, leaves)})"


def no_longer_attending(title: str, days: list[date]) -> str:
    """'Du deltager ikke længere i Netværksmøde tirsdag 9. marts 2027.': a person taken off a
    meeting that still takes place is told exactly that, never that it is cancelled."""
    title = " ".join(title.split())
    if len(days) > 3:
        count = plural_da(len(days), "møde", "møder")
        when = f"({count} fra {long_date_da(days[0])} til {long_date_da(days[-1])})"
    else:
        when = join_da([long_date_da(day) for day in days])
    return f"Du deltager ikke længere i {title} {when}. Mødet holdes som planlagt uden dig.".replace(
        "  ", " "
    )


STILL_HELD = "Mødet holdes stadig; det kommer nu i en anden invitation, som du får for sig."
"""Why an item is withdrawn when its meetings reach the person in another item instead."""
