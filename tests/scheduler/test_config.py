"""Loading and validating configs: the bundled example, and the exact error line for bad input."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.generate import coupling_people, main, scale_config, to_yaml
from scheduler.config import ConfigError, config_from_data, load_config, parse_config, seat_pool
from scheduler.model import MunicipalityConfig, Seat, SeriesType
from tests.builders import EXAMPLE, TWO_DISTRICTS_FILE


@pytest.fixture(scope="module")
def example() -> MunicipalityConfig:
    return load_config(EXAMPLE)


@pytest.fixture
def raw() -> dict[str, Any]:
    """The example as plain data, to mutate into a bad config."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def index(items: list[dict[str, Any]], item_id: str) -> int:
    return next(i for i, item in enumerate(items) if item["id"] == item_id)


def problems_of(data: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config_from_data(data)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


# --------------------------------------------------------------------------- the example


def test_example_loads(example: MunicipalityConfig) -> None:
    assert example.municipality == "Ballerup Kommune"
    assert [d.id for d in example.districts] == [
        "baltorp",
        "hedegaarden",
        "maaloevhoej",
        "skovlunde",
        "skovvejen",
    ]
    assert example.planning.slot_minutes == 30
    assert example.planning.time_limit_seconds == 60
    assert example.planning.workers == 2
    assert example.planning.seed == 0
    assert [t.id for t in example.terms] == ["foraar-2027", "efteraar-2027"]


def test_example_staff_by_role(example: MunicipalityConfig) -> None:
    roles = Counter(role for person in example.staff for role in person.roles)
    assert roles["psykolog"] == 14
    assert roles["tale_hoerelaerer"] == 7
    assert roles["motorikkonsulent"] == 3
    assert roles["paedagogisk_vejleder"] == 3
    assert roles["ressourcepaedagog"] == 3
    assert roles["sundhedsplejerske"] == 5
    assert roles["forebyggende_socialraadgiver"] == 5
    assert roles["familieteam_raadgiver"] == 4
    assert roles["ssp_konsulent"] == 2
    assert roles["ungeraadgiver"] == 2
    assert roles["uu_vejleder"] == 2
    assert roles["leder_socialafsnit"] == 1
    assert roles["leder_ppr"] == 1
    # Per district: school and day-care distriktsleder, plus four club leaders.
    assert roles["distriktsleder"] == 5 + 5 + 4
    assert roles["paedagogisk_leder"] == 10
    assert roles["referent"] == 5
    assert all(p.email and p.email.endswith("@ballerup.example") for p in example.staff)


def test_example_series_by_type(example: MunicipalityConfig) -> None:
    types = Counter(s.type for s in example.series)
    assert types == {
        SeriesType.koordineringskonference_skole: 5,
        SeriesType.koordineringskonference_dagtilbud: 5,
        SeriesType.koordineringskonference_klub: 5,
        SeriesType.kreative_raad: 5,
        SeriesType.strategisk_koordineringskonference: 5,
        SeriesType.fronten: 1,
    }


def test_example_shared_specialists(example: MunicipalityConfig) -> None:
    """Each district has several psychologists, and some psychologists serve two districts."""
    for district in example.districts:
        serving = [p.id for p in example.staff if "psykolog" in p.roles and district.id in p.serves.districts]
        assert len(serving) >= 3, district.id
    shared = [p for p in example.staff if "psykolog" in p.roles and len(p.serves.districts) > 1]
    assert len(shared) >= 4


def test_example_every_role_seat_has_a_pool(example: MunicipalityConfig) -> None:
    for series in example.series:
        for _, seat in series.seats():
            assert len(seat_pool(example, series, seat)) >= seat.count, series.id


def test_example_klub_syd_serves_two_districts(example: MunicipalityConfig) -> None:
    klub_syd = next(u for u in example.units if u.id == "klub-syd")
    assert klub_syd.districts == ["baltorp", "hedegaarden"]


# --------------------------------------------------------------------------- bad input


def test_unknown_role_suggests_the_close_one(raw: dict[str, Any]) -> None:
    i = index(raw["staff"], "psykolog-c")
    raw["staff"][i]["roles"] = ["psykolg"]
    assert problems_of(raw) == [
        f"staff[{i}].roles[0] (personen 'psykolog-c'): ukendt rolle 'psykolg' (mente du 'psykolog'?)"
    ]


def test_unknown_site_in_unit(raw: dict[str, Any]) -> None:
    i = index(raw["units"], "hedegaardsskolen")
    raw["units"][i]["sites"] = ["hedegaardskolen"]
    assert problems_of(raw) == [
        f"units[{i}].sites[0] (enheden 'hedegaardsskolen'): ukendt mødested 'hedegaardskolen' "
        "(mente du 'hedegaardsskolen'?)"
    ]


def test_unknown_site_without_suggestion(raw: dict[str, Any]) -> None:
    i = index(raw["units"], "klub-skovvejen")
    raw["units"][i]["sites"] = ["zzz"]
    assert problems_of(raw) == [f"units[{i}].sites[0] (enheden 'klub-skovvejen'): ukendt mødested 'zzz'"]


def test_series_site_not_one_of_the_units_sites(raw: dict[str, Any]) -> None:
    i = index(raw["series"], "kk-skole-hedegaarden")
    raw["series"][i]["site"] = "rugvaenget"
    assert problems_of(raw) == [
        f"series[{i}].site (serien 'kk-skole-hedegaarden'): 'rugvaenget' er ikke et af enhedens "
        "mødesteder (hedegaardsskolen)"
    ]


def test_term_ending_before_it_starts(raw: dict[str, Any]) -> None:
    raw["terms"][0]["end"] = date(2027, 1, 1)
    assert problems_of(raw) == [
        "terms[0] (terminen 'foraar-2027'): terminen slutter (2027-01-01) før den begynder (2027-01-05)"
    ]


def test_school_holiday_outside_the_term(raw: dict[str, Any]) -> None:
    i = index(raw["terms"], "efteraar-2027")
    holidays = raw["terms"][i]["school_holidays"]
    holidays.append({"name": "Juleferie", "start": date(2027, 12, 20), "end": date(2028, 1, 2)})
    j = len(holidays) - 1
    assert problems_of(raw) == [
        f"terms[{i}].school_holidays[{j}] (terminen 'efteraar-2027'): 'Juleferie' (2027-12-20 til "
        "2028-01-02) ligger uden for terminen (2027-08-09 til 2027-12-17)"
    ]


def test_overlapping_school_holidays(raw: dict[str, Any]) -> None:
    i = index(raw["terms"], "foraar-2027")
    raw["terms"][i]["school_holidays"].append(
        {"name": "Uge 8", "start": date(2027, 2, 19), "end": date(2027, 2, 26)}
    )
    assert problems_of(raw) == [
        f"terms[{i}].school_holidays (terminen 'foraar-2027'): 'Vinterferie' og 'Uge 8' overlapper"
    ]


def test_seat_nobody_can_fill(raw: dict[str, Any]) -> None:
    """No ressourcepædagog serves Måløvhøj: its day-care conference cannot be staffed."""
    for person in raw["staff"]:
        if "ressourcepaedagog" in person["roles"]:
            districts = person["serves"]["districts"]
            person["serves"]["districts"] = [d for d in districts if d != "maaloevhoej"]
    i = index(raw["series"], "kk-dagtilbud-maaloevhoej")
    j = next(
        j for j, seat in enumerate(raw["series"][i]["required_roles"]) if seat["role"] == "ressourcepaedagog"
    )
    assert problems_of(raw) == [
        f"series[{i}].required_roles[{j}] (serien 'kk-dagtilbud-maaloevhoej'): pladsen kan ikke besættes: "
        "den kræver 1, men kun 0 med rollen 'ressourcepaedagog' dækker 'dagtilbud-maaloevhoej' "
        "(se staff[].serves)"
    ]


def test_seat_with_too_few_in_the_pool(raw: dict[str, Any]) -> None:
    i = index(raw["series"], "kk-skole-baltorp")
    raw["series"][i]["required_roles"][0]["count"] = 5  # four psychologists serve Baltorp
    assert problems_of(raw) == [
        f"series[{i}].required_roles[0] (serien 'kk-skole-baltorp'): pladsen kan ikke besættes: "
        "den kræver 5, men kun 4 med rollen 'psykolog' dækker 'baltorpskolen' (se staff[].serves)"
    ]


def test_chair_is_also_minute_taker(raw: dict[str, Any]) -> None:
    i = index(raw["series"], "kk-skole-baltorp")
    raw["series"][i]["minute_taker"] = raw["series"][i]["chair"]
    assert problems_of(raw) == [
        f"series[{i}].minute_taker (serien 'kk-skole-baltorp'): 'pl-skole-baltorp' er også mødeleder; "
        "det skal være to forskellige personer"
    ]


def test_person_holding_two_seats(raw: dict[str, Any]) -> None:
    i = index(raw["series"], "kk-skole-baltorp")
    raw["series"][i]["required_roles"].append({"person": "referent-baltorp"})
    assert problems_of(raw) == [
        f"series[{i}] (serien 'kk-skole-baltorp'): 'referent-baltorp' har 2 pladser ved samme møde; "
        "en person har én plads"
    ]


def test_chair_also_among_required_people_is_one_seat(raw: dict[str, Any]) -> None:
    """Issue 14: a chair or minute-taker also listed as a participant is one seat, not an error."""
    i = index(raw["series"], "kk-skole-baltorp")
    raw["series"][i]["required_people"] = ["pl-skole-baltorp", "referent-baltorp", "fsr-baltorp"]
    series = config_from_data(raw).series[i]
    keys = [key for key, _ in series.seats()]
    assert keys.count("chair") == 1 and "minute_taker" in keys
    assert [k for k in keys if k.startswith("required_people")] == ["required_people[2]"]


def test_unknown_key_in_a_person(raw: dict[str, Any]) -> None:
    i = index(raw["staff"], "psykolog-c")
    raw["staff"][i]["emial"] = raw["staff"][i].pop("email")
    assert problems_of(raw) == [f"staff[{i}].emial (personen 'psykolog-c'): ukendt felt (tjek stavemåden)"]


@pytest.mark.parametrize(
    "address",
    [
        "Psykolog A <a@ballerup.example>, evil@ballerup.example",  # issue 11: two recipients in To:
        "Psykolog A <psykolog-c@ballerup.example>",
        "a@ballerup.example, b@ballerup.example",
        "a@ballerup.example;b@ballerup.example",
        "a@ballerup.example\nBcc: evil@ballerup.example",
        '"a,b"@ballerup.example',
        "a b@ballerup.example",
        "psykolog-c@@ballerup.example",
        "psykolog-c",
        "psykolog-c@localhost",
    ],
)
def test_an_email_must_be_one_address(raw: dict[str, Any], address: str) -> None:
    i = index(raw["staff"], "psykolog-c")
    raw["staff"][i]["email"] = address
    (problem,) = problems_of(raw)
    assert problem.startswith(f"staff[{i}].email (personen 'psykolog-c'): ")
    assert "er ikke én gyldig e-mailadresse" in problem and "navn@ballerup.dk" in problem


def test_every_address_in_the_examples_and_fixtures_stays_valid_and_unchanged() -> None:
    root = EXAMPLE.parents[1]
    for path in [EXAMPLE, *sorted((root / "tests" / "fixtures").glob("*.yaml"))]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        config = config_from_data(data)
        assert [p.email for p in config.staff] == [p.get("email") for p in data["staff"]], path


def test_duplicate_ids(raw: dict[str, Any]) -> None:
    raw["staff"].append(copy.deepcopy(raw["staff"][0]))
    assert problems_of(raw) == [
        "staff[0].id (personen 'psykolog-a'): 'psykolog-a' bruges 2 gange; et id skal være entydigt"
    ]


def test_duplicate_series_ids(raw: dict[str, Any]) -> None:
    raw["series"].append(copy.deepcopy(raw["series"][0]))
    assert problems_of(raw) == [
        "series[0].id (serien 'kk-skole-baltorp'): 'kk-skole-baltorp' bruges 2 gange; et id skal være "
        "entydigt"
    ]


@pytest.mark.parametrize(
    ("cadence", "message"),
    [
        (
            {"kind": "fortnightly", "holiday_shift_days": 15},
            "cadence.holiday_shift_days (serien 'kk-skole-baltorp'): må højst være 14",
        ),
        (
            {"kind": "per_term", "count": 2, "holiday_shift_days": 3},
            "cadence (serien 'kk-skole-baltorp'): holiday_shift_days kræver en rytme at flytte fra: "
            "weekly, fortnightly, every_n_weeks eller monthly",
        ),
    ],
)
def test_holiday_shift_days(raw: dict[str, Any], cadence: dict[str, Any], message: str) -> None:
    i = index(raw["series"], "kk-skole-baltorp")
    raw["series"][i]["cadence"] = cadence
    assert problems_of(raw) == [f"series[{i}].{message}"]


def test_time_span_ending_before_it_starts(raw: dict[str, Any]) -> None:
    i = index(raw["series"], "kk-skole-baltorp")
    raw["series"][i]["window"] = "16:00-12:30"
    assert problems_of(raw) == [
        f"series[{i}].window (serien 'kk-skole-baltorp'): tidsrummet slutter (12:30) før det begynder (16:00)"
    ]


def test_time_span_in_working_hours(raw: dict[str, Any]) -> None:
    i = index(raw["staff"], "psykolog-b")
    raw["staff"][i]["working_hours"]["mon"] = "16:00-12:30"
    assert problems_of(raw) == [
        f"staff[{i}].working_hours.mon (personen 'psykolog-b'): tidsrummet slutter (12:30) "
        "før det begynder (16:00)"
    ]


def test_time_span_that_is_not_a_span(raw: dict[str, Any]) -> None:
    i = index(raw["series"], "kk-skole-baltorp")
    raw["series"][i]["window"] = "12:30"
    assert problems_of(raw) == [
        f"series[{i}].window (serien 'kk-skole-baltorp'): '12:30' er ikke et tidsrum som '12:30-16:00'"
    ]


def test_window_too_short_for_the_meeting(raw: dict[str, Any]) -> None:
    i = index(raw["series"], "kk-dagtilbud-baltorp")
    raw["series"][i]["window"] = "11:45-13:30"
    assert problems_of(raw) == [
        f"series[{i}] (serien 'kk-dagtilbud-baltorp'): ingen tilladt ugedag har et tidsrum med plads "
        "til 120 minutter fra en starttid på tidsrasteret på 30 minutter (planning.slot_minutes)"
    ]


def test_window_that_fits_only_off_the_slot_grid(raw: dict[str, Any]) -> None:
    i = index(raw["series"], "kk-dagtilbud-baltorp")
    raw["series"][i]["window"] = "11:45-13:45"  # 120 minutes, but no start on the 30-minute grid
    assert problems_of(raw) == [
        f"series[{i}] (serien 'kk-dagtilbud-baltorp'): ingen tilladt ugedag har et tidsrum med plads "
        "til 120 minutter fra en starttid på tidsrasteret på 30 minutter (planning.slot_minutes)"
    ]


def test_unknown_person_in_a_seat(raw: dict[str, Any]) -> None:
    i = index(raw["series"], "kreative-raad-baltorp")
    raw["series"][i]["chair"] = "leder-socialafsnitt"
    assert problems_of(raw) == [
        f"series[{i}].chair.person (serien 'kreative-raad-baltorp'): ukendt person 'leder-socialafsnitt' "
        "(mente du 'leder-socialafsnit'?)"
    ]


def test_every_problem_is_reported(raw: dict[str, Any]) -> None:
    a = index(raw["staff"], "psykolog-c")
    b = index(raw["units"], "hedegaardsskolen")
    raw["staff"][a]["roles"] = ["psykolg"]
    raw["units"][b]["sites"] = ["hedegaardskolen"]
    problems = problems_of(raw)
    assert len(problems) == 2
    assert problems[0].startswith(f"units[{b}].sites[0] (enheden 'hedegaardsskolen'): ")
    assert problems[1].startswith(f"staff[{a}].roles[0] (personen 'psykolog-c'): ")


def test_invalid_yaml() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("municipality: Ballerup\n  staff: []\n", source="ballerup.yaml")
    assert caught.value.problems == [
        "ballerup.yaml: ikke gyldig YAML i linje 2, kolonne 8: et kolon her er ikke tilladt "
        "(mangler der mellemrum eller anførselstegn?)"
    ]


def test_yaml_that_is_not_a_mapping() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("- just\n- a list\n")
    assert caught.value.problems == [
        "(øverst): konfigurationen skal være et afsnit med nøgler som 'districts' og 'staff'"
    ]


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(missing)
    assert caught.value.problems == [f"{missing}: filen findes ikke"]


# --------------------------------------------------------------------------- scaled instances


def test_scale_by_three(example: MunicipalityConfig) -> None:
    scaled = scale_config(example, 3)
    # Loads like any config from data (cross-checks included).
    reloaded = config_from_data(scaled.model_dump(mode="json"))
    assert len(reloaded.districts) == 3 * len(example.districts) == 15
    assert len(reloaded.sites) == 3 * len(example.sites)
    assert len(reloaded.units) == 3 * len(example.units)
    assert len(reloaded.staff) == 3 * len(example.staff) == 243
    assert len(reloaded.series) == 3 * len(example.series) == 78
    assert len(reloaded.travel.pairs) == 3 * len(example.travel.pairs)
    assert reloaded.terms == example.terms
    assert reloaded.planning == example.planning
    # Copy 1 keeps the original ids; copy 3 is suffixed and renamed.
    ids = {p.id for p in reloaded.staff}
    assert {p.id for p in example.staff} <= ids
    assert "psykolog-a-x3" in ids
    assert [d.name for d in reloaded.districts][10] == "Baltorp 3"
    series = {s.id: s for s in reloaded.series}
    assert series["kk-skole-baltorp-x2"].unit == "baltorpskolen-x2"
    assert series["kk-skole-baltorp-x2"].chair is not None
    assert series["kk-skole-baltorp-x2"].chair.person == "pl-skole-baltorp-x2"


def test_scaled_copies_are_coupled(example: MunicipalityConfig) -> None:
    """Some specialists of copy k serve a district of copy k+1, so the problem stays joint."""
    scaled = scale_config(example, 3)
    couplers = coupling_people(example)
    assert couplers
    staff = {p.id: p for p in scaled.staff}
    for base in couplers:
        first = staff[base].serves.districts
        assert first[-1].endswith("-x2"), base
        assert staff[f"{base}-x2"].serves.districts[-1].endswith("-x3"), base
        assert staff[f"{base}-x3"].serves.districts == [f"{d}-x3" for d in staff[base].serves.districts[:-1]]
    # A psychologist of copy 1 sits in a role pool of copy 2.
    kk = next(s for s in scaled.series if s.id == "kk-skole-baltorp-x2")
    psykolog_seat = kk.required_roles[0]
    assert "psykolog-a" in seat_pool(scaled, kk, psykolog_seat)


def test_scale_by_one_is_the_example(example: MunicipalityConfig) -> None:
    assert scale_config(example, 1) == example


def test_scaled_yaml_round_trip(example: MunicipalityConfig) -> None:
    scaled = scale_config(example, 2)
    assert parse_config(to_yaml(scaled)) == scaled


def test_cli_writes_a_loadable_file(tmp_path: Path) -> None:
    out = tmp_path / "instances" / "ballerup_x2.yaml"
    assert main([str(EXAMPLE), "--factor", "2", "--out", str(out)]) == 0
    loaded = load_config(out)
    assert len(loaded.series) == 52
    assert out.read_text(encoding="utf-8").startswith("# Generated by bench.generate")


# --------------------------------------------------------------------------- one-line texts

ONE_LINE_FIELDS = [
    "municipality",
    "districts[0].name",
    "sites[0].name",
    "sites[0].address",
    "units[0].name",
    "staff[0].name",
    "terms[0].name",
    "terms[0].school_holidays[0].name",
    "series[0].title",
]


def _put(data: Any, path: str, value: str) -> None:
    """Set `path` ('staff[0].name') in plain data."""
    parts = [int(p) if p.isdigit() else p for p in path.replace("]", "").replace("[", ".").split(".")]
    for part in parts[:-1]:
        data = data[part]
    data[parts[-1]] = value


@pytest.mark.parametrize("path", ONE_LINE_FIELDS)
def test_names_and_titles_are_trimmed_to_one_line(raw: dict[str, Any], path: str) -> None:
    """A trailing newline in a name broke every ICS feed; surrounding whitespace is dropped."""
    _put(raw, path, "  Navn med mellemrum \n")
    config = config_from_data(raw)
    assert "Navn med mellemrum" in config.model_dump_json()
    assert "Navn med mellemrum \\n" not in config.model_dump_json()


@pytest.mark.parametrize("path", ONE_LINE_FIELDS)
@pytest.mark.parametrize(
    ("text", "code", "position"),
    [
        ("Linje\nto", "000A", 6),
        ("Tab\there", "0009", 4),
        ("Esc\x1b[31m", "001B", 4),
        ("Ny\u2028linje", "2028", 3),
    ],
)
def test_control_characters_in_names_and_titles_are_refused(
    raw: dict[str, Any], path: str, text: str, code: str, position: int
) -> None:
    _put(raw, path, text)
    (problem,) = problems_of(raw)
    # the path, and beside it the id of its item (the top-level municipality has none)
    assert problem.startswith(f"{path} (" if "[" in path else f"{path}: ")
    assert problem.endswith(
        ": teksten må ikke indeholde styretegn som linjeskift eller tabulator "
        f"(U+{code} på plads {position})"
    )


def test_the_seat_check_counts_pools_exactly_as_seat_pool_does(example: MunicipalityConfig) -> None:
    """The seat check counts from an index (walking the staff per seat took minutes); same answer."""
    from scheduler.config import _PoolSizes

    for config in (example, scale_config(example, 3), load_config(TWO_DISTRICTS_FILE)):
        pools = _PoolSizes(config)
        units = {u.id: u for u in config.units}
        for series in config.series:
            for _, seat in series.seats():
                assert pools.size(units[series.unit], seat) == len(seat_pool(config, series, seat)), (
                    series.id,
                    seat,
                )
        # and with a pool restricted to listed people
        series = config.series[0]
        listed = [p.id for p in config.staff[::2]]
        for role in {r for p in config.staff for r in p.roles}:
            seat = Seat(role=role, people=listed)
            assert pools.size(units[series.unit], seat) == len(seat_pool(config, series, seat))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "terms:\n  - {id: t, name: T, start: 2027-02-30, end: 2027-03-26}\n",
            "k.yaml: ikke gyldig YAML i linje 3, kolonne 29: '2027-02-30' er ikke en gyldig værdi",
        ),
        (
            "planning: {time_limit_seconds: !!float mange}\n",
            "k.yaml: ikke gyldig YAML i linje 2, kolonne 32: 'mange' er ikke en gyldig værdi",
        ),
    ],
)
def test_a_value_yaml_cannot_build_is_named_with_its_place(text: str, problem: str) -> None:
    """PyYAML raised a bare ValueError for 30 February, which escaped as a crash (a 500)."""
    with pytest.raises(ConfigError) as caught:
        parse_config("municipality: X\n" + text, source="k.yaml")
    assert caught.value.problems == [problem]


