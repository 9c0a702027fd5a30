"""Scores and the response-rate funnel, filtered and grouped: the numbers behind the dashboard."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bots.api.deps import UNAUTHORIZED, ContainerDep, ViewerDep
from bots.api.report_params import ViewDep, require_metric
from bots.reporting import report_service

router = APIRouter(prefix="/api/v1", tags=["metrics"], responses=UNAUTHORIZED)


@router.get("/metrics")
async def get_metrics(_role: ViewerDep, container: ContainerDep, v: ViewDep) -> dict[str, Any]:
    """Score, n, 95% margin, distribution and category counts, overall and per group."""
    require_metric(v)
    report = await container.db.report(report_service(container).metrics, v)
    return report.as_dict()


@router.get("/funnel")
async def get_funnel(_role: ViewerDep, container: ContainerDep, v: ViewDep) -> dict[str, Any]:
    """Invited, sent, delivered, answered and commented counts under the same filters."""
    report = await container.db.report(report_service(container).funnel, v)
    return report.as_dict()
