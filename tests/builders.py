"""What many tests build on: the fixture configs, a small config built from dicts, and users.

- `EXAMPLE` is the bundled example; `SMALL` and `TWO_DISTRICTS_FILE` are the YAML fixtures;
  `TWO_DISTRICTS` is the latter's text; `small_data()` is the small one with an address for
  everyone, `write_config` puts data in a file.
- `small_config(**top)` is "Testkommune" (below), with any top-level key replaced; `person`,
  `series`, `term` and `unit` build the dicts that go into it, so a test states only what it changes.
- `hand_plan(term, *meetings)` is a plan of hand-placed meetings; `solved_and_verified(config)` a
  quick solve (one worker, 5 s) that the verifier passes.
- One user of every role for the two-district config: each user's bearer token is `token(key)`;
  `directory()` is the users as the API reads them.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from ortools.sat.python import cp_model

import scheduler.solve as solve_module
from api.auth import Directory, Role, UserEntry, token_hash
from scheduler.config import config_from_data
from scheduler.model import Attendee, BalAssignment, BalRollout, Meeting, MunicipalityConfig, Plan, PlanStatus
from scheduler.term_dates import local_datetime

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ballerup.yaml"
"""the bundled example config"""
SMALL = FIXTURES / "small.yaml"
TWO_DISTRICTS_FILE = FIXTURES / "two_districts.yaml"
TWO_DISTRICTS = TWO_DISTRICTS_FILE.read_text(encoding="utf-8")
TERM = "foraar-2027"

# --------------------------------------------------------------------------- the fixtures


def small_data(**changes: Any) -> dict[str, Any]:
    """The small fixture as data, everyone with an address `<id>@ballerup.example` (the e-mail and
    Exchange back-ends need one); `changes` replace top-level keys."""
    data: dict[str, Any] = yaml.safe_load(SMALL.read_text(encoding="utf-8"))
    for person in data["staff"]:
        person["email"] = f"{person['id']}@ballerup.example"
    data.update(changes)
    return data


def write_config(folder: Path, data: dict[str, Any]) -> Path:
    """`data` as `folder/config.yaml`, for the command line."""
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- a config from dicts


def person(pid: str, *roles: str, **extra: Any) -> dict[str, Any]:
    """A person who serves everyone; the name is the id in words ("psykolog-a" -> "Psykolog A")."""
    return {
        "id": pid,
        "name": extra.pop("name", pid.replace("-", " ").title()),
        "roles": list(roles) or ["paedagogisk_leder"],
        "serves": extra.pop("serves", {"all": True}),
        **extra,
    }


def series(sid: str, **extra: Any) -> dict[str, Any]:
    """A weekly two-hour meeting at Nordskolen with no seats; tests add what they need."""
    return {
        "id": sid,
        "type": "andet",
        "title": extra.pop("title", sid),
        "unit": extra.pop("unit", "nordskolen"),
        "cadence": extra.pop("cadence", "weekly"),
        "duration_minutes": extra.pop("duration_minutes", 120),
        **extra,
    }


EFTERAAR_START = date(2027, 9, 6)  # a Monday
EFTERAAR_END = date(2027, 10, 1)  # the Friday four weeks later


def term(tid: str = "efteraar", **extra: Any) -> dict[str, Any]:
    """Efterår: the four weeks from EFTERAAR_START to EFTERAAR_END, no helligdage."""
    start, end = EFTERAAR_START.isoformat(), EFTERAAR_END.isoformat()
    return {"id": tid, "name": "Efterår", "start": start, "end": end, **extra}


def unit(uid: str, name: str, kind: str, *sites: str, district: str = "nord") -> dict[str, Any]:
    """A unit of one district, meeting at these sites."""
    return {"id": uid, "name": name, "kind": kind, "districts": [district], "sites": list(sites)}


def small_config_data(**top: Any) -> dict[str, Any]:
    """Testkommune: district Nord, Nordskolen at the site skolen, the day-care Solsikken at huset
    (one room each), one pædagogisk leder, the term `term()`, no series; `top` replaces keys."""
    data: dict[str, Any] = {
        "municipality": "Testkommune",
        "districts": [{"id": "nord", "name": "Nord"}],
        "sites": [
            {"id": "skolen", "name": "Nordskolen", "rooms": 1},
            {"id": "huset", "name": "Børnehuset", "rooms": 1},
        ],
        "units": [
            unit("nordskolen", "Nordskolen", "skole", "skolen"),
            unit("solsikken", "Solsikken", "dagtilbud", "huset"),
        ],
        "staff": [person("leder")],
        "terms": [term()],
        "series": [],
    }
    data.update(copy.deepcopy(top))
    return data


def small_config(**top: Any) -> MunicipalityConfig:
    return config_from_data(small_config_data(**top))


# --------------------------------------------------------------------------- users of every role

# key -> (name, role, person, districts)
USERS: dict[str, tuple[str, Role, str | None, list[str]]] = {
    "admin": ("Kommunens IT", Role.admin, None, []),
    "baltorp": ("Leder Baltorp", Role.distriktsleder, None, ["baltorp"]),
    "skovlunde": ("Leder Skovlunde", Role.distriktsleder, None, ["skovlunde"]),
    "psyk-a": ("Psykolog A", Role.staff, "psykolog-a", []),
    "psyk-b": ("Psykolog B", Role.staff, "psykolog-b", []),
    "fsr": ("Socialrådgiver", Role.staff, "fsr", []),
    "hr": ("HR-system", Role.service, None, []),
}


def token(key: str) -> str:
    return f"token-{key}"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(key)}"}


def user_entry(key: str) -> UserEntry:
    name, role, person, districts = USERS[key]
    digest = token_hash(token(key))
    return UserEntry(name=name, role=role, token_sha256=digest, person=person, districts=districts)


def directory(keys: list[str] | None = None) -> Directory:
    """These users (all by default), as the API's users directory."""
    return Directory([user_entry(key) for key in (list(USERS) if keys is None else keys)])


