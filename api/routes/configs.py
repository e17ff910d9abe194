"""Municipality configs: validate, upload (a new immutable version), list and read versions.

The HTTP side only; what each route does is `api.services.configs`.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import Admin, Db, Id, Leader
from api.services import configs as service
from api.services.configs import ConfigOut, ConfigUpload, Validation

router = APIRouter(prefix="/configs", tags=["configs"])


@router.post("/validate", response_model=Validation)
def validate(body: ConfigUpload, who: Leader) -> Validation:
    """Check a config without storing it; every problem is listed with its place (for the people
    who plan: admins and district leaders)."""
    return service.validate(who, body)


@router.post("", response_model=ConfigOut, status_code=201)
def upload(body: ConfigUpload, db: Db, who: Admin) -> ConfigOut:
    """Store a new version (configs are never changed in place); 422 lists every problem."""
    return service.upload(db, who, body)


@router.get("", response_model=list[ConfigOut])
def versions(
    db: Db, who: Leader, name: str | None = None, limit: int = Query(default=50, ge=1, le=500)
) -> list[ConfigOut]:
    """Config versions, newest first."""
    return service.versions(db, who, name, limit)


@router.get("/{config_id}", response_model=ConfigOut)
def read(config_id: Id, db: Db, who: Leader) -> ConfigOut:
    return service.read(db, who, config_id)


@router.get("/{config_id}/yaml", response_model=str)
def read_yaml(config_id: Id, db: Db, who: Leader) -> str:
    return service.read_yaml(db, who, config_id)
