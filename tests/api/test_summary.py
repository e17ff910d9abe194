"""The Danish summary names each series' usual shape and every meeting off it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.summary import render_summary
from scheduler.config import load_config
from scheduler.model import MunicipalityConfig, Plan
from scheduler.solve import SolveOptions, solve
from tests.builders import SMALL


@pytest.fixture(scope="module")
def solved() -> tuple[MunicipalityConfig, Plan]:
    config = load_config(SMALL)
    return config, solve(config, options=SolveOptions(time_limit=10))


def school_line(summary: str) -> str:
    lines = summary.splitlines()
    return lines[lines.index("  Koordineringskonference, skole, Nordskolen (Nordskolen afd. A)") + 1]


def test_regular_series_reads_as_every_other_weekday(solved: tuple[MunicipalityConfig, Plan]) -> None:
    config, plan = solved
    summary = render_summary(config, plan)
    assert "Distrikt Nord" in summary
    line = school_line(summary)
    assert line.startswith("    hver anden tirsdag ")  # preferred weekday, one pattern all term
    assert "afvigelser" not in line


def test_a_moved_meeting_is_listed_as_an_exception(solved: tuple[MunicipalityConfig, Plan]) -> None:
    config, plan = solved
    moved = plan.model_copy(deep=True)
    school = [m for m in moved.meetings if m.series == "kk-nordskolen"]
    school[3].start += timedelta(days=1, minutes=30)
    school[3].end += timedelta(days=1, minutes=30)
    when = school[3].start
    line = school_line(render_summary(config, moved))
    assert f"(afvigelser: {when.day}. {['jan.', 'feb.', 'mar.', 'apr.'][when.month - 1]} onsdag" in line
