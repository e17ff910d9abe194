"""`make bench`'s table: one row per figure, the baseline's value and min / median / max per limit."""

from __future__ import annotations

from typing import Any

import pytest

from bench.run import ROWS, _cell, main, table


def test_a_cell_of_several_seeds_is_min_median_max() -> None:
    assert _cell([3.5, 1.0, 2.0]) == "1 / 2 / 3.5"
    assert _cell([7]) == "7"
    assert _cell([4, 4, 4]) == "4"
    assert _cell([4, None]) == "4 / 4 / 4 (1 –)"
    assert _cell([None]) == "–"
    assert _cell([True, True]) == "yes"
    assert _cell([True, False, True]) == "2 of 3"


def _run(**figures: Any) -> dict[str, Any]:
    base: dict[str, Any] = {key: None for key, _ in ROWS}
    return {**base, "complete": True, "placed": 10, "expected": 10, "hard_violations": 0, **figures}


def test_the_table_has_a_column_per_planner_and_a_row_per_figure() -> None:
    result = {
        "instance": "mini",
        "shape": "a test",
        "series": 1,
        "staff": 2,
        "baseline": _run(travel_minutes=100),
        "moedeplan": {"10": [_run(travel_minutes=40), _run(travel_minutes=60), _run(travel_minutes=50)]},
    }
    lines = table(result, workers=2).splitlines()
    assert lines[2] == "|  | hand planning (first fit) | moedeplan 10 s |"
    assert "| travel minutes | 100 | 40 / 50 / 60 |" in lines
    assert "| meetings placed | 10 of 10 | 10 of 10 |" in lines
    assert len(lines) == 4 + len(ROWS)


def test_bad_limits_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--limits", "ti"])
    assert stopped.value.code == 2
    assert "tidsgrænser" in capsys.readouterr().err
