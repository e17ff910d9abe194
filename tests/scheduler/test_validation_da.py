"""Errors a user reads are Danish (English on English pages), name the field as it was written,
and never show pydantic's words, its documentation link, an internal id or a meeting's uid."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, Field, ValidationError

from scheduler.config import ConfigError, config_from_data
from scheduler.explain import why_meeting
from scheduler.model import Absence, MunicipalityConfig, TimeRange
from scheduler.validation_da import messages_da
from scheduler.verify import verify_plan
from tests.builders import (
    EXAMPLE,
    council,
    council_meeting,
    hand_plan,
    person,
    small_config,
    small_config_data,
)
from tests.builders import term as efteraar

PYDANTIC_WORDS = ("pydantic", "errors.pydantic.dev", "Input should", "Field required", "Value error")


@pytest.fixture
def raw() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))


def problems_of(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config_from_data(raw)
    return caught.value.problems


def _index(items: list[dict[str, Any]], ident: str) -> int:
    return next(i for i, item in enumerate(items) if item["id"] == ident)


# One case per pydantic error type the config meets: the change, the line it must give.
CASES: list[tuple[str, Any, str]] = [
    (
        "missing",
        lambda raw: raw["staff"][0].pop("name"),
        "staff[0].name (personen 'psykolog-a'): mangler (feltet skal udfyldes)",
    ),
    (
        "extra_forbidden",
        lambda raw: raw["series"][0].update(colour="rød"),
        "series[0].colour (serien 'kk-skole-baltorp'): ukendt felt (tjek stavemåden)",
    ),
    (
        "string_type",
        lambda raw: raw["districts"][0].update(name=["Baltorp"]),
        "districts[0].name (distriktet 'baltorp'): skal være en tekst",
    ),
    (
        "int_parsing",
        lambda raw: raw["series"][0].update(duration_minutes="to timer"),
        "series[0].duration_minutes (serien 'kk-skole-baltorp'): skal være et helt tal",
    ),
    (
        "date_parsing",
        lambda raw: raw["terms"][0].update(start="forår"),
        "terms[0].start (terminen 'foraar-2027'): skal være en dato som 2027-03-08 (for kort)",
    ),
    (
        "enum",
        lambda raw: raw["series"][0]["cadence"].update(kind="weeklyy")
        if isinstance(raw["series"][0]["cadence"], dict)
        else raw["series"][0].update(cadence={"kind": "weeklyy"}),
        "series[0].cadence.kind (serien 'kk-skole-baltorp'): ukendt værdi 'weeklyy'; mulige værdier: "
        "'daily', 'weekly', 'fortnightly', 'every_n_weeks', 'monthly', 'per_term'",
    ),
    (
        "literal_error",
        lambda raw: raw.update(language="fr"),
        "language: ukendt værdi 'fr'; mulige værdier: 'da', 'en'",
    ),
    (
        "greater_than",
        lambda raw: raw["staff"][0].update(weekly_hours=0),
        "staff[0].weekly_hours (personen 'psykolog-a'): skal være større end 0",
    ),
    (
        "less_than_equal",
        lambda raw: raw["series"][0].update(duration_minutes=600),
        "series[0].duration_minutes (serien 'kk-skole-baltorp'): må højst være 480",
    ),
    (
        "too_short",
        lambda raw: raw["staff"][0].update(roles=[]),
        "staff[0].roles (personen 'psykolog-a'): skal have mindst 1 element",
    ),
    (
        "value_error",
        lambda raw: raw["staff"][0].update(absences=[{"start": "2027-03-05", "end": "2027-03-01"}]),
        "staff[0].absences[0] (personen 'psykolog-a'): fraværet slutter (2027-03-01) før det begynder "
        "(2027-03-05)",
    ),
    (
        "a union: int or list",
        lambda raw: raw["sites"][0].update(rooms="mange"),
        "sites[0].rooms (mødestedet 'rugvaenget'): skal være et helt tal eller skal være en liste",
    ),
    (
        "a dictionary key",
        lambda raw: raw["staff"][0].update(working_hours={"monday": "08:00-16:00"}),
        "staff[0].working_hours.monday (nøglen, personen 'psykolog-a'): ukendt værdi 'monday'; mulige "
        "værdier: 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'",
    ),
]


@pytest.mark.parametrize(("kind", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_error_type_is_danish_with_the_path_and_the_item_id(
    raw: dict[str, Any], kind: str, change: Any, expected: str
) -> None:
    change(raw)
    found = problems_of(raw)
    assert found == [expected]
    assert not any(word in found[0] for word in PYDANTIC_WORDS)


def test_the_same_errors_in_english_for_english_pages() -> None:
    data = {"start": "2027-03-05", "end": "x", "colour": 1}
    with pytest.raises(ValidationError) as caught:
        Absence.model_validate(data)
    assert messages_da(caught.value, "en", data=data) == [
        "end: must be a date like 2027-03-08 (too short)",
        "colour: unknown field (check the spelling)",
    ]
    assert messages_da(caught.value, data=data) == [
        "end: skal være en dato som 2027-03-08 (for kort)",
        "colour: ukendt felt (tjek stavemåden)",
    ]


class _Form(BaseModel):
    """A model like the API's request bodies: numbers, a list, a nested list item with an id."""

    count: int = Field(ge=1)
    ratio: float = Field(gt=0.5)
    participants: list[dict[str, int]] = Field(max_length=3)


