"""A BAL rollout on a test site: the builders' BAL config (Nordskolen's team in Baltorp,
Solsikken's in Skovlunde) uploaded as "bal", its rollout planned once and published."""

from __future__ import annotations

from api import storage
from api.db import session_scope
from api.deps import AppState
from scheduler.bal_rollout import RolloutOptions, plan_rollout
from scheduler.config import parse_config
from tests.builders import BAL_TWO_DISTRICTS, bal_yaml


def publish_bal_rollout(state: AppState) -> int:
    """The BAL config stored and its rollout (both teams in round 1 with Psykolog A) live; its id."""
    text = bal_yaml(**BAL_TWO_DISTRICTS)
    rollout = plan_rollout(parse_config(text), RolloutOptions(time_limit=3, workers=1, seed=1))
    with session_scope(state.sessions) as db:
        config = storage.save_config(db, "bal", text, "Kommunens IT", "BAL")
        row = storage.save_rollout(db, config, rollout, "Kommunens IT", "BAL")
        storage.publish_rollout(db, row.id, row.version, "Kommunens IT", "BAL")
        return row.id
