"""Refuse oversized request bodies before anything buffers them (chunked uploads included), and
NUL characters in API and dashboard URLs (PostgreSQL cannot compare text with one)."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # webhooks and API calls are small; nothing here takes uploads


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _nul_in_url(scope):
            await _answer(send, 422, b'{"detail":"NUL characters are not allowed in the URL"}')
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse(scope, send)
            return
        seen = 0
        refused = False
        started = False

        async def counted_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes and not started:
                    # Answer now and tell the app the client has gone: whatever parses the
                    # body (FastAPI's JSON, a form) stops without buffering the rest.
                    refused = True
                    await _refuse(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # we answered already
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except Exception:
            if not refused:
                raise


def _nul_in_url(scope: Scope) -> bool:
    # Webhooks clean what they receive instead: a provider must not be told "no" for a NUL.
    path: str = scope["path"]
    return not path.startswith("/webhooks/") and (
        "\x00" in path or b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]
    )


async def _refuse(scope: Scope, send: Send) -> None:
    # One short line, without the query string (it may carry personal data).
    log.warning("413: request body over %d bytes refused on %s", MAX_BODY_BYTES, scope["path"])
    await _answer(send, 413, b'{"detail":"request body too large"}')


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
