"""POST /webhooks/telegram: Telegram's updates, authenticated by the secret token."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from bots.telegram.incoming import Incoming, read_update
from bots.telegram.runtime import TelegramRuntime
from bots.telegram.shape import update_problem

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)


def webhook_router(runtime: TelegramRuntime) -> APIRouter:
    router = APIRouter(tags=["telegram"])

    async def telegram_webhook(request: Request) -> Response:
        """Store the update's effect, then answer; the reply rides on the response if it can."""
        if not runtime.secret_matches(request.headers.get(SECRET_HEADER)):
            return Response(status_code=status.HTTP_403_FORBIDDEN)
        update = _parse(await request.body())
        if update is None:
            # 200 all the same: Telegram redelivers anything else, and garbage stays garbage.
            return Response(status_code=status.HTTP_200_OK)
        plan = await runtime.handler.handle(update)
        body, rest = plan.for_webhook()
        if plan.stored:
            runtime.drainer.wake()  # the rest is in the table, committed with the answer
        elif not plan.duplicate:
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


def _parse(body: bytes) -> Incoming | None:
    """The update, or None (with one WARNING line saying why) when there is nothing to handle."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        _ignored("body is not JSON")
        return None
    problem = update_problem(data)
    if problem is not None:
        _ignored(problem)
        return None
    if "message" not in data and "callback_query" not in data:
        return None  # edits, channel posts, member changes: nothing a survey answers
    # The fields the survey reads, not PTB's whole object tree (see bots.telegram.incoming).
    return read_update(data)


def _ignored(reason: str) -> None:
    log.warning("telegram webhook: update ignored, nothing stored: %s", reason)
