"""Recurrence as a typed value: made once by `items`, rendered by each back-end, expanded in one place.

The fingerprints of unchanged items must not change with the type: a ledger written before it
would otherwise see every recurring item as changed and resend every series. The expected
hashes and shapes below were computed on main (before `Recurrence`, when `rrule` was a dict of
RRULE parts), from the same items; a ledger row written then is read back as a `Recurrence`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from dateutil.rrule import rrulestr
from icalendar import vRecur

from calendar_sync.items import (
    CalendarItem,
    fingerprint,
    instances,
    items_from_plan,
    recurrence_shape,
    rule_starts,
)
from calendar_sync.ledger import item_from_json, item_to_json
from calendar_sync.recurrence import Recurrence
from scheduler.config import config_from_data
from scheduler.term_dates import TZ
from tests.calendar_sync.test_preview import CONFIG_DATA, make_plan
from tests.fakes.exchange_items import series

UNTIL = datetime(2027, 4, 27, 22, tzinfo=UTC)
FORTNIGHTLY = series("serie-nord@moedeplan", "leder-a", ["tale-c", "sundhed-d"])
DAILY = replace(
    FORTNIGHTLY,
    uid="daily@moedeplan",
    rrule=Recurrence("DAILY", weekdays=(0, 1, 2, 3, 4), until=UNTIL),
    exdates=(),
    overrides=(),
)
MONTHLY = replace(
    FORTNIGHTLY,
    uid="monthly@moedeplan",
    rrule=Recurrence("MONTHLY", weekdays=(1,), nth=-1, until=UNTIL),
    exdates=(),
    overrides=(),
)


def planned() -> CalendarItem:
    """The weekly series `items_from_plan` makes of the preview test's plan."""
    config = config_from_data(CONFIG_DATA)
    [item] = [i for i in items_from_plan(config, make_plan(config)) if i.rrule is not None]
    return item


# computed on main (a415688) with the rule as a dict: {"FREQ": "WEEKLY", "INTERVAL": 2, ...}
ON_MAIN = {
    "fortnightly": (
        "96f6e5b19bdcdd49ce730b382a38c29baa084f75cadf9cf4c6c4319e9a02af29",
        '{"exdates": ["2027-03-02T14:00:00+01:00"], "overrides": [["2027-03-30T14:00:00+02:00", '
        '"2027-03-31T14:00:00+02:00", "2027-03-31T15:00:00+02:00", "Ballerup R\\u00e5dhus", "None"]], '
        '"rrule": {"BYDAY": "TU", "FREQ": "WEEKLY", "INTERVAL": "2", "UNTIL": "2027-04-27 22:00:00+00:00"}, '
        '"start": "2027-02-02T14:00:00+01:00"}',
    ),
    "daily": (
        "9eea05ba0d72b1e98dad56bf5b092f6a2496f226a3e5c72589ecd09732011c1c",
        "{\"exdates\": [], \"overrides\": [], \"rrule\": {\"BYDAY\": \"['MO', 'TU', 'WE', 'TH', 'FR']\", "
        '"FREQ": "DAILY", "UNTIL": "2027-04-27 22:00:00+00:00"}, "start": "2027-02-02T14:00:00+01:00"}',
    ),
    "monthly": (
        "e43559fc82566afb7000c883c2db32e3af8425a1a11e3ea1a061196147beb715",
        '{"exdates": [], "overrides": [], "rrule": {"BYDAY": "-1TU", "FREQ": "MONTHLY", '
        '"UNTIL": "2027-04-27 22:00:00+00:00"}, "start": "2027-02-02T14:00:00+01:00"}',
    ),
    "planned": (
        "883876b641e3d9861372ce7ef0c58524d41835eb72c0276ba304021568ea706b",
        '{"exdates": ["2027-03-23T13:00:00+01:00"], "overrides": [], "rrule": {"BYDAY": "TU", '
        '"FREQ": "WEEKLY", "INTERVAL": "1", "UNTIL": "2027-04-27 11:00:00+00:00"}, '
        '"start": "2027-03-02T13:00:00+01:00"}',
    ),
}


@pytest.mark.parametrize("name", sorted(ON_MAIN))
def test_fingerprint_and_shape_are_unchanged_from_main(name: str) -> None:
    item = {"fortnightly": FORTNIGHTLY, "daily": DAILY, "monthly": MONTHLY}.get(name) or planned()
    assert (fingerprint(item), recurrence_shape(item)) == ON_MAIN[name]


def test_a_ledger_row_written_before_the_type_reads_back_as_a_recurrence() -> None:
    """The JSON main stored for an item (its rule as tagged RRULE parts) gives the same item."""
    stored = json.loads(item_to_json(FORTNIGHTLY))
    stored["rrule"] = {
        "BYDAY": "TU",
        "FREQ": "WEEKLY",
        "INTERVAL": 2,
        "UNTIL": {"$datetime": "2027-04-27T22:00:00+00:00", "zone": None},
    }
    old = item_from_json(json.dumps(stored))
    assert old.rrule == FORTNIGHTLY.rrule
    assert fingerprint(old) == ON_MAIN["fortnightly"][0]
    assert item_from_json(item_to_json(FORTNIGHTLY)) == FORTNIGHTLY


@pytest.mark.parametrize("item", [FORTNIGHTLY, DAILY, MONTHLY], ids=["fortnightly", "daily", "monthly"])
def test_starts_are_what_the_rrule_text_means(item: CalendarItem) -> None:
    """The one expansion agrees with dateutil reading the RRULE line the iCalendar output carries."""
    assert item.rrule is not None
    line = vRecur(item.rrule.parts()).to_ical().decode()
    assert Recurrence.from_parts(vRecur.from_ical(line)) == item.rrule
    expected = list(rrulestr(line, dtstart=item.start.astimezone(TZ)))
    assert rule_starts(item) == expected
    assert all(start.astimezone(TZ).hour == item.start.astimezone(TZ).hour for start in expected)  # wall time


def test_instances_skip_exdates_and_follow_overrides() -> None:
    starts = rule_starts(FORTNIGHTLY)
    assert len(starts) == 7
    shown = instances(FORTNIGHTLY)
    assert [i.start for i in shown] == [s for s in starts if s not in FORTNIGHTLY.exdates][:3] + [
        starts[4] + timedelta(days=1),
        starts[5],
        starts[6],
    ]
    assert shown[3].location == "Ballerup Rådhus" and shown[3].override is FORTNIGHTLY.overrides[0]


@pytest.mark.parametrize(
    "parts",
    [
        {"FREQ": "YEARLY"},
        {"FREQ": "WEEKLY", "BYDAY": "XX"},
        {"FREQ": "WEEKLY", "BYMONTHDAY": "3"},
        {"FREQ": "WEEKLY", "UNTIL": "20270101"},
        {"FREQ": "WEEKLY", "BYDAY": "2TU"},
    ],
)
def test_what_items_never_make_is_refused(parts: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Recurrence.from_parts(parts)


def test_an_endless_rule_needs_an_end() -> None:
    rule = Recurrence("WEEKLY", weekdays=(1,))
    first = FORTNIGHTLY.start
    with pytest.raises(ValueError):
        rule.starts(first)
    assert len(rule.starts(first, end=first + timedelta(weeks=3))) == 4
