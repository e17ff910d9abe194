"""Who is calling, and what they may do: four roles, checked on every route.

- admin (the municipality's IT): everything.
- distriktsleder: reads everything, changes only meetings of units in their own district(s).
- staff: their own calendar and their own absences.
- service (an HR or absence system): registers absences for anyone, reads proposals.

Callers present a bearer token. Tokens are never stored: the users file holds their SHA-256,
so a leaked file does not leak access. Calendar feeds use a separate, unguessable per-reader
token (HMAC of the reader's id), so a feed URL can be pasted into Outlook without a login.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from scheduler.model import MunicipalityConfig


class Role(StrEnum):
    admin = "admin"
    distriktsleder = "distriktsleder"
    staff = "staff"
    service = "service"


class UserEntry(BaseModel):
    name: str
    role: Role
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    person: str | None = Field(default=None, description="staff: the person id in the config")
    districts: list[str] = Field(default_factory=list, description="distriktsleder: their districts")


class UsersFile(BaseModel):
    users: list[UserEntry]


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    person: str | None = None
    districts: frozenset[str] = field(default_factory=frozenset)

    def may_change_unit(self, config: MunicipalityConfig, unit_id: str) -> bool:
        """Admins change anything; a district leader only units of their own districts."""
        if self.role == Role.admin:
            return True
        if self.role != Role.distriktsleder:
            return False
        unit = next((u for u in config.units if u.id == unit_id), None)
        return unit is not None and bool(set(unit.districts) & self.districts)

    def may_act_for(self, person_id: str) -> bool:
        """Registering an absence: for oneself (staff), anyone (admin, service, district leader)."""
        if self.role in (Role.admin, Role.service, Role.distriktsleder):
            return True
        return self.role == Role.staff and self.person == person_id


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Directory:
    """The users, keyed by token hash."""

    def __init__(self, users: list[UserEntry]):
        self._by_hash = {u.token_sha256: u for u in users}

    @classmethod
    def from_file(cls, path: Path) -> Directory:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {"users": []}
        return cls(UsersFile.model_validate(data).users)

    def authenticate(self, token: str) -> Principal | None:
        return self.by_token_hash(token_hash(token))

    def by_token_hash(self, digest: str) -> Principal | None:
        """The user whose token has this SHA-256 (the web sign-in cookie keeps the hash, not the token)."""
        entry = self._by_hash.get(digest)
        if entry is None:
            return None
        return Principal(entry.name, entry.role, entry.person, frozenset(entry.districts))


def feed_token(secret: str, kind: str, reader_id: str) -> str:
    """An unguessable, stable token for one reader's ICS feed (person, unit or district)."""
    digest = hmac.new(secret.encode("utf-8"), f"{kind}:{reader_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def feed_token_valid(secret: str, kind: str, reader_id: str, token: str) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII text, and a URL may carry anything.
    return hmac.compare_digest(feed_token(secret, kind, reader_id).encode(), token.encode("utf-8"))
