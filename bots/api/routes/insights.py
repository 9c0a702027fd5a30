"""Reports beyond one score: the agent league table, time effects and response bias."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bots.api.deps import UNAUTHORIZED, ContainerDep, ViewerDep
from bots.api.report_params import ViewDep, require_metric
from bots.reporting import report_service

router = APIRouter(prefix="/api/v1", tags=["metrics"], responses=UNAUTHORIZED)


@router.get("/league")
async def get_league(_role: ViewerDep, container: ContainerDep, v: ViewDep) -> dict[str, Any]:
    """Agents ranked by their score shrunk towards their team's, with the raw score beside it."""
    require_metric(v)
    table = await container.db.report(report_service(container).league, v)
    return {"min_n": v.config.min_n, **table.as_dict()}
