"""What a job takes and what it gives back, as typed values instead of JSON dicts and strings.

The job row (`api.orm.Job`) stores the parameters as JSON text and the result as a reference
string (``plan_version:N``, part of the documented `JobOut.result`). These models are the only
code that writes or reads either: parameters are validated when a job is queued and again when a
worker reads them, so a row a worker cannot run fails at once with a clear error.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

SOLVE = "solve"
WHAT_IF = "what_if"
BAL_ROLLOUT = "bal_rollout"
KINDS = (SOLVE, WHAT_IF, BAL_ROLLOUT)

_ID = Field(ge=1)
_SECONDS = Field(default=None, gt=0, le=3600, description="seconds; default: the settings'")


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str]
    config_version_id: int = _ID
    time_limit: float | None = _SECONDS
    actor: str | None = Field(default=None, description="who asked; default: the worker")
    reason: str = ""


class SolveParams(_Params):
    """Plan one term of a config version. With a live (published) plan of the term, the solve
    starts from it and changes as little as possible; `fresh` starts afresh (its cost against the
    live plan is still reported). `districts`: only their meetings may change (None: all)."""

    kind: ClassVar[str] = SOLVE
    term: str | None = Field(default=None, description="default: the config's first term")
    workers: int | None = Field(default=None, ge=1, le=64)
    fresh: bool = Field(default=False, description="start afresh instead of from the live plan")
    districts: list[str] | None = Field(
        default=None, description="district ids whose meetings may change; None: the whole municipality"
    )


class WhatIfParams(_Params):
    """Plan a changed config with the least change from a base plan version."""

    kind: ClassVar[str] = WHAT_IF
    base_plan_version_id: int = _ID


class BalRolloutParams(_Params):
    """Plan the BAL rollout of a config version with a `bal:` section (a draft rollout)."""

    kind: ClassVar[str] = BAL_ROLLOUT
    workers: int | None = Field(default=None, ge=1, le=64)
    seed: int | None = Field(default=None, ge=0, le=2_147_483_647)


JobParams = SolveParams | WhatIfParams | BalRolloutParams
PARAMS_BY_KIND: dict[str, type[SolveParams] | type[WhatIfParams] | type[BalRolloutParams]] = {
    SOLVE: SolveParams,
    WHAT_IF: WhatIfParams,
    BAL_ROLLOUT: BalRolloutParams,
}


def read_params(kind: str, text: str) -> JobParams:
    """A stored job's parameters, validated for its kind (`ValueError` for a kind we do not run)."""
    model = PARAMS_BY_KIND.get(kind)
    if model is None:
        raise ValueError(f"unknown job kind {kind!r} (known: {', '.join(KINDS)})")
    return model.model_validate_json(text)


class JobResult(BaseModel):
    """What a finished job made: the plan version (or, a `bal_rollout` job, the rollout) it stored."""

    model_config = ConfigDict(frozen=True)

    plan_id: int | None = None
    rollout_id: int | None = None

    PREFIX: ClassVar[str] = "plan_version:"
    ROLLOUT_PREFIX: ClassVar[str] = "bal_rollout:"

    @property
    def ref(self) -> str | None:
        """The stored reference string (`JobOut.result`), e.g. ``plan_version:7``, ``bal_rollout:2``."""
        if self.rollout_id is not None:
            return f"{self.ROLLOUT_PREFIX}{self.rollout_id}"
        return None if self.plan_id is None else f"{self.PREFIX}{self.plan_id}"

    @classmethod
    def from_ref(cls, ref: str | None) -> JobResult:
        """The result a stored reference names; an unknown or empty one names nothing."""
        for prefix, key in ((cls.PREFIX, "plan_id"), (cls.ROLLOUT_PREFIX, "rollout_id")):
            if ref and ref.startswith(prefix) and ref[len(prefix) :].isdigit():
                return cls.model_validate({key: int(ref[len(prefix) :])})
        return cls()
