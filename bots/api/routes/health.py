"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from bots.api.deps import ContainerDep

router = APIRouter(tags=["health"])


def _ping(container: ContainerDep) -> None:
    with container.db.engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))


@router.get("/healthz")
async def healthz(container: ContainerDep) -> Any:
    """Up, with the database reachable."""
    try:
        await container.db.run(_ping, container)
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return {"status": "ok", "database": container.db.engine.dialect.name}


# Uptime monitors often probe with HEAD; kept out of the schema, where it would be a second
# operation for the same check.
router.add_api_route("/healthz", healthz, methods=["HEAD"], include_in_schema=False)
