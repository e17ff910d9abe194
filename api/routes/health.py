"""Liveness and the database, for the municipality's monitoring (no login)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api import storage
from api.deps import Db

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str


@router.get("/health", response_model=Health)
def health(db: Db) -> Health:
    storage.ping(db)
    return Health(status="ok", database="ok")
