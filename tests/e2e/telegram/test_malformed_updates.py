"""Updates no Telegram would send, past the secret token: 200, one WARNING, nothing stored."""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

import httpx
import pytest

from bots.container import Container
from scoring.tables import Contact, InboundEvent, LateAnswerRecord, Response
from tests.e2e.telegram.conftest import WEBHOOK_SECRET, Customer, invite, rows
from tests.e2e.telegram.fake_bot_api import FakeBotApi, customer, private_chat

CHAT = 4242
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET, "Content-Type": "application/json"}


def _message(**fields: Any) -> dict[str, Any]:
    message = {
        "message_id": 7,
        "date": int(time.time()),
        "chat": private_chat(CHAT),
        "from": customer(CHAT),
        "text": "9",
    }
    return {"update_id": 900, "message": {**message, **fields}}


def _press(**fields: Any) -> dict[str, Any]:
    query = {
        "id": "cbq-900",
        "from": customer(CHAT),
        "chat_instance": "ci",
        "data": "sb1:" + "0" * 32 + ":9",
    }
    query.update(fields)
    return {"update_id": 901, "callback_query": {k: v for k, v in query.items() if v is not None}}


def _without(update: dict[str, Any], *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(update)
    target = changed
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return changed


ABSURD: dict[str, Any] = {
    "date in year 292 billion": _message(date=2**63),
    "negative date": _message(date=-1),
    "press without from": _press(**{"from": None}),
    "list-valued data": _press(data=["sb1", "9"]),
    "text is a number": _message(text=9),
    "text is an object": _message(text={"a": 1}),
    "chat id is a string": _message(chat={"id": "4242", "type": "private"}),
    "from id is a boolean": _message(**{"from": {"id": True, "is_bot": False, "first_name": "K"}}),
    "no chat": _without(_message(), "message", "chat"),
    "update_id is a string": {**_message(), "update_id": "900"},
    "huge update_id": {**_message(), "update_id": 2**70},
    "message is a string": {"update_id": 902, "message": "9"},
    "body is a list": [_message()],
    "body is null": None,
    "entities are garbage": _message(entities=[[[[["x"]]]]]),
}


@pytest.mark.parametrize("body", ABSURD.values(), ids=ABSURD.keys())
async def test_an_absurd_update_is_answered_200_logged_once_and_stored_nowhere(
    webhook: FakeBotApi,
    client: httpx.AsyncClient,
    container: Container,
    caplog: pytest.LogCaptureFixture,
    body: Any,
) -> None:
    """Each gets 200 and one WARNING naming the problem; a valid update after it still scores."""
    await invite(client, address=str(CHAT), flow="nps", locale="nl")
    caplog.set_level(logging.WARNING)

    response = await client.post("/webhooks/telegram", json=body, headers=HEADERS)

    assert response.status_code == 200
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelname for r in warnings] == ["WARNING"], [r.getMessage() for r in warnings]
    assert "update ignored" in warnings[0].getMessage()
    assert rows(container, InboundEvent) == []
    assert rows(container, Response) == []
    assert rows(container, LateAnswerRecord) == []
    assert len(rows(container, Contact)) == 1  # the invited chat only
    await Customer(webhook, client, CHAT).types("9")
    assert [r.value for r in rows(container, Response)] == [9]


async def test_deeply_nested_json_is_answered_200_and_logged_once(
    webhook: FakeBotApi,  # the channel is on
    client: httpx.AsyncClient,
    container: Container,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """200,000 brackets in a body under the size limit: no recursion error reaches the log."""
    caplog.set_level(logging.WARNING)
    body = b"[" * 100_000 + b"]" * 100_000

    response = await client.post("/webhooks/telegram", content=body, headers=HEADERS)

    assert response.status_code == 200
    assert [r.levelname for r in caplog.records if r.levelno >= logging.WARNING] == ["WARNING"]
    assert rows(container, InboundEvent) == []
