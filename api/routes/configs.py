"""Municipality configs: validate, upload (a new immutable version), list and read versions."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from api import storage
from api.deps import Admin, Db, Id, Leader, commit
from api.orm import ConfigVersion
from scheduler.config import ConfigError, parse_config
from scheduler.limits import LIMITS

router = APIRouter(prefix="/configs", tags=["configs"])


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


@router.post("/validate", response_model=Validation)
def validate(body: ConfigUpload, who: Leader) -> Validation:
    """Check a config without storing it; every problem is listed with its place (for the people
    who plan: admins and district leaders)."""
    try:
        parse_config(body.yaml, source=body.name)
    except ConfigError as exc:
        return Validation(valid=False, problems=exc.problems)
    return Validation(valid=True, problems=[])


@router.post("", response_model=ConfigOut, status_code=201)
def upload(body: ConfigUpload, db: Db, who: Admin) -> ConfigOut:
    """Store a new version (configs are never changed in place); 422 lists every problem."""
    parse_config(body.yaml, source=body.name)
    version = storage.save_config(db, body.name, body.yaml, who.name, body.reason)
    commit(db)
    return config_out(version)


@router.get("", response_model=list[ConfigOut])
def versions(
    db: Db, who: Leader, name: str | None = None, limit: int = Query(default=50, ge=1, le=500)
) -> list[ConfigOut]:
    """Config versions, newest first."""
    stmt = select(ConfigVersion).order_by(ConfigVersion.id.desc()).limit(limit)
    if name is not None:
        stmt = stmt.where(ConfigVersion.name == name)
    return [config_out(v) for v in db.scalars(stmt)]


@router.get("/{config_id}", response_model=ConfigOut)
def read(config_id: Id, db: Db, who: Leader) -> ConfigOut:
    return config_out(storage.get_config(db, config_id))


@router.get("/{config_id}/yaml", response_model=str)
def read_yaml(config_id: Id, db: Db, who: Leader) -> str:
    return storage.get_config(db, config_id).yaml
