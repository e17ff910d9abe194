"""Summer time: a 13:00 meeting stays at 13:00 on the wall clock when Copenhagen changes offset.

Summer time starts on the last Sunday of March (28 March 2027) and ends on the last Sunday of
October (31 October 2027). The plan's times carry the offset that applies on their own day, also
after a round trip through plan.json, and the verifier accepts them.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

import pytest

from scheduler.config import config_from_data
from scheduler.model import MunicipalityConfig, Plan, PlanStatus
from scheduler.solve import SolveOptions, solve
from scheduler.verify import verify_plan
from tests.builders import person, unit

WINTER = timedelta(hours=1)
SUMMER = timedelta(hours=2)


def dst_config(start: str, end: str) -> MunicipalityConfig:
    data: dict[str, Any] = {
        "municipality": "Testkommune",
        "districts": [{"id": "nord", "name": "Nord"}],
        "sites": [{"id": "skolen", "name": "Nordskolen"}],
        "units": [unit("nordskolen", "Nordskolen", "skole", "skolen")],
        "staff": [person("leder", name="Leder")],
        "terms": [{"id": "t", "name": "Termin", "start": start, "end": end}],
        "series": [
            {
                "id": "kk",
                "type": "koordineringskonference_skole",
                "unit": "nordskolen",
                "cadence": "weekly",
                "duration_minutes": 120,
                "window": "13:00-15:00",
                "chair": "leder",
            }
        ],
    }
    return config_from_data(data)


@pytest.mark.parametrize(
    ("start", "end", "switch", "before", "after"),
    [
        ("2027-03-01", "2027-04-16", date(2027, 3, 28), WINTER, SUMMER),
        ("2027-10-04", "2027-11-19", date(2027, 10, 31), SUMMER, WINTER),
    ],
    ids=["march", "october"],
)
def test_meetings_keep_their_wall_clock_time_across_the_switch(
    start: str, end: str, switch: date, before: timedelta, after: timedelta
) -> None:
    config = dst_config(start, end)
    plan = solve(config, options=SolveOptions(time_limit=10, workers=2))
    assert plan.status == PlanStatus.OPTIMAL
    meetings = sorted(plan.meetings, key=lambda m: m.start)
    weeks = (date.fromisoformat(end) - date.fromisoformat(start)).days // 7 + 1
    assert len(meetings) + len(plan.skipped) == weeks == 7
    assert any(m.start.date() < switch for m in meetings)
    assert any(m.start.date() > switch for m in meetings)
    for m in meetings:
        assert (m.start.hour, m.start.minute) == (13, 0), m.start
        assert (m.end.hour, m.end.minute) == (15, 0), m.end
        offset = before if m.start.date() < switch else after
        assert m.start.utcoffset() == offset, m.start.isoformat()
        assert m.end.utcoffset() == offset, m.end.isoformat()
        assert m.end - m.start == timedelta(hours=2)
    # 13:00 local is 12:00 UTC in winter and 11:00 UTC in summer
    assert {m.start.astimezone(UTC).hour for m in meetings} == {11, 12}

    reloaded = Plan.model_validate_json(plan.model_dump_json())
    for original, again in zip(meetings, sorted(reloaded.meetings, key=lambda m: m.start), strict=True):
        offset = before if original.start.date() < switch else after
        suffix = "+01:00" if offset == WINTER else "+02:00"
        assert again.start.isoformat() == f"{original.start.date()}T13:00:00{suffix}"
        assert again.end.isoformat() == f"{original.start.date()}T15:00:00{suffix}"
    assert verify_plan(config, reloaded) == []