# --------------------------------------------------------------------------- issue 14: seats


@pytest.mark.parametrize(
    ("written", "span"),
    [
        ("last 45", (75, 120)),
        ("sidste 45 minutter", (75, 120)),
        ("first 30", (0, 30)),
        ("Første 30 min", (0, 30)),
        ({"offset_minutes": 30, "minutes": 45}, (30, 75)),
        ({"minutes": 45}, (75, 120)),
    ],
)
def test_a_seat_part_is_written_as_a_leader_reads_it(raw: dict[str, Any], written: Any, span: Any) -> None:
    i = index(raw["series"], "kk-skole-baltorp")
    raw["series"][i]["required_roles"][1]["part"] = written
    seat = config_from_data(raw).series[i].required_roles[1]
    assert seat.part is not None and seat.part.span(120) == span


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("last 150", "delen (minut -30-120) ligger ikke inden for mødets 120 minutter (duration_minutes)"),
        (
            {"offset_minutes": 90, "minutes": 45},
            "delen (minut 90-135) ligger ikke inden for mødets 120 minutter (duration_minutes)",
        ),
    ],
)
def test_a_part_outside_the_meeting_names_its_path(raw: dict[str, Any], written: Any, problem: str) -> None:
    i = index(raw["series"], "kk-skole-baltorp")
    raw["series"][i]["required_roles"][1]["part"] = written
    assert problems_of(raw) == [f"series[{i}].required_roles[1].part (serien 'kk-skole-baltorp'): {problem}"]


