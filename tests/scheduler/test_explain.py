"""Why there is no plan: the explanation names the rules and the people that clash, in Danish.

The README's example: Psykolog A works only Tuesday and Thursday and is the only psykolog
serving three schools whose conferences are fixed to Wednesdays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import api.cli
from scheduler.config import ConfigError, config_from_data
from scheduler.explain import explain_infeasibility, why_meeting
from scheduler.model import PlanStatus
from scheduler.solve import SolveOptions, solve
from scheduler.verify import verify_plan
from tests.builders import council, council_meeting, hand_plan, person, small_config
from tests.builders import term as efteraar

OPTIONS = SolveOptions(time_limit=5, workers=2)
SCHOOLS = ["nordskolen", "vestskolen", "oestskolen"]


def district_data() -> dict[str, Any]:
    return {
        "municipality": "Testkommune",
        "districts": [{"id": "nord", "name": "Nord"}, {"id": "syd", "name": "Syd"}],
        "sites": [{"id": f"{s}-site", "name": s.title()} for s in SCHOOLS],
        "units": [
            {"id": s, "name": s.title(), "kind": "skole", "districts": ["nord"], "sites": [f"{s}-site"]}
            for s in SCHOOLS
        ],
        "staff": [
            {
                "id": f"leder-{s}",
                "name": f"Leder {s.title()}",
                "roles": ["paedagogisk_leder"],
                "serves": {"units": [s]},
            }
            for s in SCHOOLS
        ]
        + [
            {
                "id": "psykolog-a",
                "name": "Psykolog A",
                "roles": ["psykolog"],
                "serves": {"districts": ["nord"]},
                "working_hours": {"tue": "08:00-16:00", "thu": "08:00-16:00"},
            },
            # a psykolog who works every day, but in the other district
            {
                "id": "psykolog-s",
                "name": "Psykolog Syd",
                "roles": ["psykolog"],
                "serves": {"districts": ["syd"]},
            },
        ],
        "terms": [{"id": "t", "name": "Efterår", "start": "2027-09-06", "end": "2027-10-01"}],
        "series": [
            {
                "id": f"kk-{s}",
                "type": "koordineringskonference_skole",
                "unit": s,
                "cadence": "fortnightly",
                "weekdays": ["wed"],
                "window": "12:30-16:00",
                "chair": f"leder-{s}",
                "required_roles": [{"role": "psykolog"}],
            }
            for s in SCHOOLS
        ],
    }


def test_psykolog_on_tuesdays_and_thursdays_for_wednesday_schools() -> None:
    config = config_from_data(district_data())
    plan = solve(config, options=OPTIONS)
    assert plan.status == PlanStatus.INFEASIBLE
    assert plan.meetings == []
    lines = plan.explanation
    assert lines[0] == "Der findes ingen plan, fordi disse krav ikke kan opfyldes på samme tid:"
    text = "\n".join(lines)
    assert "Psykolog A" in text
    assert "onsdag" in text
    assert "tirsdag og torsdag" in text
    # each line names its rule, and a person's line the meetings it is about
    person_lines = [line for line in lines if line.startswith("- Psykolog A arbejder")]
    assert len(person_lines) == 1
    assert person_lines[0].startswith(
        "- Psykolog A arbejder kun tirsdag og torsdag 08:00-16:00 (reglen «Tilgængelighed»; "
        "gælder «Koordineringskonference, skole, "
    )
    # one school is enough to show the clash; its weekday rule and its psykolog seat are named
    weekday_rule = "må kun holdes onsdag (reglen «Faste ugedage»)."
    weekday_lines = [line for line in lines if line.endswith(weekday_rule)]
    assert len(weekday_lines) == 1
    school = weekday_lines[0].removeprefix("- Koordineringskonference, skole, ").split(" må ")[0]
    assert school in {s.title() for s in SCHOOLS}
    seat_line = (
        f"- Koordineringskonference, skole, {school} kræver én psykolog (PPR), og kun Psykolog A "
        f"dækker {school} (reglen «Mødepligt og roller»)."
    )
    assert seat_line in lines
    assert "Psykolog Syd" not in text
    assert len(lines) == 4


def test_the_clash_goes_away_when_the_psykolog_works_wednesdays() -> None:
    data = district_data()
    data["staff"][3]["working_hours"]["wed"] = "08:00-16:00"
    for series in data["series"]:
        series["window"] = "08:00-16:00"  # three two-hour conferences and the trips fit one day
    plan = solve(config_from_data(data), options=OPTIONS)
    assert plan.status == PlanStatus.OPTIMAL
    assert {m.start.strftime("%a") for m in plan.meetings} == {"Wed"}
    assert {a.person for m in plan.meetings for a in m.attendees if a.role == "psykolog"} == {"psykolog-a"}


def test_seat_whose_only_person_is_absent_all_term() -> None:
    data = district_data()
    data["staff"][3]["working_hours"] = {"wed": "08:00-16:00"}
    data["staff"][3]["absences"] = [{"start": "2027-08-30", "end": "2027-10-08", "reason": "orlov"}]
    data["series"] = data["series"][:1]
    config = config_from_data(data)
    plan = solve(config, options=OPTIONS)
    assert plan.status == PlanStatus.INFEASIBLE
    assert plan.explanation == explain_infeasibility(config, time_limit=5)
    assert plan.explanation[0].startswith("Der findes ingen plan")
    person_lines = [line for line in plan.explanation if "Psykolog A" in line and "fraværende" in line]
    assert person_lines == [
        "- Psykolog A er fraværende 30/8-8/10 (reglen «Tilgængelighed»; "
        "gælder «Koordineringskonference, skole, Nordskolen»)."
    ]
    # the internal reason for an absence never leaves in an explanation
    assert "orlov" not in "\n".join(plan.explanation)


def test_named_chair_absent_all_term_is_named() -> None:
    data = district_data()
    data["staff"][0]["absences"] = [{"start": "2027-09-06", "end": "2027-10-01"}]
    data["staff"][3]["working_hours"]["wed"] = "08:00-16:00"
    data["series"] = data["series"][:1]
    plan = solve(config_from_data(data), options=OPTIONS)
    assert plan.status == PlanStatus.INFEASIBLE
    text = "\n".join(plan.explanation)
    assert plan.explanation[0].startswith("Der findes ingen plan")
    assert plan.explanation[1:] == [
        "- Leder Nordskolen er fraværende 6/9-1/10 (reglen «Tilgængelighed»; "
        "gælder «Koordineringskonference, skole, Nordskolen»)."
    ]
    assert "Leder Nordskolen" in text and "fraværende 6/9-1/10" in text


def test_unknown_role_is_a_config_error() -> None:
    data = district_data()
    data["series"][1]["required_roles"] = [{"role": "psykolg"}]
    with pytest.raises(ConfigError) as caught:
        config_from_data(data)
    assert caught.value.problems == [
        "series[1].required_roles[0].role (serien 'kk-vestskolen'): ukendt rolle 'psykolg' "
        "(mente du 'psykolog'?)"
    ]


def test_config_error_never_reaches_the_solver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    data = district_data()
    data["series"][1]["required_roles"] = [{"role": "psykolg"}]
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    def no_solving(*args: object, **kwargs: object) -> None:
        raise AssertionError("the solver was called for an invalid config")

    monkeypatch.setattr(api.cli, "solve", no_solving)
    result = CliRunner().invoke(api.cli.app, ["plan", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "ukendt rolle 'psykolg' (mente du 'psykolog'?)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_why_here_needs_a_partial_attendee_free_for_their_part_only() -> None:
    # Issue 14: ssp works from 14:00 and joins the last 45 minutes (14:15-15:00), so Wednesday
    # 13:00 is as good a time as Tuesday's; counted whole, ssp would rule it out.
    hours = {"tue": "14:00-16:00", "wed": "14:00-16:00"}
    cfg = small_config(
        series=[council(weekdays=["tue", "wed"])],
        staff=[person("leder"), person("ssp", working_hours=hours)],
        terms=[efteraar(end="2027-09-10")],
    )
    meeting = council_meeting()
    plan = hand_plan("efteraar", meeting)
    assert verify_plan(cfg, plan) == []
    lines = why_meeting(cfg, plan, meeting.uid)
    assert any("overholder alle regler (onsdag 8/9 kl. 13:00" in line for line in lines), lines
