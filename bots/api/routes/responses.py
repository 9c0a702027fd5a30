"""Individual responses behind a number, newest first, with their follow-up comments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from bots.api.deps import MAX_PAGE, UNAUTHORIZED, ContainerDep, ViewerDep
from bots.api.routes.metrics import View, ViewDep, filters_json
from bots.container import Container
from scoring import metrics

router = APIRouter(prefix="/api/v1", tags=["responses"], responses=UNAUTHORIZED)


def list_page(container: Container, v: View, page: int, page_size: int) -> dict[str, Any]:
    with container.db.engine.connect() as conn:
        total, rows = metrics.responses(
            conn, v.filters, v.metric, limit=page_size, offset=(page - 1) * page_size
        )
    return {
        "page": page,
        "page_size": page_size,
        "total": total,
        "pages": max(1, -(-total // page_size)),
        "filters": filters_json(v.filters),
        "items": [row.as_dict() for row in rows],
    }


@router.get("/responses")
async def list_responses(
    _role: ViewerDep,
    container: ContainerDep,
    v: ViewDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Responses under the filters, paginated, each with its comment and tags."""
    return await container.db.report(list_page, container, v, page, page_size)
