"""POST /webhooks/telegram: Telegram's updates, authenticated by the secret token."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from telegram import Update

from bots.telegram.runtime import TelegramRuntime

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)


def webhook_router(runtime: TelegramRuntime) -> APIRouter:
    router = APIRouter(tags=["telegram"])

    async def telegram_webhook(request: Request) -> Response:
        """Store the update's effect, then answer; the reply rides on the response if it can."""
        if not runtime.secret_matches(request.headers.get(SECRET_HEADER)):
            return Response(status_code=status.HTTP_403_FORBIDDEN)
        try:
            update = Update.de_json(json.loads(await request.body()), runtime.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("telegram webhook: body is not an Update")
            return Response(status_code=status.HTTP_400_BAD_REQUEST)
        plan = await runtime.handler.handle(update)
        body, rest = plan.for_webhook()
        if not plan.duplicate:
            # A redelivered update was handled the first time; only its stored reply, in the
            # body, is repeated (Telegram redelivers only when it did not get our answer).
            runtime.outbox.submit(rest)
        if body is None:
            return Response(status_code=status.HTTP_200_OK)
        return JSONResponse(body)

    # A plain Starlette route: the endpoint reads the raw body itself, so FastAPI's parameter
    # and response handling would only add work on the busiest path.
    router.add_route(
        "/webhooks/telegram", telegram_webhook, methods=["POST"], include_in_schema=False
    )
    return router
