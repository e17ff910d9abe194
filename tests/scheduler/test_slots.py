"""The slot finder and booking on small hand-made cases whose best time is known."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from api.cli import app
from scheduler.config import config_from_data
from scheduler.model import Attendee, Meeting, MunicipalityConfig, Plan
from scheduler.slots import BookingError, RequestError, book, find_slots, format_slots_da, parse_request
from scheduler.term_dates import TZ
from scheduler.verify import verify_plan
from tests.builders import hand_plan

MONDAY = date(2027, 3, 1)


def cfg(**changes: Any) -> MunicipalityConfig:
    data: dict[str, Any] = {
        "municipality": "Testkommune",
        "districts": [{"id": "nord", "name": "Nord"}],
        "sites": [
            {"id": "raadhus", "name": "Rådhuset", "rooms": [{"id": "familierum", "capacity": 4}]},
            {"id": "skolen", "name": "Nordskolen", "rooms": 2},
        ],
        "travel": {"default_minutes": 20},
        "units": [{"id": "social", "name": "Socialafsnittet", "kind": "socialafsnit", "sites": ["raadhus"]}],
        "staff": [
            {"id": "raadgiver", "name": "Socialrådgiver A", "roles": ["socialraadgiver"]},
            {
                "id": "psykolog",
                "name": "Psykolog A",
                "roles": ["psykolog"],
                "working_hours": {"mon": "09:00-12:00", "wed": "09:00-12:00"},
            },
            {"id": "laerer", "name": "Lærer A", "roles": ["laerer"], "working_hours": {"mon": "08:00-10:00"}},
        ],
        "extra_roles": {"socialraadgiver": "Socialrådgiver", "laerer": "Lærer"},
        "terms": [
            {
                "id": "foraar",
                "name": "Forår",
                "start": "2027-01-04",
                "end": "2027-06-25",
                "school_holidays": [{"name": "Påskeferie", "start": "2027-03-22", "end": "2027-03-29"}],
            },
            {"id": "efteraar", "name": "Efterår", "start": "2027-08-09", "end": "2027-12-22"},
        ],
        "series": [
            {"id": "andet", "type": "andet", "unit": "social", "cadence": "weekly", "terms": ["efteraar"]}
        ],
    }
    data.update(copy.deepcopy(changes))
    return config_from_data(data)


def plan(*meetings: Meeting) -> Plan:
    return hand_plan("foraar", *meetings)


def busy(
    person: str, day: date, start: str, end: str, site: str = "skolen", room: str | None = None
) -> Meeting:
    return Meeting(
        uid=f"busy-{person}-{day}-{start}@test",
        series="andet",
        occurrence=0,
        title="Andet møde",
        unit="social",
        site=site,
        start=datetime.combine(day, time.fromisoformat(start), TZ),
        end=datetime.combine(day, time.fromisoformat(end), TZ),
        attendees=[Attendee(person=person, role="x", required=True, seat="required_people[0]")],
        room=room,
        one_off=True,
    )


def request(config: MunicipalityConfig, **changes: Any) -> Any:
    raw: dict[str, Any] = {
        "id": "sag-7",
        "participants": [{"person": "raadgiver"}, {"person": "psykolog"}, {"name": "familien"}],
        "duration_minutes": 60,
        "site": "raadhus",
        "earliest": MONDAY.isoformat(),
        "latest": "2027-03-05",
    }
    raw.update(changes)
    return parse_request(raw, config)


def six_weekly_follow_ups(config: MunicipalityConfig, first: str) -> Any:
    """The rådgiver's three follow-ups every 6 weeks, the first on `first` (an ISO date)."""
    return request(
        config,
        kind="opfoelgning",
        participants=[{"person": "raadgiver"}],
        earliest=first,
        latest=first,
        follow_up={"every_weeks": 6, "count": 3},
    )


def starts(result: Any) -> list[datetime]:
    return [s.meetings[0].start.astimezone(TZ).replace(tzinfo=None) for s in result.slots]


def test_the_only_common_free_hour_is_found() -> None:
    config = cfg()
    req = request(config, participants=[{"person": "psykolog"}, {"person": "laerer"}], latest="2027-03-01")
    result = find_slots(config, plan(), req, top=5)
    assert starts(result) == [datetime(2027, 3, 1, 9, 0)]  # psykolog from 9, lærer until 10
    assert result.slots[0].meetings[0].room == "familierum"


