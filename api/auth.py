"""Who is calling, and what they may do: four roles, checked on every route.

- admin (the municipality's IT): everything.
- distriktsleder: reads everything, changes only meetings of units in their own district(s).
- staff: their own calendar and their own absences.
- service (an HR or absence system): registers absences for anyone, reads proposals.

Callers present a bearer token. Tokens are never stored: the users file holds their SHA-256,
so a leaked file does not leak access. The file is the one list of users: `Directory` re-reads
it as soon as it changes (a `stat` per authentication), so a removed user is refused at once,
by the API and the web pages alike, and an added one works at once. Calendar feeds use their
own issued tokens (`api.feed_tokens`), which end with the user who was given them.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from threading import Lock

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from api.settings import SettingsError
from scheduler.index import index_of
from scheduler.model import MunicipalityConfig

log = logging.getLogger("moedeplan.auth")


class Role(StrEnum):
    admin = "admin"
    distriktsleder = "distriktsleder"
    staff = "staff"
    service = "service"


class UserEntry(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Role
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    person: str | None = Field(default=None, description="staff: the person id in the config")
    districts: list[str] = Field(default_factory=list, description="distriktsleder: their districts")


class UsersFile(BaseModel):
    users: list[UserEntry]

    @model_validator(mode="after")
    def _unique(self) -> UsersFile:
        """A name is who did what in the audit log and who holds which feed link: one user each."""
        names = [u.name for u in self.users]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"brugernavne skal være entydige; flere hedder {', '.join(twice)}")
        hashes = [u.token_sha256 for u in self.users]
        if len(set(hashes)) != len(hashes):
            raise ValueError("to brugere har samme token")
        return self


class UsersFileError(SettingsError):
    """The users file cannot be read or is not valid: nobody signs in until it is fixed."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    person: str | None = None
    districts: frozenset[str] = field(default_factory=frozenset)
    # The SHA-256 of the token they signed in with: what their feed links and web sessions
    # belong to, so that a user removed (or re-added with a new token) leaves none behind.
    token_sha256: str = ""

    def may_change_unit(self, config: MunicipalityConfig, unit_id: str) -> bool:
        """Admins change anything; a district leader only units of their own districts."""
        if self.role == Role.admin:
            return True
        if self.role != Role.distriktsleder:
            return False
        unit = index_of(config).units.get(unit_id)
        return unit is not None and bool(set(unit.districts) & self.districts)

    def may_book_into(self, config: MunicipalityConfig, unit_id: str) -> bool:
        """A Familiemøde or follow-up goes into a unit: a district leader books only their own."""
        return self.role == Role.admin or self.may_change_unit(config, unit_id)

    def may_link(self, config: MunicipalityConfig | None, kind: str, reader_id: str) -> bool:
        """Whose calendar feed link this user may get and hand out (`kind`: person, unit, district).

        Admins any; staff their own; a district leader their district(s), the units in them and
        the people who serve them (`people_serving`). `config` is the newest uploaded one (None:
        none yet, so only a leader's own districts are known).
        """
        if self.role == Role.admin:
            return True
        if self.role == Role.staff:
            return kind == "person" and self.person is not None and self.person == reader_id
        if self.role != Role.distriktsleder:
            return False
        if kind == "district":
            return reader_id in self.districts
        if config is None:
            return False
        if kind == "unit":
            return reader_id in district_units(config, self.districts)
        return kind == "person" and reader_id in people_serving(config, self.districts)

    def may_act_for(self, person_id: str) -> bool:
        """Registering an absence: for oneself (staff), anyone (admin, service, district leader)."""
        if self.role in (Role.admin, Role.service, Role.distriktsleder):
            return True
        return self.role == Role.staff and self.person == person_id


def district_units(config: MunicipalityConfig, districts: frozenset[str]) -> set[str]:
    """Ids of the units that belong to any of these districts (a club may belong to two)."""
    return {u.id for u in config.units if set(u.districts) & districts}