def test_numbers_are_danish_and_a_list_item_is_named_by_its_place() -> None:
    data = {"count": 0, "ratio": 0.25, "participants": [{"a": "x"}, {"b": 2}]}
    with pytest.raises(ValidationError) as caught:
        _Form.model_validate(data)
    assert messages_da(caught.value, data=data) == [
        "count: skal være mindst 1",
        "ratio: skal være større end 0,5",
        "participants[0].a: skal være et helt tal",
    ]


def test_an_unknown_error_type_is_said_plainly_not_in_pydantic_s_words() -> None:
    error = {"type": "recursion_loop", "loc": ("a",), "msg": "Recursion error - cyclic reference detected"}
    assert messages_da([error]) == ["a: ugyldig værdi"]


# --------------------------------------------------------------------------- cross-checks


def test_a_dangling_reference_names_the_field_and_the_series_id(raw: dict[str, Any]) -> None:
    i = _index(raw["series"], "kk-skole-baltorp")
    raw["series"][i]["unit"] = "baltorpskolen-x"
    assert problems_of(raw) == [
        f"series[{i}].unit (serien 'kk-skole-baltorp'): ukendt enhed 'baltorpskolen-x' "
        "(mente du 'baltorpskolen'?)"
    ]


def test_no_problem_of_a_broken_config_is_english(raw: dict[str, Any]) -> None:
    """Several shapes at once: every line is Danish (no English word of the old messages)."""
    raw["staff"][0]["roles"] = ["psykolg"]
    raw["series"][0]["chair"] = {"person": "nobody"}
    raw["terms"][0]["school_holidays"].append({"name": "Ekstra", "start": "2030-01-01", "end": "2030-01-02"})
    found = problems_of(raw)
    assert len(found) == 3, found
    english = (" unknown ", "did you mean", " lies outside", " the term", " is not ", " must ")
    for line in found:
        assert not any(word in f" {line} " for word in english), line


# --------------------------------------------------------------------------- CLI


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("municipality: X\n  staff: []\n", "ikke gyldig YAML i linje 2, kolonne 8"),
        ("municipality: [X\n", "ikke gyldig YAML i linje 2"),
        ("municipality: 7\ncolour: rød\n", "colour: ukendt felt (tjek stavemåden)"),
        ("- a\n- b\n", "(øverst): konfigurationen skal være et afsnit"),
    ],
    ids=["bad-yaml", "unclosed", "unknown-key", "not-a-mapping"],
)
def test_cli_validate_exits_2_with_a_danish_message(tmp_path: Path, text: str, expected: str) -> None:
    from typer.testing import CliRunner

    import api.cli

    path = tmp_path / "k.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(api.cli.app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.output and not any(w in result.stderr for w in PYDANTIC_WORDS)


