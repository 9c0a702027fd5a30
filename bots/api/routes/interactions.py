"""Interactions: why a customer was, or was not, surveyed after a contact."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, status

from bots.api.deps import UNAUTHORIZED, ContainerDep, ViewerDep, not_found
from bots.why import explain_interaction

router = APIRouter(prefix="/api/v1/interactions", tags=["interactions"], responses=UNAUTHORIZED)


@router.get("/{interaction_id}", responses=not_found("interaction"))
async def why(
    interaction_id: Annotated[str, Path(max_length=128)],
    container: ContainerDep,
    _role: ViewerDep,
) -> dict[str, Any]:
    """Every invitation of the interaction, with each rule that applied and when."""
    found = await container.db.report(
        explain_interaction, container.db, container.service, interaction_id
    )
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no invitation for this interaction")
    return {"interaction_id": interaction_id, "invitations": [e.as_dict() for e in found]}
