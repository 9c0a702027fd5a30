"""Telegram fixtures: the fake Bot API, settings that point PTB at it, a customer's client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from bots.container import Container
from bots.settings import Settings
from bots.telegram.limiter import Limits
from tests.conftest import LiveServer, admin_headers, make_settings
from tests.e2e.telegram.fake_bot_api import (
    TOKEN,
    Call,
    FakeBotApi,
    tap_update,
    text_update,
)

WEBHOOK_SECRET = "test-webhook-secret_0123456789"


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api


@pytest.fixture
def chat_interval() -> float:
    """Seconds between two messages to one chat; short, except where pacing is the point."""
    return 0.05


@pytest.fixture
def settings(
    database_url: str, bot_api: FakeBotApi, chat_interval: float, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    monkeypatch.setattr("bots.telegram.plugin.LIMITS", Limits(per_chat_interval=chat_interval))
    return make_settings(
        database_url,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_api_base_url=bot_api.base_url,
        public_url="https://surveys.example.com",
    )


@pytest.fixture
def webhook(bot_api: FakeBotApi, live_server: LiveServer) -> FakeBotApi:
    """The fake knows where to deliver, as after `surveybot telegram set-webhook`."""
    bot_api.webhook = {
        "url": f"{live_server.url}/webhooks/telegram",
        "secret_token": WEBHOOK_SECRET,
    }
    return bot_api


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=15) as http:
        yield http


class Customer:
    """One Telegram user talking to the bot through the fake's webhook delivery."""

    def __init__(self, api: FakeBotApi, http: httpx.AsyncClient, chat_id: int) -> None:
        self.api = api
        self.http = http
        self.chat_id = chat_id
        self.last_tap: str | None = None

    async def types(self, text: str, **kwargs: Any) -> httpx.Response:
        message_id = self.api.next_message_id(self.chat_id)
        update = text_update(self.api.next_update_id(), self.chat_id, text, message_id)
        return await self.api.deliver(self.http, update, **kwargs)

    async def taps(self, label: str, question: Call) -> httpx.Response:
        update = tap_update(self.api.next_update_id(), self.chat_id, question, label)
        self.last_tap = update["callback_query"]["id"]
        return await self.api.deliver(self.http, update)

    async def answer_to_last_tap(self) -> Call:
        """The answerCallbackQuery for the latest tap (answers to earlier taps may come later)."""

        def answers() -> list[Call]:
            return [
                c
                for c in self.api.sent("answerCallbackQuery")
                if c.params["callback_query_id"] == self.last_tap
            ]

        await self.api.wait_for(lambda: len(answers()) == 1, what="the callback answer")
        return answers()[0]

    def messages(self) -> list[Call]:
        return self.api.sent("sendMessage", self.chat_id)

    def texts(self) -> list[str]:
        return [c.params["text"] for c in self.messages()]

    def chat(self) -> list[str]:
        """The bot's messages as the chat shows them now (edits applied), oldest first."""
        shown = sorted(
            (message_id, m["text"])
            for (chat, message_id), m in list(self.api.messages.items())
            if chat == self.chat_id
        )
        return [text for _id, text in shown]

    async def wait_for_chat(self, ending: str) -> list[str]:
        """Until the chat's last message ends with `ending` (a tap's edit comes after the reply)."""
        await self.api.wait_for(
            lambda: bool(self.chat()) and self.chat()[-1].endswith(ending),
            what=f"the chat to end with {ending!r}",
        )
        return self.chat()

    async def wait_for_messages(self, count: int) -> list[Call]:
        await self.api.wait_for(
            lambda: len(self.messages()) >= count, what=f"{count} message(s) to the customer"
        )
        return self.messages()


async def invite(http: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await http.post(
        "/api/v1/invitations", json={"channel": "telegram", **body}, headers=admin_headers()
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def rows(container: Container, model: type) -> list[Any]:
    with Session(container.db.engine) as session:
        return list(session.exec(select(model)).all())