def test_planned_meetings_and_travel_time_block_times() -> None:
    config = cfg()
    req = request(config, participants=[{"person": "psykolog"}], latest="2027-03-01")
    result = find_slots(config, plan(busy("psykolog", MONDAY, "09:00", "10:00")), req, top=10)
    # 10:00 would leave no time to come from Nordskolen (20 minutes); 10:30 leaves 30.
    assert starts(result) == [datetime(2027, 3, 1, 10, 30), datetime(2027, 3, 1, 11, 0)]


def test_the_room_must_be_free_and_big_enough() -> None:
    config = cfg()
    req = request(config, participants=[{"person": "psykolog"}], latest="2027-03-01")
    taken = busy("raadgiver", MONDAY, "09:00", "11:00", site="raadhus", room="familierum")
    assert starts(find_slots(config, plan(taken), req, top=10)) == [datetime(2027, 3, 1, 11, 0)]
    crowd = [{"person": "psykolog"}] + [{"name": f"netværk {i}"} for i in range(4)]
    result = find_slots(config, plan(), request(config, participants=crowd), top=3)
    assert result.slots == []
    assert any("plads til 5" in line for line in result.explanation)


def test_ranking_prefers_sooner_and_preferred_weekday() -> None:
    config = cfg()
    soon = find_slots(config, plan(), request(config), top=5)
    assert starts(soon)[0] == datetime(2027, 3, 1, 9, 0)
    wed = find_slots(config, plan(), request(config, preferred_weekdays=["wed"]), top=5)
    assert starts(wed)[0].date() == date(2027, 3, 3)
    assert wed.slots[0].cost <= wed.slots[-1].cost


def test_explains_why_there_is_no_time() -> None:
    staff = cfg().model_dump(mode="json")["staff"]
    staff[1]["absences"] = [{"start": "2027-02-26", "end": "2027-03-10", "reason": "kursus"}]
    config = cfg(staff=staff)
    result = find_slots(config, plan(), request(config), top=5)
    assert result.slots == []
    text = "\n".join(result.explanation)
    assert "Psykolog A kan ikke på noget af de mulige tidspunkter." in text
    assert "Psykolog A er fraværende 26/2-10/3" in text
    assert "kursus" not in text  # the reason stays internal


def test_follow_up_every_six_weeks_avoids_the_school_holiday() -> None:
    config = cfg()
    req = six_weekly_follow_ups(config, "2027-02-08")
    result = find_slots(config, plan(), req, top=1)
    days = [m.start.date() for m in result.slots[0].meetings]
    # 2027-03-22 is in Påskeferie: that meeting moves to the week after, the others keep Monday.
    assert days[0] == date(2027, 2, 8)
    assert days[1] != date(2027, 3, 22) and days[1] >= date(2027, 3, 30)
    assert days[2] == date(2027, 5, 3)
    assert result.slots[0].breakdown.get("regularity") == 1
    new = book(config, plan(), req, result.slots[0])
    assert verify_plan(config, new) == []
    assert [m.uid for m in new.meetings] == [f"opfoelgning-sag-7.{i}@moedeplan" for i in range(3)]


def test_booking_adds_a_verified_one_off_meeting_once() -> None:
    config = cfg()
    req = request(config)
    before = plan(busy("laerer", MONDAY, "08:00", "09:00"))
    result = find_slots(config, before, req, top=3)
    after = book(config, before, req, result.slots[0])
    assert verify_plan(config, after) == []
    added = [m for m in after.meetings if m.series == "familiemoede-sag-7"]
    assert len(added) == 1 and added[0].one_off and added[0].title == "Familiemøde"
    assert added[0].room == "familierum" and [g.name for g in added[0].guests] == ["familien"]
    assert {a.person for a in added[0].attendees} == {"raadgiver", "psykolog"}
    with pytest.raises(BookingError, match="allerede booket"):
        book(config, after, req, result.slots[0])
    again = find_slots(config, after, request(config, id="sag-8"), top=3)
    assert starts(again)[0] != starts(result)[0]  # the booked hour is taken now


def test_booking_a_clashing_slot_is_refused_by_the_verifier() -> None:
    config = cfg()
    req = request(config)
    slot = find_slots(config, plan(), req, top=1).slots[0]
    first = slot.meetings[0]
    clash = busy("psykolog", MONDAY, "09:00", "10:00", site="raadhus", room="familierum")
    assert first.start.astimezone(TZ).hour == 9
    with pytest.raises(BookingError):
        book(config, plan(clash), req, slot)


def test_request_errors_name_the_field() -> None:
    config = cfg()
    with pytest.raises(RequestError) as err:
        request(config, participants=[{"person": "psykolg"}])
    assert err.value.problems == ["participants[0].person: ukendt person 'psykolg' (mente du 'psykolog'?)"]
    with pytest.raises(RequestError) as err:
        request(config, latest="2027-02-01")
    assert "latest" in err.value.problems[0]
    with pytest.raises(RequestError) as err:
        request(config, participants=[{"person": "psykolog"}, {"name": "barn 010203-1234"}])
    assert err.value.problems[0].startswith("participants[1].name: ") and "CPR" in err.value.problems[0]


