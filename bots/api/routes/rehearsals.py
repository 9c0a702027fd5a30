"""Test answers (`surveybot try`, `"test": true` invitations): count them, delete them."""

from __future__ import annotations

from fastapi import APIRouter

from bots.api.deps import FORBIDDEN, UNAUTHORIZED, AdminDep, ContainerDep, ViewerDep
from scoring.rehearsals import count_test_answers, purge_test_answers

router = APIRouter(prefix="/api/v1/test-answers", tags=["test answers"], responses=UNAUTHORIZED)


@router.get("")
async def count(_role: ViewerDep, container: ContainerDep) -> dict[str, int]:
    """How many test invitations and responses are stored (reports leave them out)."""
    return await container.db.report(count_test_answers, container.db.engine)


@router.delete("", responses=FORBIDDEN)
async def purge(_role: AdminDep, container: ContainerDep) -> dict[str, int]:
    """Delete every test survey and everything stored with it (admin only); rows per table."""
    return await container.db.run(purge_test_answers, container.db.engine)
