"""Text no PostgreSQL column can hold (NUL, lone surrogates) is cleaned, stored and answered."""

from __future__ import annotations

import json
import time

import httpx

from bots.container import Container
from scoring.tables import Comment, Response
from tests.e2e.telegram.conftest import WEBHOOK_SECRET, Customer, invite, rows
from tests.e2e.telegram.fake_bot_api import Call, FakeBotApi, text_update


async def deliver_escaped(api: FakeBotApi, client: httpx.AsyncClient, text: str) -> None:
    """Deliver a text update as ASCII JSON, so a lone surrogate travels as its \\u escape."""
    update = text_update(api.next_update_id(), 3003, text)
    assert api.webhook is not None
    response = await client.post(
        api.webhook["url"],
        content=json.dumps(update),
        headers={
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
        },
    )
    assert response.status_code == 200
    body = response.json()
    if "method" in body:  # the reply rides on the webhook answer, as Telegram performs it
        api.record(Call(body.pop("method"), body, time.monotonic(), via="webhook"))


async def test_nul_and_lone_surrogate_in_telegram_text_are_stored_and_answered(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """A "2" with a NUL scores 2; a comment with a NUL and a lone surrogate is kept, cleaned."""
    sara = Customer(webhook, client, 3003)
    await invite(client, address="3003", flow="csat", locale="en")

    await sara.types("2\x00")
    await deliver_escaped(webhook, client, "te\x00traag \ud800")

    assert sara.texts()[1:] == [
        "We're sorry to hear that. What could we have done better?",
        "Thank you for your feedback. We'll act on it.",
    ]
    [response] = rows(container, Response)
    assert response.value == 2
    [comment] = rows(container, Comment)
    assert comment.text == "te traag \ufffd"