def test_a_part_that_is_not_a_part(raw: dict[str, Any]) -> None:
    i = index(raw["series"], "kk-skole-baltorp")
    raw["series"][i]["required_roles"][1]["part"] = "halvdelen"
    assert problems_of(raw) == [
        f"series[{i}].required_roles[1].part (serien 'kk-skole-baltorp'): 'halvdelen' er ikke en del af "
        "et møde; skriv fx 'sidste 45' eller 'første 30' (minutter) eller {offset_minutes: 30, minutes: 45}"
    ]


def test_the_example_convenes_det_kreative_raad_from_socialafsnittet(example: MunicipalityConfig) -> None:
    raad = next(s for s in example.series if s.id == "kreative-raad-baltorp")
    assert raad.convener == "leder-socialafsnit"
    assert raad.chair is not None and raad.chair.person == "skoleleder-baltorp"
    parts = [seat.part.span(raad.duration_minutes) for _, seat in raad.seats() if seat.part]
    assert parts == [(75, 120)]


def test_unknown_convener(raw: dict[str, Any]) -> None:
    i = index(raw["series"], "kk-skole-baltorp")
    raw["series"][i]["convener"] = "leder-socialafsnitt"
    assert problems_of(raw) == [
        f"series[{i}].convener (serien 'kk-skole-baltorp'): 'leder-socialafsnitt' er ikke en person i staff "
        "(mente du 'leder-socialafsnit'?)"
    ]