def test_cli_validate_names_a_wrong_type_and_a_dangling_reference(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import api.cli

    data = small_config_data(series=[{**council(), "duration_minutes": "lang"}])
    data["staff"][0]["serves"] = {"units": ["nordskolen-x"]}
    path = tmp_path / "k.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(api.cli.app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "series[0].duration_minutes (serien 'raad'): skal være et helt tal" in result.stderr
    data["series"][0]["duration_minutes"] = 120
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(api.cli.app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "staff[0].serves.units[0] (personen 'leder'): ukendt enhed 'nordskolen-x'" in result.stderr


# --------------------------------------------------------------------------- why here?


def _why_config() -> MunicipalityConfig:
    """The council may meet Tuesday or Wednesday; its SSP-konsulent does not work on Wednesdays."""
    return small_config(
        series=[council(weekdays=["tue", "wed"], window="13:00-15:00")],
        staff=[
            person("leder", name="Skoleleder Nord"),
            person("ssp", name="SSP-konsulent Vest", working_hours={"tue": "08:00-16:00"}),
        ],
        terms=[efteraar(end="2027-09-10")],
    )


def test_why_here_names_people_and_dates_never_ids_or_uids() -> None:
    cfg = _why_config()
    meeting = council_meeting()
    plan = hand_plan("efteraar", meeting)
    assert verify_plan(cfg, plan) == []
    lines = why_meeting(cfg, plan, meeting.uid)
    text = "\n".join(lines)
    assert "SSP-konsulent Vest arbejder ikke om onsdagen" in text, lines
    assert "«Tilgængelighed»" in text
    for internal in (meeting.uid, "'ssp'", "'leder'", "weds", " wed", "does not"):
        assert internal not in text, (internal, lines)


def test_the_verifier_s_messages_name_meetings_by_title_and_time_never_by_uid() -> None:
    """A council moved to Wednesday (SSP-konsulent Vest does not work then), twice in one period,
    and off its window: each violation keeps the uids for programs, and says it in words."""
    cfg = _why_config()
    first = council_meeting()
    wednesday = first.model_copy(
        update={
            "uid": "raad.efteraar.0b@moedeplan",
            "start": first.start + timedelta(days=1, minutes=30),
            "end": first.end + timedelta(days=1, minutes=30),
        }
    )
    found = verify_plan(cfg, hand_plan("efteraar", first, wednesday))
    assert {v.rule for v in found} >= {"availability", "time_window"}, found
    assert any(first.uid in v.meetings for v in found)
    for v in found:
        assert "@moedeplan" not in v.message and "'ssp'" not in v.message, v.message
    assert any("SSP-konsulent Vest arbejder ikke om onsdagen" in v.message for v in found)
    assert any("«raad» onsdag 8/9 kl. 13:30-15:30" in v.message for v in found)


@pytest.mark.parametrize(
    ("model", "data", "danish", "english"),
    [
        (
            Absence,
            {"start": "2027-03-05", "end": "2027-03-01"},
            "fraværet slutter (2027-03-01) før det begynder (2027-03-05)",
            "the absence ends (2027-03-01) before it starts (2027-03-05)",
        ),
        (
            TimeRange,
            "16:00-08:00",
            "tidsrummet slutter (08:00) før det begynder (16:00)",
            "the span ends (08:00) before it starts (16:00)",
        ),
        (
            TimeRange,
            "25:00-26:00",
            "'25:00' er ikke et klokkeslæt som '13:30'",
            "'25:00' is not a time of day like '13:30'",
        ),
    ],
)
def test_our_own_validators_speak_english_on_english_pages(
    model: type[BaseModel], data: Any, danish: str, english: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    assert messages_da(caught.value) == [f"(øverst): {danish}"]
    assert messages_da(caught.value, "en") == [f"(top): {english}"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("busy: [1\n", "ikke gyldig YAML i linje 2"),
        ("- a\n", "filen skal være et afsnit som 'busy:"),
        ("busy:\n  leder: [{start: 2027-09-07T10:00+02:00}]\n", "busy.leder[0].end: mangler"),
        ("busy:\n  leder: [{start: i morgen, end: x}]\n", "start og end skal være tidspunkter som"),
    ],
    ids=["bad-yaml", "not-a-mapping", "no-end", "not-a-time"],
)
def test_cli_plan_with_a_broken_busy_file_exits_2_in_danish(tmp_path: Path, text: str, expected: str) -> None:
    from typer.testing import CliRunner

    import api.cli

    config = tmp_path / "k.yaml"
    data = small_config_data(series=[council()], staff=[person("leder"), person("ssp")])
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    busy = tmp_path / "busy.yaml"
    busy.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        api.cli.app, ["plan", str(config), "--busy", str(busy), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    assert expected in result.stderr and "Traceback" not in result.output
