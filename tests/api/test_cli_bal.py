"""The BAL commands of the command line: bal-rollout, bal-whatif, bal-why; their output in Danish
and exit 2 with a Danish message on bad input (never a traceback)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner, Result

from api.bal_summary import bar, cost_lines
from api.cli import app
from scheduler.bal_whatif import WhatIfOptions, what_if
from scheduler.config import config_from_data
from scheduler.model import BalRollout
from tests.builders import (
    bal_facilitator,
    bal_team,
    conference_in_the_way_data,
    rollout_config_data,
    small_config_data,
    wasteful_order_teams,
    write_config,
)

QUICK = ("--time-limit", "2", "--workers", "1")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def wasteful(folder: Path, facilitators: int = 1) -> Path:
    """The six teams of `wasteful_order_teams` with the first `facilitators` of psykolog-a, -b, -c."""
    chosen = [bal_facilitator(f"psykolog-{c}") for c in "abc"[:facilitators]]
    return write_config(folder, rollout_config_data(wasteful_order_teams(), chosen))


def test_bal_rollout_prints_rounds_and_load_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "out" / "rollout.json"
    result = run("bal-rollout", wasteful(tmp_path), "--out", out, *QUICK)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Alle 6 team er igennem efter 3 runder (sidst runde 3)."
    assert "  Runde 1 (Efterår): 2 team, 1 kursushold, 4 uger" in result.stdout
    assert "  Runde 3: 2 team, 1 kursushold, 4 uger" in result.stdout
    assert "  Psykolog A: 2,3 · 2,3 · 2,3 (af 2,5; 6 team)" in result.stdout
    rollout = BalRollout.model_validate_json(out.read_bytes())
    assert rollout.rounds_used == 3 and len(rollout.assignments) == 6


def test_bal_whatif_tabulates_teams_through_per_round_for_each_number_of_facilitators(tmp_path: Path) -> None:
    result = run("bal-whatif", wasteful(tmp_path, 3), "--facilitators", "1,3", "--hours", "2.5", *QUICK)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "Team igennem ved slutningen af hver runde (i alt 6 team), med K facilitatorer à 2,5 timer om ugen:"
    )
    assert lines[1].split() == ["K", "facilitatorer", "1", "3"]
    assert lines[2].split() == ["runde", "1", "(Efterår)", "2", "6"]
    assert lines[3].split() == ["runde", "2", "4", "6"]
    assert lines[4].split() == ["runde", "3", "6", "6"]
    assert lines[5].split() == ["alle", "igennem", "i", "runde", "3", "i", "runde", "1"]


def test_bal_whatif_says_who_waits(tmp_path: Path) -> None:
    # at one hour a week (240 minutes a round) the Sydskolen teams (340 minutes) never fit
    result = run("bal-whatif", wasteful(tmp_path), "--facilitators", "1", "--hours", "1", *QUICK)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[5].split() == ["alle", "igennem", "nej,", "3", "venter"]
    assert lines[8].split() == ["1", "facilitator", "▂", "▃", "▄", "nej,", "3", "venter"]


def test_bal_whatif_draws_a_bar_per_round_for_each_number_of_facilitators(tmp_path: Path) -> None:
    config = wasteful(tmp_path, 3)
    result = run("bal-whatif", config, "--facilitators", "1,2,3", "--hours", "2.5", *QUICK)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    chart = lines[lines.index("Team igennem pr. runde (█ = alle 6 team):") + 1 :][:3]
    assert [line.split() for line in chart] == [
        ["1", "facilitator", "▃", "▆", "█", "alle", "igennem", "i", "runde", "3"],
        ["2", "facilitatorer", "▆", "█", "█", "alle", "igennem", "i", "runde", "2"],
        ["3", "facilitatorer", "█", "█", "█", "alle", "igennem", "i", "runde", "1"],
    ]


def test_a_full_bar_only_when_every_team_is_through() -> None:
    # eighths of 203, rounded up: 1-25 teams the lowest bar, 26 the next; 179 would be full
    shown = "".join(bar(n, 203) for n in (0, 1, 25, 26, 100, 179, 202, 203))
    assert shown == "·▁▁▂▄▇▇█"


def test_bal_whatif_prices_the_round_in_the_meeting_structure(tmp_path: Path) -> None:
    config = write_config(tmp_path, conference_in_the_way_data())
    result = run("bal-whatif", config, "--facilitators", "1", *QUICK)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = lines.index("Prisen i mødestrukturen i Efterår (runde 1), planlagt uden BAL → med BAL:")
    assert [line.split() for line in lines[at + 1 :]] == [
        ["K", "facilitatorer", "1"],
        ["strukturens", "møder", "flyttet", "2", "af", "4"],
        ["BAL-møder", "planlagt", "3"],
        ["regelmæssighed", "%", "(samme", "ugedag", "og", "tid)", "100,0", "→", "50,0"],
        ["travleste", "facilitator,", "minutter", "om", "ugen", "120", "→", "165"],
    ]


def test_moves_of_the_joint_plan_itself_are_said_as_at_most() -> None:
    config = config_from_data(conference_in_the_way_data())
    (row,) = what_if(config, [1], None, WhatIfOptions(time_limit=2, workers=1, seed=0))
    assert row.cost is not None and row.cost.how == "least_change"
    joint = replace(row, cost=replace(row.cost, how="joint"))
    moved = [
        line.split() for line in cost_lines(config, [row]) + cost_lines(config, [joint]) if "flyttet" in line
    ]
    assert moved == [
        ["strukturens", "møder", "flyttet", "2", "af", "4"],
        ["strukturens", "møder", "flyttet", "højst", "2", "af", "4"],
    ]


def test_bal_whatif_skips_the_structure_on_request(tmp_path: Path) -> None:
    config = write_config(tmp_path, conference_in_the_way_data())
    result = run("bal-whatif", config, "--facilitators", "1", "--no-structure-cost", *QUICK)
    assert result.exit_code == 0, result.output
    assert "Prisen i mødestrukturen" not in result.stdout
    assert "1 facilitator" in result.stdout


def test_bal_why_explains_with_names_and_numbers(tmp_path: Path) -> None:
    config = wasteful(tmp_path)
    out = tmp_path / "rollout.json"
    assert run("bal-rollout", config, "--out", out, *QUICK).exit_code == 0
    last = next(a.team for a in BalRollout.model_validate_json(out.read_bytes()).assignments if a.round == 3)
    result = run("bal-why", config, last, "--rollout", out, *QUICK)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("er med i runde 3 med Psykolog A som facilitator.")
    assert lines[2].startswith("  Psykolog A har 2,3 af 2,5 timer om ugen brugt i runde 1 og 2")


def test_bal_why_plans_first_without_a_rollout_file(tmp_path: Path) -> None:
    result = run("bal-why", wasteful(tmp_path), "nord-1", *QUICK)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("«Nord 1» (Nordskolen) er med i runde ")


def test_bad_input_exits_2_in_danish(tmp_path: Path) -> None:
    config = wasteful(tmp_path)
    cases = [
        (("bal-whatif", config, "--facilitators", "1,x"), "--facilitators: '1,x' skal være hele tal over 0"),
        (("bal-whatif", config, "--facilitators", "4"), "--facilitators: 4 er flere end de 1 facilitatorer"),
        (("bal-why", config, "nord1"), "TEAM: ukendt team 'nord1' (mente du 'nord-1'?)"),
        (("bal-why", config, "nord-1", "--rollout", tmp_path / "none.json"), "none.json: filen findes ikke"),
        (("bal-rollout", tmp_path / "missing.yaml"), "missing.yaml"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output


def test_a_config_without_a_bal_section_exits_2(tmp_path: Path) -> None:
    data = small_config_data(
        series=[
            {
                "id": "s",
                "type": "andet",
                "title": "s",
                "unit": "nordskolen",
                "cadence": "weekly",
                "duration_minutes": 60,
            }
        ]
    )
    result = run("bal-rollout", write_config(tmp_path, data))
    assert result.exit_code == 2
    assert "konfigurationen har ingen bal:-sektion (BAL-forløbet)" in result.stderr


def test_a_file_that_is_not_a_rollout_exits_2(tmp_path: Path) -> None:
    config = write_config(tmp_path, rollout_config_data([bal_team("nord-1")]))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"status": "OPTIMAL"}), encoding="utf-8")
    result = run("bal-why", config, "nord-1", "--rollout", bad)
    assert result.exit_code == 2
    assert "bad.json er ikke en rollout.json fra moedeplan bal-rollout:" in result.stderr
