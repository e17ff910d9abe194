"""Municipality configs: validate, upload (a new immutable version), list and read versions.

The HTTP side only; what each route does is `api.services.configs`. A config is sent either as
JSON (`{"name", "yaml", "reason"}`) or as the YAML file itself (`Content-Type: application/yaml`,
`text/yaml` or `application/x-yaml`, with `?name=…&reason=…`), which is what IT has at hand:
`curl --data-binary @ballerup.yaml -H 'Content-Type: application/yaml' …/configs?name=ballerup`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.deps import Admin, Db, Id, Leader
from api.errors import BadInput
from api.schemas import ErrorBody
from api.services import configs as service
from api.services.configs import ConfigOut, ConfigUpload, Validation

router = APIRouter(prefix="/configs", tags=["configs"])

YAML_TYPES = ("application/yaml", "text/yaml", "application/x-yaml")
"""Content types read as the config's YAML text itself (the first is RFC 9512's)."""

_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ConfigUpload.model_json_schema()},
            **{
                kind: {
                    "schema": {"type": "string", "description": "the config as YAML (UTF-8)"},
                    "example": "municipality: Ballerup Kommune\n",
                }
                for kind in YAML_TYPES
            },
        },
    }
}
"""What the routes read, for the OpenAPI schema (the body is parsed by `config_upload`)."""

_YAML_PARAMETERS: dict[str, Any] = {
    "parameters": [
        {
            "name": "name",
            "in": "query",
            "required": False,
            "description": "the config's name, with a YAML body (JSON bodies carry it themselves)",
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        },
        {
            "name": "reason",
            "in": "query",
            "required": False,
            "description": "why this version, with a YAML body",
            "schema": {"type": "string", "maxLength": 1000},
        },
    ]
}


async def config_upload(request: Request) -> ConfigUpload:
    """The uploaded config, from a JSON or a YAML body; a body that cannot be read is a 4xx in Danish."""
    kind = request.headers.get("content-type", "application/json").split(";", 1)[0].strip().lower()
    raw = await request.body()
    if kind in YAML_TYPES:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise BadInput(
                f"konfigurationen er ikke UTF-8-tekst (linje {line}); gem filen som UTF-8",
                field="yaml",
            ) from None
        data: Any = {
            "name": request.query_params.get("name", ""),
            "yaml": text,
            "reason": request.query_params.get("reason", ""),
        }
        try:
            return ConfigUpload.model_validate(data)
        except ValidationError as exc:
            # name and reason come from the query string, the text from the body
            where = {"yaml": "body"}
            errors = [{**e, "loc": (where.get(str(e["loc"][0]), "query"), *e["loc"])} for e in exc.errors()]
            raise RequestValidationError(errors, body=data) from None
    if kind not in ("application/json", "") and not kind.endswith("+json"):
        raise HTTPException(
            415,
            ErrorBody(
                detail=f"indholdstypen '{kind}' kan ikke læses; send JSON eller YAML "
                f"({', '.join(YAML_TYPES)})",
                field="Content-Type",
            ).model_dump(exclude_none=True),
        )
    return _validated(_json(raw))


def _json(raw: bytes) -> Any:
    """The JSON body as FastAPI reads one: bad JSON is a 422 saying where, JSON nested too deep
    for the parser a 400 (what FastAPI answers for the routes it parses itself)."""
    if not raw:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error", "input": {}}]
        ) from None
    except (RecursionError, UnicodeDecodeError):
        raise HTTPException(400, "There was an error parsing the body") from None


def _validated(data: Any) -> ConfigUpload:
    try:
        return ConfigUpload.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors, body=data) from None


Upload = Annotated[ConfigUpload, Depends(config_upload)]


@router.post(
    "/validate",
    response_model=Validation,
    openapi_extra={**_BODY, **_YAML_PARAMETERS},
    responses={415: {"model": ErrorBody, "description": "hverken JSON eller YAML"}},
)
def validate(body: Upload, who: Leader) -> Validation:
    """Check a config without storing it; every problem is listed with its place (for the people
    who plan: admins and district leaders). The body is JSON or the YAML file itself."""
    return service.validate(who, body)


@router.post(
    "",
    response_model=ConfigOut,
    status_code=201,
    openapi_extra={**_BODY, **_YAML_PARAMETERS},
    responses={415: {"model": ErrorBody, "description": "hverken JSON eller YAML"}},
)
def upload(body: Upload, db: Db, who: Admin) -> ConfigOut:
    """Store a new version (configs are never changed in place); 422 lists every problem. The body
    is JSON or the YAML file itself (`Content-Type: application/yaml`, name in `?name=`)."""
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