def test_a_file_extends_another_and_replaces_its_sections(tmp_path: Path) -> None:
    base = Path("examples/ballerup.yaml").resolve()
    child = tmp_path / "variant.yaml"
    child.write_text(f"extends: {base}\nmunicipality: Ballerup, variant\n", encoding="utf-8")
    config = load_config(child)
    assert config.municipality == "Ballerup, variant"
    assert config.series == load_config(base).series


def test_extends_in_a_ring_is_refused_in_danish(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bygger på sig selv"):
        load_config(tmp_path / "a.yaml")


def test_extends_names_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: findes-ikke.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="filen findes ikke"):
        load_config(tmp_path / "a.yaml")


def test_an_upload_cannot_extend_a_file_on_the_server() -> None:
    with pytest.raises(ConfigError, match="kun bruges i en fil"):
        parse_config("extends: /etc/passwd\nmunicipality: x\n")


# --------------------------------------------------------------------------- BAL (joint model)

BAL_EXAMPLE = EXAMPLE.parent / "ballerup-bal.yaml"


@pytest.fixture
def bal_raw(raw: dict[str, Any]) -> dict[str, Any]:
    """The BAL example as plain data: ballerup.yaml with the `bal:` section of ballerup-bal.yaml."""
    extension = yaml.safe_load(BAL_EXAMPLE.read_text(encoding="utf-8"))
    assert extension.pop("extends") == "ballerup.yaml"
    return {**raw, **extension}


