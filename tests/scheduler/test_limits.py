"""Input limits of a config (scheduler.limits): refused before anything is built, in Danish.

Each case is one the service fell over on: a YAML bomb, deep nesting, 100,000 series behind merge
keys, thousands of unknown names. Time and memory are asserted only where the case was about
them, with generous bounds.
"""

from __future__ import annotations

import re
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.generate import scale_config, to_yaml
from scheduler.config import ConfigError, config_from_data, load_config, parse_config
from scheduler.limits import COUNTED, LIMITS, scan_yaml
from tests.builders import TWO_DISTRICTS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ballerup.yaml"

MINIMAL = """\
municipality: X
districts: [{id: d, name: D}]
sites: [{id: s, name: S}]
units: [{id: u, name: U, kind: skole, districts: [d], sites: [s]}]
staff: [{id: p, name: P, roles: [psykolog]}]
terms: [{id: t, name: T, start: 2027-01-04, end: 2027-03-26}]
"""


def short_id(number: int) -> str:
    """'a', 'b', … 'ba', …: ids as short as can be, to fit many into few bytes."""
    digits = ""
    while True:
        number, rest = divmod(number, 26)
        digits = "abcdefghijklmnopqrstuvwxyz"[rest] + digits
        if number == 0:
            return digits


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="k.yaml")
    return caught.value.problems


def test_a_big_municipality_is_well_inside_every_limit() -> None:
    """Ballerup ×10 (50 districts, 810 staff, 260 series) loads; the limits leave room above it."""
    text = to_yaml(scale_config(load_config(EXAMPLE), 10))
    config = parse_config(text)
    assert len(config.staff) == 810 and len(config.series) == 260
    shape = scan_yaml(text)
    assert len(text.encode()) * 4 < LIMITS.max_bytes
    assert shape.depth * 5 < LIMITS.max_depth
    assert shape.nodes * 10 < LIMITS.max_nodes
    assert len(config.staff) * 5 < LIMITS.max_staff and len(config.series) * 5 < LIMITS.max_series