def solved_and_verified(config: MunicipalityConfig) -> Plan:
    """A plan of the config found with one worker in at most 5 s, which the verifier passes."""
    from scheduler.solve import SolveOptions, solve  # late: most users of this module never solve
    from scheduler.verify import verify_plan

    plan = solve(config, options=SolveOptions(time_limit=5, workers=1))
    assert plan.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE), plan.explanation
    assert verify_plan(config, plan) == []
    return plan


def hand_plan(
    term: str,
    *meetings: Meeting,
    municipality: str = "Testkommune",
    status: PlanStatus = PlanStatus.FEASIBLE,
    solve_seconds: float = 0,
) -> Plan:
    """A plan of hand-placed meetings (feasible unless `status` says otherwise), as the slot finder,
    the verifier and the calendar writers read one."""
    return Plan(
        municipality=municipality,
        term=term,
        status=status,
        solve_seconds=solve_seconds,
        meetings=list(meetings),
    )


def series_meeting(
    sid: str,
    occurrence: int,
    day: date,
    minute: int = 13 * 60,
    *,
    unit: str = "nordskolen",
    site: str = "skolen",
    minutes: int = 120,
) -> Meeting:
    """A meeting of series `sid` (two hours at Nordskolen unless told) chaired by the leder, on
    `day` at `minute` (local time), for hand-built plans of `small_config` series."""
    start = local_datetime(day, minute)
    return Meeting(
        uid=f"{sid}-{occurrence}",
        series=sid,
        occurrence=occurrence,
        title=sid,
        unit=unit,
        site=site,
        start=start,
        end=start + timedelta(minutes=minutes),
        attendees=[Attendee(person="leder", role="paedagogisk_leder", required=True, seat="chair")],
    )


# --------------------------------------------------------------------------- partial seats (issue 14)

ONCE = {"kind": "per_term", "count": 1}
"""a cadence of one meeting in the term"""


def council(part: Any = "last 45", **extra: Any) -> dict[str, Any]:
    """'raad': one Tuesday meeting 13:00-15:00 at Nordskolen (the only start its window allows),
    chaired by leder, with ssp in a seat for `part` of it."""
    keys = {"cadence": ONCE, "weekdays": ["tue"], "window": "13:00-15:00", "chair": "leder"}
    return series("raad", required_roles=[{"person": "ssp", "part": part}], **{**keys, **extra})


