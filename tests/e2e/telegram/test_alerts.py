"""Detractor alerts to an admin chat, through a self-hosted Bot API in the README's URL form."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session, select

from bots.container import Container
from bots.settings import Settings
from bots.telegram.limiter import Limits
from scoring.cases import AlertCase
from tests.conftest import make_settings
from tests.e2e.telegram.conftest import WEBHOOK_SECRET, Customer, invite
from tests.e2e.telegram.fake_bot_api import TOKEN, FakeBotApi

ALERT_CHAT = -100777


@pytest.fixture
def settings(database_url: str, bot_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr("bots.telegram.plugin.LIMITS", Limits(per_chat_interval=0.05))
    return make_settings(
        database_url,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_api_base_url=bot_api.base_url,  # http://127.0.0.1:<port>/bot, as documented
        public_url="https://surveys.example.com",
        alert_telegram_chat_id=str(ALERT_CHAT),
        report_timezone="Europe/Amsterdam",
    )


async def test_detractor_alert_reaches_the_admin_chat_with_a_local_deadline(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """A tap on 3 sends one alert to the admin chat; its deadline reads in the report zone."""
    sanne = Customer(webhook, client, 1001)
    await invite(client, address="1001", flow="nps", locale="nl", agent="anna")
    [question] = sanne.messages()

    await sanne.taps("3", question)

    await webhook.wait_for(
        lambda: len(webhook.sent("sendMessage", ALERT_CHAT)) == 1, what="the alert"
    )
    [alert] = webhook.sent("sendMessage", ALERT_CHAT)
    with Session(container.db.engine) as session:
        [case] = session.exec(select(AlertCase)).all()
    due = case.due_at.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert f"{due:%Y-%m-%d %H:%M} {due.tzname()}" in alert.params["text"]
    assert "UTC" not in alert.params["text"]
    assert "Medewerker: anna" in alert.params["text"]
