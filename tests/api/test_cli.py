"""The command line integrations rely on: commands, files and exit codes (README, "Command line").

Most commands run in-process through typer's CliRunner; the exit-code contract is also checked
once through a real `python -m api.cli` process, where a traceback would show.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

import scheduler.solve as solve_module
from api.cli import app
from scheduler.model import Plan, PlanStatus
from tests.builders import SMALL, cpsat_out_of_time

ROOT = Path(__file__).parents[2]
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def small_data() -> dict[str, Any]:
    return yaml.safe_load(SMALL.read_text(encoding="utf-8"))


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small fixture planned once, quietly, into a folder the tests below read."""
    out = tmp_path_factory.mktemp("plan")
    result = run("plan", SMALL, "--out", out, "--time-limit", "10", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    return out


# --------------------------------------------------------------------------- validate


def test_validate_a_valid_config_in_a_process() -> None:
    done = run_process("validate", "tests/fixtures/small.yaml")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Konfigurationen er gyldig: 1 distrikter, 2 enheder, 7 personer")
    assert done.stderr == ""


def test_validate_reports_a_role_typo_with_its_place_in_a_process(tmp_path: Path) -> None:
    data = small_data()
    data["staff"][3]["roles"] = ["psykolg"]
    done = run_process("validate", str(write_yaml(tmp_path / "broken.yaml", data)))
    assert done.returncode == 2
    expected = "staff[3].roles[0] (personen 'psykolog-a'): ukendt rolle 'psykolg' (mente du 'psykolog'?)"
    assert expected in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stdout == ""


def test_validate_lists_every_problem(tmp_path: Path) -> None:
    data = small_data()
    data["staff"][3]["roles"] = ["psykolg"]
    data["series"][0]["unit"] = "nordskolan"
    result = run("validate", write_yaml(tmp_path / "broken.yaml", data))
    assert result.exit_code == 2
    assert "ukendt rolle 'psykolg' (mente du 'psykolog'?)" in result.stderr
    unit = "series[0].unit (serien 'kk-nordskolen'): ukendt enhed 'nordskolan' (mente du 'nordskolen'?)"
    assert unit in result.stderr
    assert "Fejl i konfigurationen" in result.stderr and "(2)" in result.stderr


def test_validate_missing_file(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "nowhere.yaml")
    assert result.exit_code == 2
    assert "filen findes ikke" in result.stderr


# --------------------------------------------------------------------------- plan


def test_plan_writes_plan_json(planned: Path) -> None:
    raw = json.loads((planned / "plan.json").read_text(encoding="utf-8"))
    assert raw["status"] in ("OPTIMAL", "FEASIBLE")
    assert raw["term"] == "foraar-2027"
    for key in ("objective", "best_bound", "solve_seconds"):
        assert isinstance(raw[key], (int, float)), key
    assert raw["objective"] >= raw["best_bound"]
    assert [c["rule"] for c in raw["rule_costs"]]
    for cost in raw["rule_costs"]:
        assert set(cost) >= {"rule", "title_da", "level", "weight", "violations", "cost"}
        assert cost["cost"] == cost["weight"] * cost["violations"]
    assert sum(c["cost"] for c in raw["rule_costs"]) == raw["objective"]
    assert raw["meetings"]
    uids = [m["uid"] for m in raw["meetings"]]
    assert len(uids) == len(set(uids))
    for m in raw["meetings"]:
        assert {"uid", "series", "title", "start", "end", "site", "attendees"} <= set(m)
        assert m["series"] in {"kk-nordskolen", "kk-nord-dagtilbud"}
        assert ISO_WITH_OFFSET.match(m["start"]) and ISO_WITH_OFFSET.match(m["end"]), m
        assert datetime.fromisoformat(m["end"]) - datetime.fromisoformat(m["start"]) == timedelta(hours=2)
        assert m["site"] in {"skole-a", "hus"}
        for a in m["attendees"]:
            assert set(a) >= {"person", "role", "required"}
            assert isinstance(a["required"], bool)
        assert {a["role"] for a in m["attendees"] if a["required"]} >= {"psykolog", "paedagogisk_leder"}
    # vinterferie (15-19 February) has no meeting
    assert not any(m["start"][:10] in {f"2027-02-{d}" for d in range(15, 20)} for m in raw["meetings"])


def test_plan_writes_ics_per_person(planned: Path) -> None:
    raw = json.loads((planned / "plan.json").read_text(encoding="utf-8"))
    attending = {a["person"] for m in raw["meetings"] for a in m["attendees"]}
    files = {p.stem for p in (planned / "ics" / "personer").glob("*.ics")}
    assert files == attending
    assert (planned / "ics" / "enheder" / "nordskolen.ics").exists()
    assert (planned / "ics" / "distrikter" / "nord.ics").exists()
    assert "BEGIN:VCALENDAR" in (planned / "ics" / "personer" / "psykolog-b.ics").read_text(encoding="utf-8")


def test_plan_prints_the_danish_summary(tmp_path: Path) -> None:
    result = run("plan", SMALL, "--out", tmp_path, "--time-limit", "10")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Mødeplan for Testkommune, Forår 2027" in out
    assert "Distrikt Nord" in out
    assert "Koordineringskonference, skole, Nordskolen (Nordskolen afd. A)" in out
    assert "Specialister" in out
    assert "Psykolog A" in out or "Psykolog B" in out
    assert "Skrevet:" in out
    assert "løser" in result.stderr  # the progress line


def test_plan_with_unknown_term(tmp_path: Path) -> None:
    result = run("plan", SMALL, "--term", "efteraar-2027", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "ukendt termin 'efteraar-2027'" in result.stderr and "foraar-2027" in result.stderr
    assert not (tmp_path / "out").exists()


def test_plan_without_a_plan_exits_3_with_the_reason_in_a_process(tmp_path: Path) -> None:
    # Psykolog A works Tuesday and Thursday only; without Psykolog B nobody serves a Wednesday.
    data = small_data()
    data["staff"] = [p for p in data["staff"] if p["id"] != "psykolog-b"]
    data["series"][0]["weekdays"] = ["wed"]
    data["series"] = data["series"][:1]  # with other series there would be a partial plan (exit 4)
    data["terms"][0].update(end="2027-02-12", school_holidays=[])  # six weeks keep the explanation quick
    config = write_yaml(tmp_path / "infeasible.yaml", data)
    done = run_process("plan", str(config), "--out", str(tmp_path / "out"), "--time-limit", "5", "--quiet")
    assert done.returncode == 3, done.stderr
    assert "Der findes ingen plan" in done.stderr
    assert "Psykolog A arbejder kun tirsdag og torsdag" in done.stderr
    assert "Traceback" not in done.stderr
    raw = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    assert raw["status"] == "INFEASIBLE" and raw["meetings"] == []
    assert raw["explanation"][0].startswith("Der findes ingen plan")
    assert not (tmp_path / "out" / "ics").exists()


def test_plan_whose_first_plan_could_not_be_improved_in_time_writes_it_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CP-SAT stopped before its first solution: the verified greedy plan is written, exit 0, and
    the leader is told why."""
    cpsat_out_of_time(monkeypatch)
    result = run("plan", SMALL, "--out", tmp_path / "out", "--time-limit", "2")
    assert result.exit_code == 0, result.output
    assert solve_module.UNIMPROVED_DA in result.stderr
    raw = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    assert raw["status"] == "FEASIBLE" and raw["objective"] is None and raw["meetings"]
    assert run("verify", SMALL, tmp_path / "out" / "plan.json").exit_code == 0


def test_plan_with_meetings_that_cannot_be_placed_exits_4_and_writes_the_rest(tmp_path: Path) -> None:
    # as above, but the other series can meet: a partial plan, the Wednesday conferences listed
    data = small_data()
    data["staff"] = [p for p in data["staff"] if p["id"] != "psykolog-b"]
    data["series"][0]["weekdays"] = ["wed"]
    data["terms"][0].update(end="2027-02-12", school_holidays=[])
    config = write_yaml(tmp_path / "partial.yaml", data)
    result = run("plan", config, "--out", tmp_path / "out", "--time-limit", "5", "--workers", "1")
    assert result.exit_code == 4, result.output
    assert "Ikke alle møder kan placeres" in result.stderr
    assert "Psykolog A arbejder kun tirsdag og torsdag" in result.stderr
    assert "delvis" in result.stdout and "Skrevet:" in result.stdout
    raw = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    assert raw["status"] == "PARTIAL" and raw["meetings"]
    assert {u["series"] for u in raw["unplaced"]} == {data["series"][0]["id"]}
    assert all(u["reason_da"] for u in raw["unplaced"])
    assert (tmp_path / "out" / "ics").exists()
    checked = run("verify", config, tmp_path / "out" / "plan.json")
    assert checked.exit_code == 0 and "kunne ikke placeres og er listet" in checked.stdout


# --------------------------------------------------------------------------- verify


def test_replan_with_an_absence_nobody_covers_exits_4_and_keeps_the_rest(
    planned: Path, tmp_path: Path
) -> None:
    # the school's leader (the conferences' chair) is away from Easter Monday to the end of April:
    # the last two fortnights' conferences are left out and listed; every other meeting keeps its
    # time and people (from 1 April, a fortnight would meet on 30 March and push its neighbour)
    data = small_data()
    leader = next(p for p in data["staff"] if p["id"] == "leder-skole")
    leader["absences"] = [{"start": "2027-03-29", "end": "2027-04-30"}]
    config = write_yaml(tmp_path / "away.yaml", data)
    live = planned / "plan.json"
    out = tmp_path / "out"
    result = run("replan", config, live, "--out", out, "--now", "2026-12-01T09:00+01:00", "--time-limit", "5")
    assert result.exit_code == 4, result.output
    assert "Ikke alle møder kan placeres" in result.stderr and "Pædagogisk leder skole" in result.stderr
    assert "delvis" in result.stdout and "Skrevet:" in result.stdout
    raw = Plan.model_validate_json((out / "plan.json").read_text(encoding="utf-8"))
    before = Plan.model_validate_json(live.read_text(encoding="utf-8"))
    assert raw.status == PlanStatus.PARTIAL and {u.series for u in raw.unplaced} == {"kk-nordskolen"}
    assert all(u.period_end.month == 4 for u in raw.unplaced)
    april = {m.uid for m in before.meetings if m.series == "kk-nordskolen" and m.occurrence >= 6}
    starts = {m.uid: m.start for m in raw.meetings}
    assert all(starts[m.uid] == m.start for m in before.meetings if m.uid not in april)
    changed = raw.stats.changed_meetings if raw.stats is not None else None
    assert changed is not None and 0 < changed <= len(april)
    assert run("verify", config, out / "plan.json").exit_code == 0
    bad = run("replan", config, live, "--out", out, "--now", "2026-12-01T09:00")
    assert bad.exit_code == 2 and "--now" in bad.stderr


def test_verify_accepts_the_plan(planned: Path) -> None:
    result = run("verify", SMALL, planned / "plan.json")
    assert result.exit_code == 0, result.output
    assert "Planen overholder alle regler" in result.stdout


def test_verify_rejects_a_meeting_moved_to_saturday(planned: Path, tmp_path: Path) -> None:
    raw = json.loads((planned / "plan.json").read_text(encoding="utf-8"))
    meeting = raw["meetings"][0]
    start = datetime.fromisoformat(meeting["start"])
    to_saturday = timedelta(days=5 - start.weekday())
    meeting["start"] = (start + to_saturday).isoformat()
    meeting["end"] = (datetime.fromisoformat(meeting["end"]) + to_saturday).isoformat()
    tampered = tmp_path / "plan.json"
    tampered.write_text(json.dumps(raw), encoding="utf-8")

    result = run("verify", SMALL, tampered)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("«Faste ugedage»: ") and "ligger om lørdagen" in line for line in lines), lines
    assert not any(meeting["uid"] in line for line in lines), lines  # people read titles and times
    assert all(line.split(":")[0] in {"«Faste ugedage»", "«Tilgængelighed»"} for line in lines), lines
    assert "regelbrud" in result.stderr


def test_verify_rejects_a_plan_without_meetings_for_a_term_with_series(tmp_path: Path) -> None:
    # What `plan` writes when no plan exists: status INFEASIBLE and no meetings.
    empty = Plan(
        municipality="Testkommune", term="foraar-2027", status=PlanStatus.INFEASIBLE, solve_seconds=1.0
    )
    saved = tmp_path / "plan.json"
    saved.write_text(empty.model_dump_json(), encoding="utf-8")

    result = run("verify", SMALL, saved)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        "«Planens opbygning»: planen har ingen møder, men terminen har 2 serier"
    ]
    assert "Planen overholder alle regler" not in result.stdout
    assert "1 regelbrud" in result.stderr


def test_verify_rejects_a_file_that_is_not_a_plan(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": "world"}), encoding="utf-8")
    result = run("verify", SMALL, other)
    assert result.exit_code == 2
    assert "er ikke en plan.json fra moedeplan" in result.stderr


def test_verify_missing_plan_file(tmp_path: Path) -> None:
    result = run("verify", SMALL, tmp_path / "nowhere.json")
    assert result.exit_code == 2


# --------------------------------------------------------------------------- export-ics and schema


def test_export_ics_for_an_existing_plan(planned: Path, tmp_path: Path) -> None:
    result = run("export-ics", SMALL, planned / "plan.json", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    again = sorted(p.relative_to(tmp_path) for p in (tmp_path / "ics").rglob("*.ics"))
    assert again == sorted(p.relative_to(planned) for p in (planned / "ics").rglob("*.ics"))


@pytest.mark.parametrize("which", ["plan", "config"])
def test_schema(which: str) -> None:
    result = run("schema", which)
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert "properties" in schema
    assert {"plan": "meetings", "config": "series"}[which] in schema["properties"]


def test_schema_of_something_else() -> None:
    result = run("schema", "calendar")
    assert result.exit_code == 2


def test_plan_with_a_cpr_number_in_a_title_writes_no_calendars(tmp_path: Path) -> None:
    data = small_data()
    data["series"][0]["title"] = "Konference om barn 010203-1234"
    config = write_yaml(tmp_path / "cpr.yaml", data)
    result = run_process("plan", str(config), "--out", str(tmp_path / "out"), "--quiet")
    assert result.returncode == 2, result.stderr
    assert "Ingen kalenderfiler skrevet" in result.stderr
    assert "010203-1234" not in result.stderr  # the guard never repeats what it guards
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "ics").exists()


def test_publish_sends_only_changes_and_refuses_confidential_text(
    planned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOEDEPLAN_LEDGER_PATH", str(tmp_path / "ledger.sqlite3"))
    monkeypatch.setenv("MOEDEPLAN_ICS_DIRECTORY", str(tmp_path / "calendars"))
    plan_file = planned / "plan.json"
    first = run("publish", SMALL, plan_file, "--backend", "ics")
    assert first.exit_code == 0, first.output
    assert re.search(r"Udsendt: [1-9]\d* beskeder til 7 personer", first.stdout)
    again = run("publish", SMALL, plan_file, "--backend", "ics")
    assert again.exit_code == 0 and "Udsendt: 0 beskeder" in again.stdout

    data = small_data()
    data["series"][0]["notes"] = "drøftelse af en konkret elevsag"
    leaky = json.loads(plan_file.read_text(encoding="utf-8"))
    leaky["meetings"][0]["title"] = "Konference: drøftelse af en konkret elevsag"
    (tmp_path / "leaky.json").write_text(json.dumps(leaky), encoding="utf-8")
    refused = run("publish", write_yaml(tmp_path / "note.yaml", data), tmp_path / "leaky.json")
    assert refused.exit_code == 2
    assert "fortroligt felt" in refused.stderr


def test_publish_to_an_unreachable_smtp_server_fails_fast_naming_the_setting(
    planned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11: about two hours of retries per recipient; now one quick failure, exit 1."""
    from tests.fakes.tcp import ClosedPort

    data = small_data()
    for person in data["staff"]:
        person["email"] = f"{person['id']}@ballerup.example"
    config = write_yaml(tmp_path / "with-email.yaml", data)
    monkeypatch.setenv("MOEDEPLAN_LEDGER_PATH", str(tmp_path / "ledger.sqlite3"))
    with ClosedPort() as closed:
        monkeypatch.setenv("MOEDEPLAN_SMTP_HOST", closed.host)
        monkeypatch.setenv("MOEDEPLAN_SMTP_PORT", str(closed.port))
        started = time.monotonic()
        result = run("publish", config, planned / "plan.json", "--backend", "email")
        assert time.monotonic() - started < 15
    assert result.exit_code == 1, result.output
    assert "Udsendt: 0 beskeder" in result.stdout
    assert f"SMTP-serveren {closed.host}:{closed.port} afviste forbindelsen" in result.stderr
    assert "MOEDEPLAN_SMTP_HOST" in result.stderr and "MOEDEPLAN_SMTP_PORT" in result.stderr
    assert re.search(r"\b[1-9]\d* beskeder venter i udbakken", result.stderr)
    assert result.stderr.count("fejl:") == 1 and "Traceback" not in result.output


def test_a_config_over_a_limit_is_exit_2_with_the_limit_not_a_traceback(tmp_path: Path) -> None:
    """YAML nested 50,000 deep was a RecursionError; through a real process, where a traceback shows."""
    deep = tmp_path / "deep.yaml"
    deep.write_text("municipality: X\nstaff: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    done = run_process("validate", str(deep))
    assert done.returncode == 2, done.stderr
    assert "indlejret mere end 50 niveauer dybt; højst 50 niveauer er tilladt" in done.stderr
    assert "Traceback" not in done.stderr
    big = tmp_path / "big.yaml"
    big.write_text(SMALL.read_text(encoding="utf-8") + "#" * 2_000_000 + "\n", encoding="utf-8")
    result = run("plan", big, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "højst 2.000.000 bytes er tilladt" in result.output
