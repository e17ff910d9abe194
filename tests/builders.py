"""What many tests build on: the two-district config and one user of every role for it.

Each user's bearer token is `token(key)`; `directory()` is the users as the API reads them.
"""

from __future__ import annotations

from pathlib import Path

from api.auth import Directory, Role, UserEntry, token_hash
from scheduler.model import Meeting, Plan, PlanStatus

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TWO_DISTRICTS = (FIXTURES / "two_districts.yaml").read_text(encoding="utf-8")
TERM = "foraar-2027"

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


def hand_plan(term: str, *meetings: Meeting, municipality: str = "Testkommune") -> Plan:
    """A feasible plan of hand-placed meetings, as the slot finder and the verifier read one."""
    return Plan(
        municipality=municipality,
        term=term,
        status=PlanStatus.FEASIBLE,
        solve_seconds=0,
        meetings=list(meetings),
    )
