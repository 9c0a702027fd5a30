"""A local Telegram Bot API, and the customer's Telegram app that talks to the bot through it.

Like Telegram it checks the bot token, numbers messages per chat, delivers the customer's
updates to the webhook with the secret token, and performs the method in a webhook's answer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bots.devfakes import config

Say = Callable[[str], None]
_STRING_PARAMS = frozenset({"text", "callback_query_id", "secret_token", "url"})
BOT_USER = {
    "id": int(config.BOT_TOKEN.split(":")[0]),
    "is_bot": True,
    "first_name": "Acme enquête",
    "username": config.BOT_USERNAME,
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Telegram never reuses a message id in a chat; the server's database outlives this process,
# so a restarted fake numbers on from a clock-based start (16 ids a second of wall time).
_FIRST_ID = (int(time.time()) - 1_735_689_600) * 16
SETTLE_SECONDS = 0.4  # the bot's replies that go through its outbox arrive just after


@dataclass
class FakeTelegram:
    server: str
    say: Say
    http: httpx.AsyncClient
    # The bot's messages per chat, by message id: what a tap refers to.
    chats: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    _ids: dict[int, itertools.count[int]] = field(default_factory=dict)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _seen: dict[int, list[str]] = field(default_factory=dict)

    def routes(self) -> list[Route]:
        return [
            Route("/bot{token}/{method}", self.bot_api, methods=["POST", "GET"]),
            Route("/phone/telegram", self.customer_types, methods=["POST"]),
            Route("/phone/tap", self.customer_taps, methods=["POST"]),
        ]

    # -- the Bot API ---------------------------------------------------------------------------

    async def bot_api(self, request: Request) -> Response:
        if request.path_params["token"] != config.BOT_TOKEN:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params = await _params(request)
        result = self.perform(method, params)
        if isinstance(result, JSONResponse):
            return result
        if method == "getUpdates":  # updates go to the webhook; a poller just waits
            await asyncio.sleep(min(float(params.get("timeout") or 0), 5.0))
        return JSONResponse({"ok": True, "result": result})

    def perform(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("setWebhook", "deleteWebhook", "answerCallbackQuery"):
            return True
        if method == "getUpdates":
            return []
        if method not in ("sendMessage", "editMessageText"):
            return _error(404, "Not Found")
        try:
            chat_id = int(params["chat_id"])
            text = str(params["text"])
        except (KeyError, ValueError):
            return _error(400, "Bad Request: chat_id and text are required")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        messages = self.chats.setdefault(chat_id, {})
        if method == "editMessageText":
            message_id = int(params.get("message_id") or 0)
            if message_id not in messages:
                return _error(400, "Bad Request: message to edit not found")
        else:
            message_id = next(self._ids.setdefault(chat_id, itertools.count(_FIRST_ID)))
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Klant"},
            "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
            "text": text,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        messages[message_id] = message
        shown = text + _buttons(message)
        self._seen.setdefault(chat_id, []).append(shown)
        self.say(
            f"telegram {'edit in' if method == 'editMessageText' else 'to'} {chat_id}: {shown}"
        )
        return message

    # -- the customer's side -------------------------------------------------------------------

    async def customer_types(self, request: Request) -> Response:
        """`chat`, `text`: the customer types a message to the bot (also `/start <token>`)."""
        form = {k: str(v) for k, v in (await request.form()).items()}
        try:
            chat_id = int(form.get("chat", ""))
        except ValueError:
            return PlainTextResponse("give the customer's chat id: -d chat=123456789\n", 400)
        update_id = next(self._update_ids)
        update = {
            "update_id": update_id,
            "message": {
                # One numbering per chat, shared with the bot's messages, as in Telegram.
                "message_id": next(self._ids.setdefault(chat_id, itertools.count(_FIRST_ID))),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "Klant"},
                "from": _customer(chat_id),
                "text": form.get("text", ""),
            },
        }
        return await self._deliver(chat_id, update)

    async def customer_taps(self, request: Request) -> Response:
        """`chat`, `button`: the customer taps the button with that text under the last question."""
        form = {k: str(v) for k, v in (await request.form()).items()}
        try:
            chat_id = int(form.get("chat", ""))
        except ValueError:
            return PlainTextResponse("give the customer's chat id: -d chat=123456789\n", 400)
        label = form.get("button", "").strip().casefold()
        found = await self._button(chat_id, label)
        if found is None:
            return PlainTextResponse(f"no button {label!r} under a message in {chat_id}\n", 404)
        message, data = found
        update_id = next(self._update_ids)
        update = {
            "update_id": update_id,
            "callback_query": {
                "id": f"cbq-{update_id}",
                "from": _customer(chat_id),
                "chat_instance": f"ci-{chat_id}",
                "message": message,
                "data": data,
            },
        }
        return await self._deliver(chat_id, update)

    async def _button(
        self, chat_id: int, label: str, timeout: float = 5.0
    ) -> tuple[dict[str, Any], str] | None:
        """The newest message with that button, and its data; a question may still be on its way."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for message in reversed(list(self.chats.get(chat_id, {}).values())):
                rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
                for row in rows:
                    for button in row:
                        text = str(button["text"]).casefold()
                        # "😍 very satisfied" is tapped as itself or as "very satisfied".
                        if label in (text, text.split(" ", 1)[-1]):
                            return message, str(button["callback_data"])
            if loop.time() > deadline:
                return None
            await asyncio.sleep(0.05)

    async def _deliver(self, chat_id: int, update: dict[str, Any]) -> Response:
        """POST the update to the webhook, act on its answer, and show what the customer sees."""
        seen = len(self._seen.get(chat_id, []))
        headers = {"X-Telegram-Bot-Api-Secret-Token": config.WEBHOOK_SECRET}
        try:
            response = await self.http.post(
                f"{self.server}/webhooks/telegram", json=update, headers=headers
            )
        except httpx.HTTPError:
            return PlainTextResponse("the surveybot server did not answer; is it running?\n", 502)
        if response.status_code != 200:
            return PlainTextResponse(f"the webhook answered {response.status_code}\n", 502)
        if response.content:
            body = response.json()
            if isinstance(body, dict) and "method" in body:
                self.perform(str(body.pop("method")), _decode(body))
        await asyncio.sleep(SETTLE_SECONDS)
        shown = self._seen.get(chat_id, [])[seen:]
        return PlainTextResponse("".join(f"{line}\n" for line in shown) or "(no reply)\n")


def _buttons(message: dict[str, Any]) -> str:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    labels = [button["text"] for row in rows for button in row]
    return f"  [buttons: {' | '.join(labels)}]" if labels else ""


def _customer(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Klant", "language_code": "nl"}


def _error(code: int, description: str) -> JSONResponse:
    body = {"ok": False, "error_code": code, "description": description}
    return JSONResponse(body, status_code=code)


async def _params(request: Request) -> dict[str, Any]:
    """A method's parameters, as JSON or as form fields: the Bot API takes both."""
    if request.headers.get("content-type", "").startswith("application/json"):
        raw = await request.body()
        return _decode(json.loads(raw)) if raw else {}
    return _decode(dict(await request.form()))


def _decode(form: dict[str, Any]) -> dict[str, Any]:
    """Objects may arrive JSON-encoded in a string field; decode them, as Telegram does."""
    params: dict[str, Any] = {}
    for key, value in form.items():
        if key in _STRING_PARAMS or not isinstance(value, str):
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params