def daycare(window: str = "12:00-16:00", minutes: int = 60) -> dict[str, Any]:
    """'dagtilbud': one Tuesday meeting at Solsikken (the site huset) within `window`, with ssp."""
    return series(
        "dagtilbud",
        unit="solsikken",
        cadence=ONCE,
        weekdays=["tue"],
        window=window,
        duration_minutes=minutes,
        required_people=["ssp"],
    )


SSP_LAST_45 = Attendee(
    person="ssp",
    role="paedagogisk_leder",
    required=True,
    seat="required_roles[0]",
    joins_after_minutes=75,
    leaves_after_minutes=120,
)
"""ssp in the council's seat, as a plan records the last 45 minutes of two hours"""

CHAIR = Attendee(person="leder", role="paedagogisk_leder", required=True, seat="chair")
"""leder in the council's chair"""

COUNCIL_DAY = date(2027, 9, 7)
"""the Tuesday of the first week of `term()`"""


def council_meeting(start: int = 13 * 60, *attendees: Attendee, minutes: int = 120) -> Meeting:
    """The council's one meeting on COUNCIL_DAY from `start` (minutes after midnight), as a plan
    holds it; by default chaired by leder with ssp for the last 45 minutes."""
    return Meeting(
        uid="raad.efteraar.0@moedeplan",
        series="raad",
        occurrence=0,
        title="raad",
        unit="nordskolen",
        site="skolen",
        start=local_datetime(COUNCIL_DAY, start),
        end=local_datetime(COUNCIL_DAY, start + minutes),
        attendees=list(attendees or (CHAIR, SSP_LAST_45)),
    )


# --------------------------------------------------------------------------- a speech therapist's term

SPEECH_KK_TITLE = "Koordineringskonference, skole, Nordskolen"


def speech_config(
    absences: list[dict[str, str]] | None = None, substitute: bool = False
) -> MunicipalityConfig:
    """A fortnightly conference that needs the one speech therapist (Tale-hørelærer B, away on
    `absences`; with `substitute`, Tale-hørelærer C shares the role), and a weekly day-care meeting."""
    staff = [
        person("leder"),
        person("tale-b", "tale_hoerelaerer", name="Tale-hørelærer B", absences=absences or []),
    ]
    if substitute:
        staff.append(person("tale-c", "tale_hoerelaerer", name="Tale-hørelærer C"))
    return small_config(
        staff=staff,
        series=[
            series(
                "kk",
                title=SPEECH_KK_TITLE,
                cadence="fortnightly",
                window="12:30-16:00",
                chair="leder",
                required_roles=[{"role": "tale_hoerelaerer"}],
            ),
            series("dag", unit="solsikken", window="13:00-15:00", chair="leder"),
        ],
    )


def at_time(start: str, clock: str, *, unless: str | None = None) -> str:
    """The same day as an ISO start ('2027-01-05T12:30:00+01:00') at another local time `clock`
    ('14:00'), or at `unless` when the start is already at `clock`: tests move meetings relative
    to the plan's own times, whatever start the solver chose."""
    chosen = unless if unless is not None and start[11:16] == clock else clock
    return f"{start[:11]}{chosen}{start[16:]}"


# --------------------------------------------------------------------------- BAL (rollout)
#
# `rollout_config(teams, facilitators, **bal)`: Testkommune with a second school far from PPR's
# office, three psychologists and a `bal:` section: rounds of 4 weeks (the term `term()` first),
# 2 analyses of 90 minutes per team, one course session, capacity 30. Trips from the office: 10
# minutes to Nordskolen, 15 to Solsikken, 40 to Sydskolen, so a team costs its facilitator
# 2 × (90 + 2 × trip) minutes in its round: 220 at Nordskolen, 240 at Solsikken, 340 at Sydskolen.


def bal_team(tid: str, unit: str = "nordskolen", size: int = 10, **extra: Any) -> dict[str, Any]:
    """A team of `size` people at `unit`; the name is the id in words."""
    name = extra.pop("name", tid.replace("-", " ").title())
    return {"id": tid, "name": name, "unit": unit, "size": size, **extra}


