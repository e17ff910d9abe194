"""The JSON Schemas in docs/ are what integrations read; they must match the models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from scheduler.model import MunicipalityConfig, Plan

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize(("name", "model"), [("plan", Plan), ("config", MunicipalityConfig)])
def test_schema_in_docs_is_current(name: str, model: type[BaseModel]) -> None:
    written = json.loads((DOCS / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert written == model.model_json_schema(), f"run 'make schema' to refresh docs/{name}.schema.json"