def people_serving(config: MunicipalityConfig, districts: frozenset[str]) -> set[str]:
    """Ids of the people who serve these districts: by their own `serves` (all, one of the
    districts, or a unit in one), or named in a series of a unit of only these districts (chair,
    minute-taker, required or optional people, a seat's pool).

    Deliberately not "whoever the planner may seat at one of their units": a unit of every
    district (Socialafsnittet, which hosts each district's Kreative Råd) would make every
    specialist of the municipality a person of every district, and any leader could hand out
    anyone's whole calendar.
    """
    units = district_units(config, districts)
    people = {
        p.id
        for p in config.staff
        if p.serves.all or set(p.serves.districts) & districts or set(p.serves.units) & units
    }
    own_units = {u.id for u in config.units if u.districts and set(u.districts) <= districts}
    for series in config.series:
        if series.unit not in own_units:
            continue
        people.update(series.optional_people)
        for _, seat in series.seats():
            if seat.person is not None:
                people.add(seat.person)
            people.update(seat.people or [])
    return people


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _principal(entry: UserEntry) -> Principal:
    return Principal(entry.name, entry.role, entry.person, frozenset(entry.districts), entry.token_sha256)


def read_users_file(path: Path) -> list[UserEntry]:
    """The users in the file, or `UsersFileError` naming the file and what is wrong with it."""
    where = f"brugerfilen {path} (MOEDEPLAN_USERS_FILE)"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return UsersFile.model_validate(data or {"users": []}).users
    except FileNotFoundError:
        raise UsersFileError(f"{where} findes ikke") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsersFileError(f"{where} kan ikke læses: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f" (linje {mark.line + 1})" if mark is not None else ""
        raise UsersFileError(f"{where} er ikke gyldig YAML{place}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'users'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()[:5]
        )
        raise UsersFileError(f"{where} er ugyldig: {problems}") from None


def _file_stamp(path: Path) -> tuple[int, ...] | None:
    """What changes whenever the file does: inode (a replaced file), size, and times."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class Directory:
    """The users, keyed by token hash; with a file, re-read whenever the file has changed.

    A file that turns invalid (a typo, a half-written edit) refuses everybody with
    `UsersFileError` until it is valid again: failing closed, so a removal never silently
    fails to take effect.
    """

    def __init__(self, users: list[UserEntry], path: Path | None = None):
        self._path = path
        self._lock = Lock()
        self._stamp: tuple[int, ...] | None = None
        self._error: UsersFileError | None = None
        self._use(users)

    def _use(self, users: list[UserEntry]) -> None:
        self._by_hash = {u.token_sha256: u for u in users}

    @classmethod
    def from_file(cls, path: Path) -> Directory:
        """The users of `path`, watched; `UsersFileError` now if it cannot be used at start."""
        stamp = _file_stamp(path)
        directory = cls(read_users_file(path), path)
        directory._stamp = stamp
        return directory

    def _refresh(self) -> None:
        """Re-read the file if it changed since the last look; raise while it is unusable."""
        if self._path is None:
            return
        stamp = _file_stamp(self._path)  # before reading: a change while reading is seen next time
        if stamp is None or stamp != self._stamp:
            with self._lock:
                if stamp is None or stamp != self._stamp:
                    self._reload(self._path, stamp)
        if self._error is not None:
            raise self._error

    def _reload(self, path: Path, stamp: tuple[int, ...] | None) -> None:
        try:
            users = read_users_file(path)
        except UsersFileError as exc:
            if self._error is None or str(exc) != str(self._error):
                log.error("%s; nobody can sign in until it is fixed", exc)
            self._error = exc
            self._use([])
        else:
            log.info("users file %s re-read: %d users", path, len(users))
            self._error = None
            self._use(users)
        self._stamp = stamp

    def authenticate(self, token: str) -> Principal | None:
        return self.by_token_hash(token_hash(token))

    def by_token_hash(self, digest: str) -> Principal | None:
        """The user whose token has this SHA-256 (web sessions keep the hash, not the token)."""
        self._refresh()
        entry = self._by_hash.get(digest)
        return None if entry is None else _principal(entry)

    def has_token_hash(self, digest: str) -> bool:
        """Whether a user with this token hash still exists (their feed links still count)."""
        return self.by_token_hash(digest) is not None