def bal_facilitator(pid: str = "psykolog-a", hours: float = 2.5, **extra: Any) -> dict[str, Any]:
    """A facilitator with `hours` a week for BAL (2.5 h: 600 minutes a 4-week round), based at PPR."""
    return {"person": pid, "hours_per_week": hours, "base_site": extra.pop("base_site", "ppr"), **extra}


def rollout_config_data(
    teams: list[dict[str, Any]],
    facilitators: list[dict[str, Any]] | None = None,
    weights: dict[str, int] | None = None,
    top: dict[str, Any] | None = None,
    **bal: Any,
) -> dict[str, Any]:
    """The config's data; `bal` replaces keys of its `bal:` section, `weights` and `top` (e.g.
    terms) keys of the top level."""
    section: dict[str, Any] = {
        "max_rounds": 6,
        "round_weeks": 4,
        "teams": teams,
        "facilitators": facilitators if facilitators is not None else [bal_facilitator()],
        "course": {"sessions": 1, "capacity": 30, "sites": ["skolen"]},
        "sequence": {"analyses": 2, "minutes": 90},
        **bal,
    }
    data = small_config_data(
        sites=[
            {"id": "skolen", "name": "Nordskolen", "rooms": 1},
            {"id": "huset", "name": "Børnehuset", "rooms": 1},
            {"id": "sydskolen", "name": "Sydskolen", "rooms": 1},
            {"id": "ppr", "name": "PPR", "rooms": 1},
        ],
        units=[
            unit("nordskolen", "Nordskolen", "skole", "skolen"),
            unit("solsikken", "Solsikken", "dagtilbud", "huset"),
            unit("sydskolen", "Sydskolen", "skole", "sydskolen"),
        ],
        travel={
            "default_minutes": 20,
            "pairs": [
                {"sites": ["ppr", "skolen"], "minutes": 10},
                {"sites": ["ppr", "huset"], "minutes": 15},
                {"sites": ["ppr", "sydskolen"], "minutes": 40},
            ],
        },
        staff=[person("leder"), *(person(f"psykolog-{c}", "psykolog") for c in "abc")],
        series=[series("konference")],
    )
    data["bal"] = section
    if weights is not None:
        data["weights"] = weights
    data.update(copy.deepcopy(top or {}))
    return data


def rollout_config(
    teams: list[dict[str, Any]],
    facilitators: list[dict[str, Any]] | None = None,
    weights: dict[str, int] | None = None,
    top: dict[str, Any] | None = None,
    **bal: Any,
) -> MunicipalityConfig:
    return config_from_data(rollout_config_data(teams, facilitators, weights, top, **bal))


def wasteful_order_teams() -> list[dict[str, Any]]:
    """Three near teams (220 minutes) before three far ones (340): first fit in list order takes
    four 600-minute rounds of one facilitator (220+220, 220+340, 340, 340), three do (220+340 each)."""
    near = [bal_team(f"nord-{k}", "nordskolen") for k in (1, 2, 3)]
    far = [bal_team(f"syd-{k}", "sydskolen") for k in (1, 2, 3)]
    return near + far


# --------------------------------------------------------------------------- BAL (joint model)

BAL_TERM = "efteraar"
"""the term of `bal_config`: `term()`, four weeks from Monday 6 September 2027"""

BAL_COURSE_DAY = date(2027, 9, 15)
"""the one open Wednesday of `bal_config`'s first half (the 8th is a closed day): the course's day"""


def bal_config(**top: Any) -> MunicipalityConfig:
    """Testkommune with a BAL programme: Psykolog A (max one meeting a day, soft) sits in the
    weekly Thursday coordination conference at Nordskolen and facilitates the teams; Psykolog B is
    another psychologist. One course session (Wednesdays 09:00-12:00 at Nordskolen, 8 September
    closed), then two analyses of 90 minutes on Tuesdays or Thursdays, 7-14 days apart, the first
    after the course session. `top` replaces keys (e.g. `bal=`)."""
    return config_from_data(bal_config_data(**top))


def bal_yaml(**top: Any) -> str:
    """`bal_config`'s data as YAML text, for uploading through the API."""
    return str(yaml.safe_dump(bal_config_data(**top), allow_unicode=True, sort_keys=False))


