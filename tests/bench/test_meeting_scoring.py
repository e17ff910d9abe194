"""The benchmark's independent score on hand-made assignments whose scores are worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from bench.meeting_scheduling.__main__ import main as bench_main
from bench.meeting_scheduling.instance import Instance, load_instance
from bench.meeting_scheduling.score import Placement, score_assignment
from bench.meeting_scheduling.solve import MeetingModel, solve_instance

BENCH = Path("/work/shared/bench/meeting-scheduling")


def tiny() -> Instance:
    """Two days of four grains (1-4, 5-8); room A seats 3, room B 2."""
    grains = [
        {"id": str(g), "grain_index": g, "day_of_year": 1 if g <= 4 else 2, "starting_minute_of_day": 480}
        for g in range(1, 9)
    ]
    return Instance.model_validate(
        {
            "people": [{"id": p} for p in ("p1", "p2", "p3", "p4")],
            "rooms": [{"id": "A", "capacity": 3}, {"id": "B", "capacity": 2}],
            "time_grains": grains,
            "meetings": [
                {
                    "id": "m1",
                    "duration_grains": 2,
                    "required_attendees": ["p1"],
                    "preferred_attendees": ["p2"],
                },
                {"id": "m2", "duration_grains": 2, "required_attendees": ["p1", "p3"]},
                {
                    "id": "m3",
                    "duration_grains": 1,
                    "required_attendees": ["p4"],
                    "preferred_attendees": ["p2", "p3"],
                },
            ],
        }
    )


def assign(**placements: tuple[int, str]) -> dict[str, Placement]:
    return {k: Placement(start_grain_index=s, room=r) for k, (s, r) in placements.items()}


def test_feasible_assignment_soft_terms() -> None:
    # m1 1-2 in A, m2 3-4 in B, m3 8 in A.
    score = score_assignment(tiny(), assign(m1=(1, "A"), m2=(3, "B"), m3=(8, "A")))
    assert (score.hard, score.medium) == (0, 0)
    b = score.breakdown
    assert b["as_soon_as_possible"] == 2 + 4 + 8
    assert b["one_grain_break"] == 100  # m2 starts right after m1's last grain
    assert b["overlapping_meetings"] == 0
    assert b["larger_rooms_first"] == 1  # m2 in B, A is larger by one seat
    assert b["room_stability"] == 1  # p1 goes from A to B with no grain between
    assert score.soft == -116


def test_conflicts_capacity_and_medium() -> None:
    # m1 1-2 in A, m2 2-3 in A (same room, shares p1), m3 3 in B (three people in two seats).
    score = score_assignment(tiny(), assign(m1=(1, "A"), m2=(2, "A"), m3=(3, "B")))
    b = score.breakdown
    assert (b["room_conflict"], b["required_attendance_conflict"], b["room_capacity"]) == (1, 1, 1)
    assert score.hard == -3
    assert b["required_and_preferred_attendance_conflict"] == 1  # p3: required m2, preferred m3
    assert b["preferred_attendance_conflict"] == 0
    assert score.medium == -1
    assert b["one_grain_break"] == 100  # m3 right after m1
    assert b["overlapping_meetings"] == 20  # m1/m2 and m2/m3 share a grain each
    assert b["room_stability"] == 0  # same room
    assert score.soft == -(2 + 3 + 3) - 100 - 20 - 1


def test_overtime_and_days() -> None:
    # m2 4-5 crosses the night; m1 8-9 runs past the last grain.
    score = score_assignment(tiny(), assign(m1=(8, "B"), m2=(4, "A"), m3=(1, "A")))
    assert score.breakdown["overtime"] == 9
    assert score.breakdown["same_day"] == 1
    assert score.hard == -10


def test_person_rules_count_per_person() -> None:
    inst = tiny()
    both = inst.model_copy(
        update={
            "meetings": [
                inst.meetings[0].model_copy(update={"required_attendees": ["p1", "p3"]}),
                *inst.meetings[1:],
            ]
        }
    )
    score = score_assignment(both, assign(m1=(1, "A"), m2=(1, "B"), m3=(8, "A")))
    assert score.breakdown["required_attendance_conflict"] == 2 * 2  # p1 and p3, two grains each


def test_lexicographic_order() -> None:
    good = score_assignment(tiny(), assign(m1=(1, "A"), m2=(3, "B"), m3=(8, "A")))
    bad = score_assignment(tiny(), assign(m1=(1, "A"), m2=(2, "A"), m3=(3, "B")))
    assert good > bad


def test_rejects_incomplete_or_unknown() -> None:
    with pytest.raises(ValueError, match="lacks"):
        score_assignment(tiny(), assign(m1=(1, "A")))
    with pytest.raises(ValueError, match="room"):
        score_assignment(tiny(), assign(m1=(1, "C"), m2=(3, "B"), m3=(8, "A")))


def test_solver_on_tiny_is_perfect_for_hard_and_medium_and_agrees_with_score() -> None:
    result = solve_instance(tiny(), time_limit=2, workers=2)
    assert (result.score.hard, result.score.medium) == (0, 0)
    assert sum(result.model_terms.values()) == -result.score.soft
    assert result.model_terms["as_soon_as_possible"] == result.score.breakdown["as_soon_as_possible"]


def test_model_soft_terms_match_the_score_on_a_fixed_assignment() -> None:
    inst = load_instance(BENCH / "demo_x1.json")
    from bench.meeting_scheduling.solve import greedy

    assignment = greedy(inst)
    assert assignment is not None
    mm = MeetingModel(inst)
    mm.model.minimize(mm.soft)
    mm.hint(assignment)
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 2
    assert solver.solve(mm.model) == cp_model.OPTIMAL
    score = score_assignment(inst, assignment)
    assert {k: solver.value(v) for k, v in mm.soft_terms.items()} == {
        k: score.breakdown[k] for k in mm.soft_terms
    }
    assert solver.value(mm.medium) == -score.medium


@pytest.mark.solve
def test_entry_point_x1(tmp_path: Path) -> None:
    """`python -m bench.meeting_scheduling` solves x1 and writes the referee's score."""
    out = tmp_path / "result.json"
    args = [
        str(BENCH / "demo_x1.json"),
        "--time-limit",
        "4",
        "--workers",
        "2",
        "--out",
        str(out),
    ]
    assert bench_main(args) == 0
    data = json.loads(out.read_text())
    assert data["score"]["hard"] == 0
    assert data["first_feasible_s"] < 4
    rescored = score_assignment(
        load_instance(BENCH / "demo_x1.json"),
        {k: Placement.model_validate(v) for k, v in data["assignment"].items()},
    )
    assert rescored.as_dict() == data["score"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--time-limit", "0.1"], "skal være mindst 0.5"),
        (["--workers", "0"], "skal være mindst 1 og højst 64"),
        (["--workers", "to"], "er ikke et heltal"),
        (["--seed", "-1"], "skal være mindst 0"),
    ],
)
def test_entry_point_rejects_bad_arguments_in_danish(
    args: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        bench_main([str(BENCH / "demo_x1.json"), "--out", str(tmp_path / "r.json"), *args])
    assert stopped.value.code == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_entry_point_bad_instance_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"people": 3}', encoding="utf-8")
    assert bench_main([str(tmp_path / "missing.json")]) == 2
    assert "filen findes ikke" in capsys.readouterr().err
    assert bench_main([str(broken), "--out", str(tmp_path / "r.json")]) == 2
    assert "er ikke en meeting-scheduling-instans" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_entry_point_runs_as_a_module(tmp_path: Path) -> None:
    """The real `python -m` invocation (exit code 2 on a missing file), and the product's CLI has no bench."""
    import subprocess
    import sys

    from typer.main import get_command

    from api.cli import app

    done = subprocess.run(
        [sys.executable, "-m", "bench.meeting_scheduling", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "filen findes ikke" in done.stderr
    assert "bench-meetings" not in get_command(app).commands  # type: ignore[attr-defined]