@pytest.mark.parametrize("request_id", ["010190-1234", "sag-0101901234", "sag-01.01.90-1234", "0101901234"])
def test_a_request_id_with_a_cpr_number_is_refused(request_id: str) -> None:
    """The id becomes the invitations' UIDs (familiemoede-<id>.0@moedeplan)."""
    with pytest.raises(RequestError) as err:
        request(cfg(), id=request_id)
    (problem,) = err.value.problems
    assert problem.startswith("id: teksten ligner et CPR-nummer")
    assert request_id not in problem and "1234" not in problem
    assert request(cfg(), id="sag-2027-0312345").id == "sag-2027-0312345"  # a case number passes


@pytest.mark.parametrize(
    ("participant", "field"),
    [
        ({"name": "barn 01.01.90-1234"}, "name"),
        ({"name": "familien (010190\u00a01234)"}, "name"),
        ({"name": "familien 010190\u200b1234"}, "name"),
        ({"name": "barnet 01 01 90 1234"}, "name"),
        ({"name": "familien", "email": "0101901234@example.org"}, "email"),
        ({"name": "familien", "email": "Familien <familie@example.org>, evil@example.org"}, "email"),
        ({"name": "familien", "email": "familie@example.org, far@example.org"}, "email"),
    ],
)
def test_a_guest_label_or_address_is_checked_at_the_edge(participant: dict[str, str], field: str) -> None:
    people = [{"person": "raadgiver"}, {"person": "psykolog"}, participant]
    with pytest.raises(RequestError) as err:
        request(cfg(), participants=people)
    (problem,) = err.value.problems
    assert problem.startswith(f"participants[2].{field}: ")
    assert "010190" not in problem and "01 01 90" not in problem and "01.01.90" not in problem
    guest = request(cfg(), participants=[*people[:2], {"name": "familien", "email": "familie@example.org"}])
    assert guest.participants[2].email == "familie@example.org"


# --------------------------------------------------------------------------- command line


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    config = cfg()
    paths = {
        "config": tmp_path / "config.yaml",
        "plan": tmp_path / "plan.json",
        "request": tmp_path / "req.yaml",
    }
    paths["config"].write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_defaults=True)), "utf-8")
    paths["plan"].write_text(plan().model_dump_json(), "utf-8")
    paths["request"].write_text(
        yaml.safe_dump(
            {
                "id": "sag-9",
                "participants": [{"person": "psykolog"}, {"name": "familien"}],
                "site": "raadhus",
                "earliest": "2027-03-01",
                "latest": "2027-03-05",
            }
        ),
        "utf-8",
    )
    return paths