def test_a_text_over_the_size_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    text = MINIMAL + "# " + "x" * LIMITS.max_bytes + "\n"
    size = f"{len(text.encode()):,}".replace(",", ".")
    assert problems(text) == [
        f"k.yaml: konfigurationen fylder {size} bytes; højst 2.000.000 bytes er tilladt"
    ]
    big = tmp_path / "big.yaml"
    big.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="højst 2.000.000 bytes er tilladt"):
        load_config(big)
    # Danish letters are two bytes each: the limit is on bytes, not characters.
    letters = MINIMAL + "# " + "ø" * (LIMITS.max_bytes // 2) + "\n"
    assert len(letters) < LIMITS.max_bytes
    assert "højst 2.000.000 bytes" in problems(letters)[0]


def test_yaml_nested_50000_deep_is_refused_not_a_recursion_error() -> None:
    deep = "municipality: X\nstaff: " + "[" * 50_000 + "]" * 50_000 + "\n"
    started = time.monotonic()
    found = problems(deep)
    assert time.monotonic() - started < 5
    assert found == [
        "k.yaml: linje 2: lister og afsnit er indlejret mere end 50 niveauer dybt; "
        "højst 50 niveauer er tilladt"
    ]
    # Unclosed, so the parser stops with an error: still the nesting is what is reported.
    assert "højst 50 niveauer" in problems("a: " + "{b: " * 50_000)[0]
    block = "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "x: 1\n"
    assert problems(block) == [
        "k.yaml: linje 51: lister og afsnit er indlejret mere end 50 niveauer dybt; "
        "højst 50 niveauer er tilladt"
    ]


def test_an_alias_fan_out_is_refused_without_expanding_it() -> None:
    """2,000 aliases of a 2,000-item list: 4 million values once expanded (it took 2 GB and 20 s)."""
    items = ", ".join(f"v{i}" for i in range(2000))
    bomb = MINIMAL + f"extra_roles: {{}}\nx: &a [{items}]\nseries: [{', '.join(['*a'] * 2000)}]\n"
    tracemalloc.start()
    started = time.monotonic()
    try:
        found = problems(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    assert peak < 100 * 2**20
    assert len(found) == 1
    expanded = re.fullmatch(
        r"k\.yaml: konfigurationen bliver til ([\d.]+) værdier, når aliaser er foldet ud; "
        r"højst 500\.000 er tilladt",
        found[0],
    )
    assert expanded and int(expanded.group(1).replace(".", "")) > 2000 * 2000


def test_a_billion_laughs_is_counted_not_expanded() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    found = problems("\n".join(lines) + "\n")
    assert len(found) == 1 and "når aliaser er foldet ud; højst 500.000 er tilladt" in found[0]


def test_100000_series_behind_merge_keys_are_refused() -> None:
    """Under 2 MB with `<<: *s`: it was accepted, and its solve took the server past 5 GB."""
    series = ",".join(f"{{<<: *s, id: {short_id(i)}}}" for i in range(100_000))
    text = MINIMAL + f"x: &s {{type: andet, unit: u, cadence: weekly}}\nseries: [{series}]\n"
    assert len(text.encode()) < LIMITS.max_bytes
    found = problems(text)
    assert (
        "k.yaml: konfigurationen bruger 100.000 aliaser (*navn og <<: *navn); højst 10.000 er tilladt"
        in found
    )
    assert any("når aliaser er foldet ud" in p for p in found)


def test_too_many_series_are_refused_by_their_count() -> None:
    series = "".join(f"  - {{id: s{i}, type: andet, unit: u, cadence: weekly}}\n" for i in range(2001))
    assert problems(MINIMAL + "series:\n" + series) == [
        "series: konfigurationen har 2.001 mødeserier; højst 2.000 er tilladt"
    ]


@pytest.mark.parametrize(("key", "danish", "limit_name"), COUNTED)
def test_every_counted_list_has_its_limit(key: str, danish: str, limit_name: str) -> None:
    limit = getattr(LIMITS, limit_name)
    raw: dict[str, Any] = {key: [{}] * (limit + 1)}
    with pytest.raises(ConfigError) as caught:
        config_from_data(raw)
    assert caught.value.problems == [
        f"{key}: konfigurationen har {limit + 1:,} {danish}; højst {limit:,} er tilladt".replace(",", ".")
    ]


def test_a_term_that_would_expand_to_too_many_meetings_is_refused() -> None:
    data = yaml.safe_load(TWO_DISTRICTS)
    daily = {**data["series"][0], "cadence": "daily", "optional_people": []}
    data["series"] = [{**daily, "id": f"daglig-{i}"} for i in range(125)]  # 125 × 82 days
    with pytest.raises(ConfigError) as caught:
        config_from_data(data)
    assert caught.value.problems == [
        "terms[0]: terminen 'foraar-2027' ville få op til 10.250 møder (mødeserier × perioder); "
        "højst 10.000 er tilladt pr. termin"
    ]
    data["series"] = data["series"][:100]
    assert len(config_from_data(data).series) == 100


def test_2000_unknown_units_are_listed_quickly_and_the_rest_counted() -> None:
    """difflib over 2,000 names for each of 2,000 unknown ones took 85 s."""
    units = "".join(
        f"  - {{id: enhed-{i:04d}, name: E, kind: skole, districts: [d], sites: [s]}}\n" for i in range(2000)
    )
    series = "".join(
        f"  - {{id: s{i}, type: andet, unit: enhd-{i:04d}x, cadence: {{kind: per_term, count: 1}}}}\n"
        for i in range(2000)
    )
    text = MINIMAL.replace("units: [{id: u, name: U, kind: skole, districts: [d], sites: [s]}]\n", "units:\n")
    text = text.replace("units:\n", "units:\n" + units) + "series:\n" + series
    started = time.monotonic()
    found = problems(text)
    assert time.monotonic() - started < 5
    assert len(found) == LIMITS.max_problems + 1
    assert found[0] == "series[0].unit (serien 's0'): ukendt enhed 'enhd-0000x' (mente du 'enhed-0000'?)"
    assert found[-1] == "… og 1.900 andre problemer"


def test_thousands_of_invalid_values_are_capped_too() -> None:
    people = "".join(f"  - {{id: p{i}, name: P, roles: [psykolog], weekly_hours: -1}}\n" for i in range(3000))
    text = MINIMAL.replace("staff: [{id: p, name: P, roles: [psykolog]}]\n", "staff:\n" + people)
    found = problems(text + "series: []\n")
    assert len(found) == LIMITS.max_problems + 1
    assert found[0] == "staff[0].weekly_hours (personen 'p0'): skal være større end 0"
    assert found[-1].startswith("… og ") and found[-1].endswith(" andre problemer")


def test_broken_yaml_is_still_explained_by_pyyaml() -> None:
    """libyaml measures and loads (fast); a syntax error is still told in PyYAML's clearer words."""
    assert problems("municipality: Ballerup\n  staff: []\n") == [
        "k.yaml: ikke gyldig YAML i linje 2, kolonne 8: et kolon her er ikke tilladt "
        "(mangler der mellemrum eller anførselstegn?)"
    ]
    assert problems("a: [1, 2\n") == [
        "k.yaml: ikke gyldig YAML i linje 2, kolonne 1"
    ]


def test_a_site_with_a_billion_anonymous_rooms_is_refused() -> None:
    """Anonymous rooms become room objects: `rooms: 1000000000` would build a billion of them."""
    text = MINIMAL.replace("{id: s, name: S}", "{id: s, name: S, rooms: 1000000000}")
    found = problems(text + "series: [{id: a, type: andet, unit: u, cadence: weekly}]\n")
    assert found == ["sites[0].rooms (mødestedet 's'): højst 500 lokaler pr. mødested er tilladt "
                     "(fandt 1000000000)"]


def test_a_config_at_every_count_limit_validates_in_bounded_time() -> None:
    """The limits are only worth something if what they let through is checked quickly: 2,000 units
    and series and 5,000 people in every role pool (walking the staff per seat took 104 s)."""
    lines = ["municipality: X", "districts:", *(f"  - {{id: d{i}, name: D}}" for i in range(200))]
    lines += ["sites:", *(f"  - {{id: s{i}, name: S}}" for i in range(2000))]
    lines += ["units:"] + [
        f"  - {{id: u{i}, name: U, kind: skole, districts: [d{i % 200}], sites: [s{i}]}}" for i in range(2000)
    ]
    lines += ["staff:"] + [
        f"  - {{id: p{i}, name: P, roles: [psykolog], serves: {{all: true}}}}" for i in range(5000)
    ]
    lines += ["terms: [{id: t, name: T, start: 2027-01-04, end: 2027-06-25}]", "series:"]
    roles = ", ".join(["{role: psykolog}"] * 3)
    lines += [
        f"  - {{id: x{i}, type: andet, unit: u{i}, cadence: {{kind: per_term, count: 4}}, chair: p{i}, "
        f"required_roles: [{roles}]}}"
        for i in range(2000)
    ]
    started = time.monotonic()
    config = parse_config("\n".join(lines) + "\n")
    assert time.monotonic() - started < 30
    assert (len(config.units), len(config.staff), len(config.series)) == (2000, 5000, 2000)


def test_the_config_docs_state_the_limits_the_code_has() -> None:
    """docs/config.md repeats the limits for people writing configs; it must not drift from the code."""
    from scheduler.model import MAX_ROOMS_PER_SITE

    docs = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    table = docs.split("| what | at most |")[1].split("\n\n")[0]
    counts = " / ".join(f"{getattr(LIMITS, name):,}" for _, _, name in COUNTED)
    for wanted in [
        f"| size of the file | {LIMITS.max_bytes:,} bytes |",
        f"| nesting of lists and mappings | {LIMITS.max_depth} levels |",
        f"| aliases (`*name`, `<<: *name`) | {LIMITS.max_aliases:,} |",
        f"| values once every alias is expanded | {LIMITS.max_nodes:,} |",
        f"| {counts} |",
        f"| meetings one term expands to (series × cadence periods) | {LIMITS.max_occurrences_per_term:,} |",
        f"| anonymous `rooms` of one site | {MAX_ROOMS_PER_SITE} |",
    ]:
        assert wanted in table, wanted
    assert f"At most {LIMITS.max_problems} problems are listed" in docs