def test_the_bal_example_extends_ballerup_with_200_teams_at_its_institutions() -> None:
    config = load_config(BAL_EXAMPLE)
    assert config.series == load_config(EXAMPLE).series
    bal = config.bal
    assert bal is not None and bal.first_term == "foraar-2027"
    assert len(bal.teams) >= 200  # "Mere end 200 team skal på kursus og følges"
    units = {u.id: u for u in config.units}
    kinds = Counter(units[t.unit].kind.value for t in bal.teams if not t.leaders)
    assert set(kinds) == {"skole", "dagtilbud", "klub"}
    leaders = [t for t in bal.teams if t.leaders]
    districts = sorted(d for t in leaders for d in units[t.unit].districts)
    assert districts == sorted(d.id for d in config.districts)
    per_unit = Counter(t.unit for t in bal.teams if not t.leaders)
    # in proportion to size: Måløvhøj Skole (~1,250 pupils) more than Hedegårdsskolen (~650)
    assert per_unit["maaloevhoej-skole"] == 2 * per_unit["hedegaardsskolen"]
    roles = {p.id: p.roles for p in config.staff}
    assert {r for f in bal.facilitators for r in roles[f.person]} == {"psykolog", "paedagogisk_vejleder"}
    assert (bal.sequence.analyses, bal.course.sessions, bal.course.minutes) == (6, 3, 180)