def test_cli_find_slots_and_book(files: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    args = [str(files["config"]), str(files["plan"]), str(files["request"])]
    shown = runner.invoke(app, ["find-slots", *args, "--top", "3"])
    assert shown.exit_code == 0, shown.output
    assert "1. mandag 1/3 2027 kl. 09:00-10:00" in shown.output
    as_json = runner.invoke(app, ["find-slots", *args, "--json"])
    assert json.loads(as_json.output)["slots"][0]["rank"] == 1
    out = tmp_path / "new.json"
    booked = runner.invoke(app, ["book", *args, "--slot", "2", "--out", str(out)])
    assert booked.exit_code == 0, booked.output
    new = Plan.model_validate_json(out.read_bytes())
    assert [m.start.astimezone(TZ).time() for m in new.meetings] == [time(9, 30)]  # the 2nd offer
    checked = runner.invoke(app, ["verify", str(files["config"]), str(out)])
    assert checked.exit_code == 0, checked.output


def test_cli_bad_request_exits_2_naming_the_field(files: dict[str, Path]) -> None:
    files["request"].write_text(
        yaml.safe_dump({"id": "sag-9", "participants": [{"person": "psykolg"}], "site": "raadhus"}), "utf-8"
    )
    result = CliRunner().invoke(
        app, ["find-slots", str(files["config"]), str(files["plan"]), str(files["request"])]
    )
    assert result.exit_code == 2
    assert "earliest: mangler (feltet skal udfyldes)" in result.output
    assert "Traceback" not in result.output


def test_cli_no_slot_exits_3_with_the_reason(files: dict[str, Path]) -> None:
    files["request"].write_text(
        yaml.safe_dump(
            {
                "id": "sag-9",
                "participants": [{"person": "psykolog"}],
                "site": "raadhus",
                "earliest": "2027-03-02",
                "latest": "2027-03-02",
            }
        ),
        "utf-8",
    )
    result = CliRunner().invoke(
        app, ["find-slots", str(files["config"]), str(files["plan"]), str(files["request"])]
    )
    assert result.exit_code == 3
    assert "Psykolog A arbejder ikke om tirsdagen" in result.output


def test_a_partial_attendee_is_busy_for_their_part_only() -> None:
    # Issue 14: the psychologist joins only the last 30 minutes (10:30-11:00) of a meeting at
    # Nordskolen 09:00-11:00, so 09:00-10:00 at the town hall leaves 30 minutes to get there.
    config = cfg()
    req = request(config, participants=[{"person": "psykolog"}], latest="2027-03-01")
    meeting = busy("psykolog", MONDAY, "09:00", "11:00")
    whole = find_slots(config, plan(meeting), req, top=10)
    assert starts(whole) == []  # until 11:00 there, then 20 minutes: no hour left before 12:00
    part = meeting.attendees[0].model_copy(update={"joins_after_minutes": 90, "leaves_after_minutes": 120})
    partial = meeting.model_copy(update={"attendees": [part]})
    assert starts(find_slots(config, plan(partial), req, top=10)) == [datetime(2027, 3, 1, 9, 0)]


# --------------------------------------------------------------------------- holidays are said


def test_a_follow_up_moved_out_of_a_school_holiday_says_so() -> None:
    config = cfg()
    req = six_weekly_follow_ups(config, "2027-02-08")
    meetings = find_slots(config, plan(), req, top=1).slots[0].meetings
    assert meetings[0].notes_da == [] and meetings[2].notes_da == []
    (note,) = meetings[1].notes_da
    assert note.startswith(
        "mandag 22/3 2027 er lukket (Påskeferie); mødet er flyttet til tirsdag 30/3 2027 kl."
    )


def test_a_follow_up_waits_out_the_summer_between_two_terms_and_says_so() -> None:
    config = cfg()
    req = six_weekly_follow_ups(config, "2027-06-07")
    result = find_slots(config, plan(), req, top=1)
    meetings = result.slots[0].meetings
    days = [m.start.astimezone(TZ).date() for m in meetings]
    # 19/7 lies in the summer holiday (after Forår, before Efterår): the first open week is 9/8
    assert days == [date(2027, 6, 7), date(2027, 8, 9), date(2027, 8, 30)]
    assert meetings[1].notes_da == [
        "mandag 19/7 2027 er lukket (skoleferie mellem Forår og Efterår); mødet er flyttet til "
        "mandag 9/8 2027 kl. 08:00"
    ]
    shown = format_slots_da(config, req, result)  # what `moedeplan find-slots` prints
    assert "       ! mandag 19/7 2027 er lukket (skoleferie mellem Forår og Efterår)" in shown


def test_a_time_in_a_holiday_is_said_when_the_request_does_not_keep_school_holidays() -> None:
    config = cfg()
    asked = request(
        config, participants=[{"person": "raadgiver"}], earliest="2027-03-23", latest="2027-03-26"
    )
    kept = find_slots(config, plan(), asked, top=1)
    assert kept.slots == []
    assert kept.explanation[1] == (
        "Alle dage i perioden er lukket (Langfredag, Påskeferie og Skærtorsdag); vælg datoer uden for "
        "ferien, eller sig i forespørgslen, at mødet ikke holder ferien (observes)."
    ), kept.explanation
    open_in_holiday = request(
        config,
        participants=[{"person": "raadgiver"}],
        earliest="2027-03-23",
        latest="2027-03-23",
        observes=["helligdage"],
    )
    first = find_slots(config, plan(), open_in_holiday, top=1).slots[0].meetings[0]
    assert first.notes_da == ["tirsdag 23/3 2027 ligger i Påskeferie; forespørgslen holder ikke skoleferie"]


def test_a_follow_up_beyond_the_last_term_says_its_holidays_are_not_known() -> None:
    config = cfg()
    req = request(
        config,
        kind="opfoelgning",
        participants=[{"person": "raadgiver"}],
        earliest="2027-12-06",
        latest="2027-12-06",
        follow_up={"every_weeks": 6, "count": 2},
    )
    later = find_slots(config, plan(), req, top=1).slots[0].meetings[1]
    assert later.start.astimezone(TZ).date() == date(2028, 1, 17)
    assert later.notes_da == [
        "mandag 17/1 2028 ligger efter den sidste termin, Efterår, der slutter 22/12 2027; skoleferierne så "
        "langt ude kendes ikke, så tjek datoen"
    ]
