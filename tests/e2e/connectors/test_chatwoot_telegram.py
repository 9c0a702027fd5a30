"""A Chatwoot Telegram inbox: the contact's chat id (the inbox's source id) gets the survey,
through the real python-telegram-bot client against the local fake Bot API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bots.container import Container
from bots.settings import Settings
from bots.telegram.limiter import Limits
from tests.conftest import make_settings
from tests.e2e.connectors.conftest import CHATWOOT_SECRET, invitations, post_chatwoot
from tests.e2e.connectors.test_chatwoot import resolved
from tests.e2e.telegram.conftest import WEBHOOK_SECRET
from tests.e2e.telegram.fake_bot_api import TOKEN, FakeBotApi

CHAT_ID = 412345678


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api


@pytest.fixture
def settings(database_url: str, bot_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr("bots.telegram.plugin.LIMITS", Limits(per_chat_interval=0.05))
    return make_settings(
        database_url,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_api_base_url=bot_api.base_url,
        public_url="https://surveys.example.com",
        chatwoot_webhook_secret=CHATWOOT_SECRET,
    )


async def test_a_resolved_telegram_conversation_asks_the_contact_in_their_chat(
    http: httpx.Client, container: Container, bot_api: FakeBotApi
) -> None:
    """Channel::Telegram: no phone number, the chat id from the contact inbox."""
    sender = {**resolved()["meta"]["sender"], "phone_number": None}
    event = resolved(
        channel="Channel::Telegram",
        meta={**resolved()["meta"], "sender": sender},
        contact_inbox={**resolved()["contact_inbox"], "source_id": str(CHAT_ID)},
    )
    answer = post_chatwoot(http, event)

    assert answer.json()["outcome"] == "invited", answer.text
    [invitation] = invitations(container)
    assert (invitation.channel, invitation.agent) == ("telegram", "John")
    await bot_api.wait_for(
        lambda: len(bot_api.sent("sendMessage", CHAT_ID)) == 1, what="the question"
    )
