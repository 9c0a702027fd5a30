"""A fake Telegram Bot API server on 127.0.0.1, spoken to by the real python-telegram-bot.

It records every call, queues updates for getUpdates, answers 429 or 403 on demand, and plays
Telegram's side of a webhook: `deliver` posts an update with the secret token and, like
Telegram, performs the method call found in the webhook's response body.

As strict as Telegram where surveybot relies on it: message ids count up inside each chat (the
customer's messages and the bot's share one counter, so two chats hand out the same ids), an
edit must name a message of that chat and change something, a callback query is answered once
and only while it is fresh, and errors carry Telegram's own descriptions.

Also runnable on its own (the benchmark uses it): python -m tests.e2e.telegram.fake_bot_api PORT
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "123456:TEST-fake-token-abcdefghijklmnop"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Acme enquête",
    "username": "acme_survey_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_STRING_PARAMS = frozenset(
    {"text", "callback_query_id", "secret_token", "url", "inline_message_id"}
)
BLOCKED = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
NOT_MODIFIED = {
    "ok": False,
    "error_code": 400,
    "description": "Bad Request: message is not modified: specified new message content and "
    "reply markup are exactly the same as a current content and reply markup of the message",
}
NOT_FOUND = {
    "ok": False,
    "error_code": 400,
    "description": "Bad Request: message to edit not found",
}
QUERY_TOO_OLD = {
    "ok": False,
    "error_code": 400,
    "description": "Bad Request: query is too old and response timeout expired or query ID is "
    "invalid",
}
# How long a callback query can be answered; Telegram does not publish it, clients give up
# on the spinner after about this long.
CALLBACK_QUERY_TTL = 15.0
FIRST_MESSAGE_ID = 1  # every chat counts from here


def flood(retry_after: int) -> dict[str, Any]:
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic()
    via: str = "api"  # "api": the bot called us; "webhook": the method rode on a webhook reply
    failed: bool = False

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    def buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.params.get("reply_markup") or {}
        rows: list[list[dict[str, Any]]] = markup.get("inline_keyboard", [])
        return rows


@dataclass
class _Failure:
    method: str
    body: dict[str, Any]
    chat_id: int | None
    times: int
    status: int | None = None


@dataclass
class FakeBotApi:
    calls: list[Call] = field(default_factory=list)
    webhook: dict[str, Any] | None = None
    confirmed_offset: int = 0
    strict: bool = True  # the benchmark's fake turns the checks on messages and queries off

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._updates: list[dict[str, Any]] = []
        self._failures: list[_Failure] = []
        self._blocked: set[int] = set()
        self._message_ids: dict[int, itertools.count[int]] = {}
        # (chat id, message id) -> the bot's message as the chat shows it now.
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._queries: dict[str, float] = {}  # open callback query id -> when it was made
        self._update_ids = itertools.count(5000)
        self.get_updates_offsets: list[int | None] = []
        self.port = _free_port()
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    # -- scripting ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """TELEGRAM_API_BASE_URL: PTB appends the token."""
        return f"{self.url}/bot"

    def fail_next(
        self,
        method: str,
        body: dict[str, Any],
        *,
        chat_id: int | None = None,
        times: int = 1,
        status: int | None = None,
    ) -> None:
        """Answer `body` to the next call(s); `status` (default: its error_code) for garbage."""
        with self._lock:
            self._failures.append(_Failure(method, body, chat_id, times, status))

    def block(self, chat_id: int) -> None:
        """From now on, sending to this chat answers 403 "bot was blocked by the user"."""
        with self._lock:
            self._blocked.add(chat_id)

    def queue_update(self, update: dict[str, Any]) -> None:
        self._open_query(update)
        with self._lock:
            self._updates.append(update)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def next_message_id(self, chat_id: int) -> int:
        """The next id in this chat; the customer's messages take ids from the same count."""
        with self._lock:
            counter = self._message_ids.setdefault(chat_id, itertools.count(FIRST_MESSAGE_ID))
            return next(counter)

    def live_keyboards(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in this chat whose buttons can still be tapped, oldest first."""
        with self._lock:
            return [
                m
                for (chat, _id), m in sorted(self.messages.items())
                if chat == chat_id and (m.get("reply_markup") or {}).get("inline_keyboard")
            ]

    def _open_query(self, update: dict[str, Any]) -> None:
        query = update.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            with self._lock:
                self._queries.setdefault(query["id"], time.monotonic())

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        """Calls that succeeded: what the customer actually saw."""
        with self._lock:
            return [
                c
                for c in self.calls
                if not c.failed
                and (method is None or c.method == method)
                and (chat_id is None or c.chat_id == chat_id)
            ]

    def attempts(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    async def wait_for(
        self, check: Callable[[], bool], timeout: float = 5.0, what: str = "a Bot API call"
    ) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; calls: {self.calls}")
            await asyncio.sleep(0.01)

    # -- Telegram's side of a webhook --------------------------------------------------------

    async def deliver(
        self,
        client: httpx.AsyncClient,
        update: dict[str, Any],
        *,
        secret: str | None = None,
        lose_response: bool = False,
    ) -> httpx.Response:
        """POST an update to the registered webhook and act on the reply, as Telegram does.

        `lose_response`: the answer never reaches Telegram (a time-out), so its method is not
        performed and Telegram will redeliver.
        """
        assert self.webhook is not None, "setWebhook was never called"
        self._open_query(update)
        token = secret if secret is not None else self.webhook.get("secret_token")
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
        response = await client.post(self.webhook["url"], json=update, headers=headers)
        if response.status_code == 200 and response.content and not lose_response:
            body = response.json()
            if "method" in body:
                # Telegram performs it as if we had called it, and tells nobody if it fails.
                method = body.pop("method")
                self._perform(method, _decode(body), via="webhook")
        return response

    # -- the server --------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["POST"])])

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != TOKEN:
            return _error({"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = request.path_params["method"]
        params = await _params(request)
        if method == "getUpdates":
            return JSONResponse({"ok": True, "result": await self._get_updates(params)})
        return self._perform(method, params)

    def _perform(self, method: str, params: dict[str, Any], via: str = "api") -> JSONResponse:
        failure = self._failure_for(method, params) or self._refusal(method, params)
        if failure is not None:
            self.record(Call(method, params, time.monotonic(), via=via, failed=True))
            return _error(*failure)
        result: Any = True
        if method == "getMe":
            result = BOT_USER
        elif method == "sendMessage":
            result = self._message(params, self.next_message_id(int(params["chat_id"])))
            # The message id is what a later tap on its buttons refers to.
            params["message_id"] = result["message_id"]
        elif method in ("editMessageText", "editMessageReplyMarkup"):
            result = self._edit(method, params)
        elif method == "answerCallbackQuery":
            with self._lock:
                self._queries.pop(params["callback_query_id"], None)
        elif method == "setWebhook":
            self.webhook = params
        elif method != "deleteWebhook":
            return _error({"ok": False, "error_code": 404, "description": "Not Found"})
        self.record(Call(method, params, time.monotonic(), via=via))
        return JSONResponse({"ok": True, "result": result})

    def _refusal(
        self, method: str, params: dict[str, Any]
    ) -> tuple[dict[str, Any], int | None] | None:
        """Telegram's 400 for an edit or a callback answer it cannot carry out."""
        if not self.strict:
            return None
        if method == "answerCallbackQuery":
            with self._lock:
                made = self._queries.get(params.get("callback_query_id", ""))
            if made is None or time.monotonic() - made > CALLBACK_QUERY_TTL:
                return QUERY_TOO_OLD, None  # unknown, expired, or answered already
            return None
        if method not in ("editMessageText", "editMessageReplyMarkup"):
            return None
        with self._lock:
            current = self.messages.get(_message_key(params))
        if current is None:
            return NOT_FOUND, None
        markup = params.get("reply_markup") or None
        text = params.get("text", current["text"])
        if text == current["text"] and markup == (current.get("reply_markup") or None):
            return NOT_MODIFIED, None
        return None

    def _edit(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        key = _message_key(params)
        with self._lock:
            current = dict(self.messages.get(key) or {"message_id": key[1], "text": ""})
        # Either edit replaces the inline keyboard: one left out is removed.
        text = params["text"] if method == "editMessageText" else current["text"]
        return self._message({**params, "text": text}, key[1])

    def _failure_for(
        self, method: str, params: dict[str, Any]
    ) -> tuple[dict[str, Any], int | None] | None:
        chat_id = params.get("chat_id")
        with self._lock:
            if method == "sendMessage" and chat_id is not None and int(chat_id) in self._blocked:
                return BLOCKED, None
            for failure in self._failures:
                if failure.method == method and failure.chat_id in (None, chat_id):
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                    return failure.body, failure.status
        return None

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset")
        self.get_updates_offsets.append(offset)
        with self._lock:
            if offset is not None:
                # Like Telegram: an offset confirms every update below it, for good.
                self.confirmed_offset = max(self.confirmed_offset, int(offset))
                self._updates = [u for u in self._updates if u["update_id"] >= int(offset)]
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)
        while True:
            with self._lock:
                ready = list(self._updates)
            if ready or time.monotonic() >= deadline:
                return ready
            await asyncio.sleep(0.01)

    def _message(self, params: dict[str, Any], message_id: int) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private", "first_name": "Klant"},
            "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
            "text": params["text"],
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        if self.strict:  # the benchmark's fake keeps no chats
            with self._lock:
                self.messages[(int(params["chat_id"]), message_id)] = message
        return message

    # -- running -----------------------------------------------------------------------------

    def __enter__(self) -> FakeBotApi:
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake Bot API did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        assert self.thread is not None
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _message_key(params: dict[str, Any]) -> tuple[int, int]:
    return int(params.get("chat_id") or 0), int(params.get("message_id") or 0)


def _error(body: dict[str, Any], status: int | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status or int(body["error_code"]))


async def _params(request: Request) -> dict[str, Any]:
    """A method's parameters, sent as JSON or as form fields: the Bot API takes both."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()
        return _decode(json.loads(body)) if body else {}
    return _decode(dict(await request.form()))


def _decode(form: dict[str, Any]) -> dict[str, Any]:
    """Fields may carry objects JSON-encoded (always, in a form); decode them, like Telegram."""
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- updates as Telegram sends them ------------------------------------------------------------


def private_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "Klant"}


def customer(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Klant", "language_code": "nl"}


def text_update(
    update_id: int, chat_id: int, text: str, message_id: int | None = None
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id if message_id is not None else update_id + 1,
            "date": int(time.time()),
            "chat": private_chat(chat_id),
            "from": customer(chat_id),
            "text": text,
        },
    }


def tap_update(update_id: int, chat_id: int, question: Call, label: str) -> dict[str, Any]:
    """A tap on the button labelled `label` under a question the fake delivered."""
    data = next(
        (b["callback_data"] for row in question.buttons() for b in row if b["text"] == label),
        None,
    )
    assert data is not None, f"no button {label!r} in {question.buttons()}"
    return callback_update(update_id, chat_id, question, data)


def callback_update(update_id: int, chat_id: int, question: Call, data: str) -> dict[str, Any]:
    message = {
        "message_id": question.params["message_id"],
        "date": int(time.time()),
        "chat": private_chat(chat_id),
        "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
        "text": question.params["text"],
        "reply_markup": question.params.get("reply_markup"),
    }
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cbq-{update_id}",
            "from": customer(chat_id),
            "chat_instance": f"ci-{chat_id}",
            "message": message,
            "data": data,
        },
    }


class _Silent(FakeBotApi):
    """The benchmark's fake: answers like the test one, keeps only a count per method.

    GET /stats gives the counts, so the benchmark can see the calls made after a run, and
    `repeated`: calls identical to one made before (the same method, chat, message and text).
    """

    def __init__(self) -> None:
        super().__init__(strict=False)  # the benchmark's updates name messages it never sent
        self.counts: dict[str, int] = {}
        self._seen: set[tuple[str, object, object, object]] = set()

    def record(self, call: Call) -> None:
        self.counts[call.method] = self.counts.get(call.method, 0) + 1
        p = call.params
        key = (call.method, p.get("chat_id"), p.get("message_id"), p.get("text"))
        # A message may repeat its text; getMe is every start-up's.
        if call.method not in {"sendMessage", "getMe"} and key in self._seen:
            self.counts["repeated"] = self.counts.get("repeated", 0) + 1
        self._seen.add(key)

    def app(self) -> Starlette:
        app = super().app()
        app.add_route("/stats", self._stats, methods=["GET"])
        return app

    async def _stats(self, _request: Request) -> JSONResponse:
        return JSONResponse(self.counts)


if __name__ == "__main__":
    api = _Silent()
    api.port = int(sys.argv[1])
    uvicorn.run(api.app(), host="127.0.0.1", port=api.port, log_level="warning")