def test_a_team_id_used_twice(bal_raw: dict[str, Any]) -> None:
    bal_raw["bal"]["teams"][7]["id"] = bal_raw["bal"]["teams"][6]["id"]
    assert problems_of(bal_raw) == [
        "bal.teams[6].id (teamet 'baltorpskolen-02'): 'baltorpskolen-02' bruges 2 gange; "
        "et id skal være entydigt"
    ]


def test_a_team_at_an_unknown_unit_or_one_that_is_no_institution(bal_raw: dict[str, Any]) -> None:
    bal_raw["bal"]["teams"][5]["unit"] = "baltorpskole"
    bal_raw["bal"]["teams"][6]["unit"] = "socialafsnittet"
    assert problems_of(bal_raw) == [
        "bal.teams[5].unit (teamet 'baltorpskolen-01'): ukendt enhed 'baltorpskole' "
        "(mente du 'baltorpskolen'?)",
        "bal.teams[6].unit (teamet 'baltorpskolen-02'): 'socialafsnittet' er en enhed af typen socialafsnit; "
        "et BAL-team hører til en skole, et dagtilbud eller en klub",
    ]


def test_a_facilitator_is_a_ppr_employee_on_the_staff_listed_once(bal_raw: dict[str, Any]) -> None:
    facilitators = bal_raw["bal"]["facilitators"]
    facilitators[0]["person"] = "psykolog-aa"
    facilitators[1]["person"] = "fsr-baltorp"
    facilitators[3]["person"] = "psykolog-c"
    facilitators[4]["hours_per_week"] = 30  # Psykolog E works 29.6 hours
    facilitators[5]["base_site"] = "raadhuset"
    assert problems_of(bal_raw) == [
        "bal.facilitators[0].person: ukendt person 'psykolog-aa' (mente du 'psykolog-a'?)",
        "bal.facilitators[1].person: 'fsr-baltorp' (forebyggende_socialraadgiver) har ingen PPR-rolle "
        "(psykolog, paedagogisk_vejleder, tale_hoerelaerer, motorikkonsulent, ressourcepaedagog); "
        "en facilitator er en medarbejder fra PPR",
        "bal.facilitators[3].person: 'psykolog-c' står også som bal.facilitators[2]; "
        "en facilitator nævnes én gang",
        "bal.facilitators[4].hours_per_week: 30 timer om ugen er mere, end 'psykolog-e' arbejder "
        "(weekly_hours: 29.6)",
        "bal.facilitators[5].base_site: ukendt mødested 'raadhuset' (mente du 'raadhus'?)",
    ]


