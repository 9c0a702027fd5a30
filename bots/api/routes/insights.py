"""Reports beyond one score: the agent league table, time effects and response bias."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from bots.api.deps import UNAUTHORIZED, ContainerDep, ViewerDep
from bots.api.report_params import ViewDep, require_metric
from bots.reporting import report_service
from scoring.reports.filters import Dimension

router = APIRouter(prefix="/api/v1", tags=["metrics"], responses=UNAUTHORIZED)


@router.get("/league")
async def get_league(_role: ViewerDep, container: ContainerDep, v: ViewDep) -> dict[str, Any]:
    """Agents ranked by their score shrunk towards their team's, with the raw score beside it."""
    require_metric(v)
    table = await container.db.report(report_service(container).league, v)
    return {"min_n": v.config.min_n, **table.as_dict()}


@router.get("/time-effects")
async def get_time_effects(
    _role: ViewerDep,
    container: ContainerDep,
    v: ViewDep,
    lang: Annotated[
        str, Query(pattern="^(nl|en)$", description="language of holiday names")
    ] = "en",
) -> dict[str, Any]:
    """Weekdays, weekend and the country's public holidays, each tested against the rest."""
    require_metric(v)
    found = await container.db.report(report_service(container).time_effects, v, lang)
    return {"min_n": v.config.min_n, **found.as_dict()}


@router.get("/response-bias")
async def get_response_bias(
    _role: ViewerDep,
    container: ContainerDep,
    v: ViewDep,
    by: Annotated[
        Dimension, Query(description="segment the response rate by this (not a time bucket)")
    ] = Dimension.CHANNEL,
) -> dict[str, Any]:
    """Response rate beside the score per segment; early against late responders."""
    require_metric(v)
    found = await container.db.report(report_service(container).response_bias, v, by)
    return {"min_n": v.config.min_n, **found.as_dict()}
