"""Small Danish phrasing helpers shared by the rules' explanations."""

from __future__ import annotations

from scheduler.config import series_title
from scheduler.context import PlanningContext
from scheduler.danish import join_da

__all__ = ["join_da", "person_name", "series_name"]


def person_name(ctx: PlanningContext, person_id: str) -> str:
    return ctx.index.person_name(person_id)


def series_name(ctx: PlanningContext, series_id: str) -> str:
    return series_title(ctx.config, ctx.index.series[series_id])
