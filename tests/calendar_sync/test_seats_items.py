"""Issue 14 in invitations: the convener organises the meeting (attending or not), and a partial
attendee's line says which part; through the ICS back-end and the privacy guard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar

from calendar_sync.ics import person_calendars
from calendar_sync.items import items_from_plan
from calendar_sync.itip import render
from scheduler.config import config_from_data
from scheduler.model import Attendee, MunicipalityConfig, Plan
from scheduler.term_dates import local_datetime
from tests.builders import (
    CHAIR,
    COUNCIL_DAY,
    SSP_LAST_45,
    council,
    council_meeting,
    hand_plan,
    person,
    small_config_data,
)
from tests.builders import term as efteraar

NOW = datetime(2027, 9, 1, 8, 0, tzinfo=UTC)


def config(**council_keys: Any) -> MunicipalityConfig:
    staff = [
        person(pid, email=f"{pid}@ballerup.example") for pid in ("leder", "ssp", "socialafsnit", "referent")
    ]
    raad = council(title="Det Kreative Råd", **council_keys)
    return config_from_data(small_config_data(series=[raad], staff=staff, terms=[efteraar()]))


def plan(*extra: Attendee) -> Plan:
    return hand_plan("efteraar", council_meeting(13 * 60 + 30, CHAIR, SSP_LAST_45, *extra))


def event_of(ics: bytes) -> Any:
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    return event


def test_partial_attendee_line_says_which_part() -> None:
    feeds = person_calendars(config(), plan(), now=NOW)
    description = str(event_of(feeds["ssp"])["DESCRIPTION"])
    assert (
        "- Ssp, Pædagogisk leder (deltager kl. 14:45-15:30, de sidste 45 minutter)"
        in description.splitlines()
    )
    assert "- Leder, Pædagogisk leder" in description.splitlines()  # the chair is there all along
    # the invitation times are the meeting's: the room and the others are booked for all of it
    assert event_of(feeds["ssp"]).decoded("DTSTART") == local_datetime(COUNCIL_DAY, 13 * 60 + 30)


def test_without_convener_the_chair_organises() -> None:
    [item] = items_from_plan(config(), plan())
    assert item.organizer is not None and item.organizer.person == "leder"
    assert "Indkaldt af" not in item.description


def test_convener_who_does_not_attend_organises() -> None:
    cfg = config(convener="socialafsnit")
    [item] = items_from_plan(cfg, plan())
    assert item.organizer is not None and item.organizer.person == "socialafsnit"
    assert [a.person for a in item.attendees] == ["leder", "ssp"]  # the chair is now an attendee
    assert item.description.splitlines()[0] == "Indkaldt af: Socialafsnit"
    invite = event_of(render(item, "REQUEST", 0, now=NOW))
    assert str(invite["ORGANIZER"]) == "mailto:socialafsnit@ballerup.example"
    roles = {str(a): a.params["ROLE"] for a in invite["ATTENDEE"]}
    assert roles == {  # the convener gets the invitation too, for information: they have no seat
        "mailto:socialafsnit@ballerup.example": "NON-PARTICIPANT",
        "mailto:leder@ballerup.example": "REQ-PARTICIPANT",
        "mailto:ssp@ballerup.example": "REQ-PARTICIPANT",
    }
    # the convener's calendar holds the meeting they organise (through the guard, as every feed)
    assert "raad.efteraar.0@moedeplan" in person_calendars(cfg, plan(), now=NOW)["socialafsnit"].decode()


def test_convener_with_a_seat_is_one_attendee() -> None:
    cfg = config(convener="referent", minute_taker="referent")
    seated = Attendee(person="referent", role="paedagogisk_leder", required=True, seat="minute_taker")
    [item] = items_from_plan(cfg, plan(seated))
    assert item.organizer is not None and item.organizer.person == "referent"
    assert [a.person for a in item.attendees] == ["leder", "ssp"]
    assert item.description.splitlines().count("- Referent, Pædagogisk leder") == 1
