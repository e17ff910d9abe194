"""Municipality configs: validate, upload (a new immutable version), list and read versions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api import storage
from api.auth import Principal
from api.db import commit
from api.orm import ConfigVersion
from scheduler.config import ConfigError, parse_config
from scheduler.limits import LIMITS
from scheduler.model import MunicipalityConfig

DEFAULT_TIME_LIMIT = 60.0
"""Seconds a solve is taken to last when nothing else says (for a progress bar)."""


class ConfigUpload(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["ballerup"])
    yaml: str = Field(min_length=1, max_length=LIMITS.max_bytes, description="the config as YAML text")
    reason: str = Field(default="", max_length=1000)


class Validation(BaseModel):
    valid: bool
    problems: list[str] = Field(description="every problem, with its place: 'staff[3].roles[0]: …'")


class ConfigOut(BaseModel):
    id: int
    name: str
    sha256: str
    created_by: str
    created_at: datetime
    reason: str
    districts: int
    staff: int
    series: int
    terms: list[str]


def config_out(version: ConfigVersion) -> ConfigOut:
    config = parse_config(version.yaml, source=version.name)
    return ConfigOut(
        id=version.id,
        name=version.name,
        sha256=version.sha256,
        created_by=version.created_by,
        created_at=version.created_at,
        reason=version.reason,
        districts=len(config.districts),
        staff=len(config.staff),
        series=len(config.series),
        terms=[t.id for t in config.terms],
    )


def validate(who: Principal, body: ConfigUpload) -> Validation:
    """Check a config without storing it; every problem is listed with its place."""
    try:
        parse_config(body.yaml, source=body.name)
    except ConfigError as exc:
        return Validation(valid=False, problems=exc.problems)
    return Validation(valid=True, problems=[])


def upload(db: Session, who: Principal, body: ConfigUpload) -> ConfigOut:
    """Store a new version (configs are never changed in place); `ConfigError` lists every problem."""
    parse_config(body.yaml, source=body.name)
    version = storage.save_config(db, body.name, body.yaml, who.name, body.reason)
    commit(db)
    return config_out(version)


def versions(db: Session, who: Principal, name: str | None = None, limit: int = 50) -> list[ConfigOut]:
    """Config versions, newest first."""
    return [config_out(v) for v in storage.config_versions(db, name, limit)]


def read(db: Session, who: Principal, config_id: int) -> ConfigOut:
    return config_out(storage.get_config(db, config_id))


def read_yaml(db: Session, who: Principal, config_id: int) -> str:
    return storage.get_config(db, config_id).yaml


def newest(db: Session) -> MunicipalityConfig | None:
    """The newest uploaded config, parsed (None before any upload; `ConfigError` if it no longer
    passes today's checks)."""
    latest = storage.latest_config(db)
    return None if latest is None else parse_config(latest.yaml, source=latest.name)


def planning_time_limit(db: Session, config_id: int) -> float:
    """The time limit a config version sets for its solves (the default if it cannot be read)."""
    try:
        return parse_config(storage.get_config(db, config_id).yaml).planning.time_limit_seconds
    except (storage.StorageError, ConfigError):
        return DEFAULT_TIME_LIMIT