def test_course_sites_first_term_and_windows(bal_raw: dict[str, Any]) -> None:
    bal = bal_raw["bal"]
    bal_raw["sites"].append({"id": "kursuscenter", "name": "Kursuscenter"})  # a site of no unit
    bal["course"]["sites"] = ["rugvaenget", "hedegaardskolen", "kursuscenter"]
    bal["leader_course"]["window"] = "08:30-10:00"
    bal["sequence"]["window"] = "12:00-13:00"
    bal["first_term"] = "foraar-2072"
    assert problems_of(bal_raw) == [
        "bal.course.sites[1]: ukendt mødested 'hedegaardskolen' (mente du 'hedegaardsskolen'?)",
        "bal.course.sites[2]: mødestedet 'kursuscenter' hører ikke til nogen enhed (units[].sites); "
        "et kursus holdes hos en enhed og står i dens kalender",
        "bal.leader_course.window: tidsrummet 08:30-10:00 har ikke plads til 180 minutter fra en starttid "
        "på tidsrasteret på 30 minutter (planning.slot_minutes)",
        "bal.sequence.window: tidsrummet 12:00-13:00 har ikke plads til 90 minutter fra en starttid "
        "på tidsrasteret på 30 minutter (planning.slot_minutes)",
        "bal.first_term: ukendt termin 'foraar-2072' (mente du 'foraar-2027'?)",
    ]


