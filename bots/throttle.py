"""Throttle failed authentication per client, on every instance (the counts are in the database).

The client is the connecting address as the server saw it; `surveybot serve` lets uvicorn
replace it from X-Forwarded-For only for SURVEYBOT_TRUSTED_PROXIES. IPv6 clients count per
/64, the block one subscriber usually holds.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time

from fastapi import HTTPException, Request, status

from bots.container import Container
from scoring.auth_state import Throttle

TOO_MANY = "too many failed attempts: try again later"


def client_key(request: Request, secret: str) -> str:
    """An HMAC of the client's address (or its /64): counted, never stored in the clear."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        name = host
    else:
        if isinstance(address, ipaddress.IPv6Address):
            mapped = address.ipv4_mapped
            name = str(mapped or ipaddress.IPv6Network((address, 64), strict=False))
        else:
            name = str(address)
    return hmac.new(secret.encode(), b"auth-client:" + name.encode(), hashlib.sha256).hexdigest()


def too_many(wait: int) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS, TOO_MANY, headers={"Retry-After": str(wait)}
    )


class Guard:
    """The throttle for one request: `blocked()` before checking a credential, `failed()` after
    a wrong one."""

    def __init__(self, container: Container, request: Request) -> None:
        settings = container.settings
        self.db = container.db
        self.throttle = Throttle(settings.auth_failure_limit, settings.auth_failure_window_seconds)
        self.client = client_key(request, settings.secret())

    async def blocked(self) -> int | None:
        """Seconds to wait when this client used up its attempts; checked before the token,
        so that a blocked client learns nothing, not even from a right guess."""
        return await self.db.run(
            self.throttle.blocked_for, self.db.engine, self.client, time.time()
        )

    async def failed(self) -> None:
        """Count a wrong credential. The wrong attempt itself is still answered 401: the limit
        is the number of failures a client may make, so only the attempt after them gets 429."""
        await self.db.run(self.throttle.record_failure, self.db.engine, self.client, time.time())
