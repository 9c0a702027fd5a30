"""The offer audit: did every eligible contact get the survey, per team and agent?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bots.api.deps import UNAUTHORIZED, ContainerDep, ViewerDep
from bots.api.report_params import ViewDep
from bots.reporting import report_service
from scoring.reports.params import filters_json

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=UNAUTHORIZED)


@router.get("/offers")
async def offers(_role: ViewerDep, container: ContainerDep, v: ViewDep) -> dict[str, Any]:
    """Eligible contacts, surveys sent, the share skipped by hand, voice transfers; flags."""
    teams, agents = await container.db.report(report_service(container).offers, v)
    return {
        "filters": filters_json(v.filters),
        "min_n": v.config.min_n,
        "teams": [r.as_dict() for r in teams],
        "agents": [r.as_dict() for r in agents],
    }