def test_leader_teams_without_a_leader_course_take_the_course(bal_raw: dict[str, Any]) -> None:
    del bal_raw["bal"]["leader_course"]
    config = config_from_data(bal_raw)
    assert config.bal is not None and config.bal.leader_course is None


def test_a_team_id_leaves_room_for_its_series_id(bal_raw: dict[str, Any]) -> None:
    bal_raw["bal"]["teams"][0]["id"] = "x" * 80
    assert problems_of(bal_raw) == [
        f"bal.teams[0].id (teamet '{'x' * 80}'): højst 76 tegn (teamets analyser får serie-id'et "
        "'bal-<id>', og et id har højst 80)"
    ]


def _after(raw: dict[str, Any], sid: str, after: Any) -> int:
    i = index(raw["series"], sid)
    raw["series"][i]["after"] = after
    return i


def test_after_names_a_known_other_series(raw: dict[str, Any]) -> None:
    i = _after(raw, "strategisk-baltorp", {"series": "kk-skole-baltorpp"})
    j = _after(raw, "strategisk-hedegaarden", {"series": "strategisk-hedegaarden"})
    assert problems_of(raw) == [
        f"series[{i}].after.series (serien 'strategisk-baltorp'): ukendt serie 'kk-skole-baltorpp' "
        "(mente du 'kk-skole-baltorp'?)",
        f"series[{j}].after.series (serien 'strategisk-hedegaarden'): en serie kan ikke komme efter sig selv",
    ]


def test_after_a_series_of_another_term(raw: dict[str, Any]) -> None:
    k = index(raw["series"], "kk-skole-baltorp")
    raw["series"][k]["terms"] = ["efteraar-2027"]
    i = _after(raw, "strategisk-baltorp", {"series": "kk-skole-baltorp"})
    assert problems_of(raw) == [
        f"series[{i}].after.series (serien 'strategisk-baltorp'): 'kk-skole-baltorp' holdes ikke i terminen "
        "'foraar-2027', som 'strategisk-baltorp' holdes i; serien skal komme efter et møde i samme termin"
    ]


def test_after_a_meeting_that_comes_too_late_or_never(raw: dict[str, Any]) -> None:
    """Per term both cut the term in equal parts: the 2nd of two strategic conferences begins in
    the term's second half, after the first half in which the other's first must lie."""
    i = _after(raw, "strategisk-baltorp", {"series": "strategisk-hedegaarden", "meetings": 2})
    j = _after(raw, "strategisk-maaloevhoej", {"series": "strategisk-skovlunde", "meetings": 3})
    assert problems_of(raw) == [
        f"series[{i}].after.meetings (serien 'strategisk-baltorp'): det 2. møde i 'strategisk-hedegaarden' "
        "ligger tidligst 2027-04-01, men seriens første møde i terminen 'foraar-2027' skal ligge senest "
        "2027-03-31",
        f"series[{j}].after.meetings (serien 'strategisk-maaloevhoej'): 'strategisk-skovlunde' har kun 2 "
        "møder i terminen 'foraar-2027', så intet 3. møde at komme efter",
    ]


def test_series_that_wait_on_each_other_in_a_ring(raw: dict[str, Any]) -> None:
    i = _after(raw, "strategisk-baltorp", {"series": "strategisk-hedegaarden"})
    _after(raw, "strategisk-hedegaarden", {"series": "strategisk-baltorp"})
    assert problems_of(raw) == [
        f"series[{i}].after (serien 'strategisk-baltorp'): serierne venter på hinanden i en ring "
        "('strategisk-baltorp' → 'strategisk-hedegaarden' → 'strategisk-baltorp'); ingen af dem kan holdes"
    ]
