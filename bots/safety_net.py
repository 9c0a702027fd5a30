"""A webhook never answers 500: an unexpected error becomes a calm, valid reply to the provider.

This is ASGI middleware rather than an `Exception` handler because Starlette re-raises after
such a handler, and the server then drops the connection, sometimes before the provider has
read the reply. Here the error is logged and handled; everything a webhook stores commits in
one transaction, so a failure stores nothing half.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


class WebhookSafetyNet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/webhooks/"):
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except ClientDisconnect:
            # Nobody is left to answer: the client went, or BodyLimit refused the body and
            # said why already. Not an error, and no traceback to flood the log with.
            return
        except Exception as exc:
            if started:
                raise
            log.error("unhandled error on %s: %s", path, type(exc).__name__, exc_info=exc)
            if path.startswith("/webhooks/twilio"):
                await _reply(send, EMPTY_TWIML, b"application/xml")
            else:
                await _reply(send, json.dumps({}).encode(), b"application/json")


async def _reply(send: Send, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
