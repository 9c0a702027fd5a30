"""Detractor cases: list them and move them from open to contacted to closed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict

from bots.api.deps import (
    FORBIDDEN,
    UNAUTHORIZED,
    AdminDep,
    ContainerDep,
    ViewerDep,
    existing_id,
    no_such,
    not_found,
)
from bots.container import Container
from scoring.cases import CaseStatus

router = APIRouter(prefix="/api/v1/cases", tags=["cases"], responses=UNAUTHORIZED)


class CaseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: CaseStatus


def case_list(container: Container, state: CaseStatus | None, limit: int) -> list[dict[str, Any]]:
    return container.cases.list_cases(state, limit=limit)


def change_status(container: Container, case_id: int, state: CaseStatus) -> dict[str, Any]:
    case = container.cases.set_status(case_id, state, datetime.now(UTC))
    return {"id": case.id, "status": case.status, "closed_at": case.closed_at}


@router.get("")
async def list_cases(
    _role: ViewerDep,
    container: ContainerDep,
    state: Annotated[CaseStatus | None, Query(alias="status")] = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Alert cases, newest first, with their due time and alert delivery state."""
    return await container.db.report(case_list, container, state, min(max(limit, 1), 500))


@router.patch("/{case_id}", responses={**FORBIDDEN, **not_found("case")})
async def update_case(
    _role: AdminDep, container: ContainerDep, case_id: Annotated[int, Path(ge=1)], body: CaseUpdate
) -> dict[str, Any]:
    """Set a case's status: open, contacted or closed (admin only)."""
    existing_id(case_id, "case")
    try:
        return await container.db.run(change_status, container, case_id, body.status)
    except LookupError:
        raise no_such("case") from None
