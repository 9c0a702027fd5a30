"""The flows this server knows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bots.api.deps import UNAUTHORIZED, ContainerDep, ViewerDep

router = APIRouter(prefix="/api/v1/flows", tags=["flows"], responses=UNAUTHORIZED)


@router.get("")
async def list_flows(container: ContainerDep, _role: ViewerDep) -> list[dict[str, Any]]:
    """Every loaded flow with its metric and scale."""
    return [
        {
            "id": flow.id,
            "metric": flow.metric,
            "name": flow.name.model_dump(),
            "scale": {
                "min": flow.scale.min,
                "max": flow.scale.max,
                "direction": flow.scale.direction,
            },
            "follow_up": bool(flow.follow_up),
        }
        for flow in container.flows.values()
    ]
