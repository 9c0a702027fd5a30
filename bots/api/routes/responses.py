"""Individual responses behind a number, newest first, with their follow-up comments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from bots.api import small_groups
from bots.api.deps import MAX_PAGE, UNAUTHORIZED, ContainerDep, ViewerDep
from bots.api.report_params import ViewDep
from bots.reporting import report_service
from scoring.reports.params import filters_json

router = APIRouter(prefix="/api/v1", tags=["responses"], responses=UNAUTHORIZED)


@router.get("/responses")
async def list_responses(
    role: ViewerDep,
    container: ContainerDep,
    v: ViewDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Responses under the filters, paginated, each with its comment and tags."""
    await small_groups.guard(container, role, v)
    found = await container.db.report(
        report_service(container).responses, v, limit=page_size, offset=(page - 1) * page_size
    )
    return {
        "page": page,
        "page_size": page_size,
        "total": found.total,
        "pages": max(1, -(-found.total // page_size)),
        "filters": filters_json(v.filters),
        "items": [row.as_dict() for row in found.rows],
    }
