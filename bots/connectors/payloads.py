"""Reading a connector's request body: bounded, and JSON where the platform sends JSON."""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException, Request, status

MAX_BODY_BYTES = 1024 * 1024  # a Chatwoot conversation with its messages is the largest


async def raw_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "webhook body too large")
    return body


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None