BAL_TWO_DISTRICTS: dict[str, Any] = {
    "districts": [{"id": "baltorp", "name": "Baltorp"}, {"id": "skovlunde", "name": "Skovlunde"}],
    "units": [
        unit("nordskolen", "Nordskolen", "skole", "skolen", district="baltorp"),
        unit("solsikken", "Solsikken", "dagtilbud", "huset", district="skovlunde"),
    ],
}
"""`top` for `bal_config`: Nordskolen (team-1) in Baltorp, Solsikken (team-2) in Skovlunde, the
districts of the `baltorp` and `skovlunde` users."""


def bal_config_data(**top: Any) -> dict[str, Any]:
    """`bal_config`'s data, for a config file."""
    data = small_config_data(
        staff=[
            person("leder"),
            person("psykolog-a", "psykolog", name="Psykolog A", max_meetings_per_day=1),
            person("psykolog-b", "psykolog", name="Psykolog B"),
        ],
        public_holidays={"extra": [{"date": "2027-09-08", "name": "Personaledag"}]},
        series=[
            series(
                "kk",
                type="koordineringskonference_skole",
                title="Koordineringskonference, skole, Nordskolen",
                weekdays=["thu"],
                window="12:30-16:00",
                chair="leder",
                required_people=["psykolog-a"],
            )
        ],
        bal=bal_data(),
    )
    data.update(copy.deepcopy(top))
    return data


def conference_in_the_way_data() -> dict[str, Any]:
    """`bal_config`'s data where BAL must move the conference: it prefers 14:00 (12:30-16:00 on
    Thursdays, two hours), and team 1's analyses (alone: Solsikken's team is left out) can only be
    on Thursdays 14:00-16:00 with Psykolog A, who sits in it. So a Thursday with an analysis has
    the conference at 12:30, the analysis at 14:30."""
    data = bal_config_data()
    data["series"][0]["preferred_starts"] = ["14:00"]
    data["bal"]["teams"] = data["bal"]["teams"][:1]
    data["bal"]["sequence"].update({"weekdays": ["thu"], "window": "14:00-16:00"})
    return data


def bal_data(**changes: Any) -> dict[str, Any]:
    """`bal_config`'s `bal:` section: two teams (Nordskolen, Solsikken), Psykolog A facilitating."""
    data: dict[str, Any] = {
        "first_term": BAL_TERM,
        "teams": [
            {"id": "team-1", "name": "Nordskolen, team 1", "unit": "nordskolen", "size": 6},
            {"id": "team-2", "name": "Solsikken, team 1", "unit": "solsikken", "size": 5},
        ],
        "facilitators": [{"person": "psykolog-a", "hours_per_week": 4}],
        "course": {
            "sessions": 1,
            "minutes": 180,
            "capacity": 60,
            "sites": ["skolen"],
            "weekdays": ["wed"],
            "window": "09:00-12:00",
        },
        "sequence": {
            "analyses": 2,
            "minutes": 90,
            "min_gap_days": 7,
            "max_gap_days": 14,
            "weekdays": ["tue", "thu"],
        },
    }
    data.update(changes)
    return data


def bal_rollout(
    *teams: str,
    facilitator: str = "psykolog-a",
    term: str = BAL_TERM,
    facilitators: dict[str, str] | None = None,
) -> BalRollout:
    """A hand-made rollout: these teams in round 1 (`term`), one course group, one facilitator
    (`facilitators`: team id -> another one for that team)."""
    chosen = facilitators or {}
    return BalRollout(
        municipality="Testkommune",
        status=PlanStatus.FEASIBLE,
        rounds_used=1,
        assignments=[
            BalAssignment(
                team=team, round=1, term=term, facilitator=chosen.get(team, facilitator), course_group=1
            )
            for team in teams
        ],
    )


def cpsat_out_of_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every CP-SAT solve of `scheduler.solve` stops before its first solution (its own time
    parameter at 0), as a city's model on a loaded machine may within a short limit."""
    real = solve_module._solver

    def out_of_time(*args: Any, **kwargs: Any) -> cp_model.CpSolver:
        solver = real(*args, **kwargs)
        solver.parameters.max_time_in_seconds = 0.0
        return solver

    monkeypatch.setattr(solve_module, "_solver", out_of_time)
