"""A reminder brings the question's buttons along and takes them off the question."""

from __future__ import annotations

import httpx
import pytest

from bots.container import Container
from bots.settings import Settings
from bots.telegram.limiter import Limits
from scoring.tables import OutboundMessage, Response
from tests.conftest import make_settings
from tests.e2e.telegram.conftest import WEBHOOK_SECRET, Customer, invite, rows
from tests.e2e.telegram.fake_bot_api import TOKEN, FakeBotApi


@pytest.fixture
def settings(database_url: str, bot_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr("bots.telegram.plugin.LIMITS", Limits(per_chat_interval=0.05))
    return make_settings(
        database_url,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_api_base_url=bot_api.base_url,
        public_url="https://surveys.example.com",
        in_process_worker=True,
        reminder_hours=1 / 3600,  # a second after the question
    )


async def test_after_a_reminder_only_the_reminder_has_buttons(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Question, then reminder: one live keyboard, on the reminder; the answer clears it."""
    ina = Customer(webhook, client, 2201)
    await invite(client, address="2201", flow="nps", locale="nl")

    [question, reminder] = await ina.wait_for_messages(2)

    assert reminder.params["text"].startswith("Herinnering:")
    await webhook.wait_for(
        lambda: (
            [m["message_id"] for m in webhook.live_keyboards(2201)]
            == [reminder.params["message_id"]]
        ),
        what="the reminder's buttons only",
    )
    assert question.params["message_id"] != reminder.params["message_id"]
    await ina.taps("9", reminder)
    await webhook.wait_for(lambda: webhook.live_keyboards(2201) == [], what="no live buttons")
    assert [r.value for r in rows(container, Response)] == [9]
    assert [m.kind for m in rows(container, OutboundMessage)] == ["question", "reminder"]
