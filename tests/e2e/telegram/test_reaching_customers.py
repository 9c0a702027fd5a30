"""Reaching the customer on Telegram: deep links, blocked bots, flood control, pacing."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from bots.app import create_app
from bots.container import Container
from bots.settings import Settings
from scoring.tables import InboundEvent, Invitation, OptOutRecord, Response
from tests.conftest import admin_headers, make_settings
from tests.e2e.telegram.conftest import Customer, invite, rows
from tests.e2e.telegram.fake_bot_api import BOT_USER, FakeBotApi, flood


async def test_deep_link_opens_the_survey_for_a_chat_we_did_not_know(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """The API hands out t.me/<bot>?start=<token>; /start <token> asks that chat the question."""
    invitation = await invite(client, flow="nps", locale="en")
    token = invitation["deep_link_token"]
    assert invitation["status"] == "pending"
    assert invitation["deep_link"] == f"https://t.me/{BOT_USER['username']}?start={token}"
    assert len(token) >= 32
    fenna = Customer(webhook, client, 8008)

    await fenna.types(f"/start {token}")

    [question] = await fenna.wait_for_messages(1)
    assert question.params["text"].startswith("How likely is it")
    assert len(question.buttons()) == 2
    await fenna.taps("10", question)
    await fenna.wait_for_chat("✅ Your answer: 10\n\nThank you for your answer!")
    [response] = rows(container, Response)
    assert response.value == 10
    [stored] = rows(container, Invitation)
    assert (stored.public_id, stored.status) == (invitation["id"], "completed")


async def test_an_invitation_to_a_known_chat_carries_no_deep_link(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """With a chat id the question is sent to that chat: no token that would open it twice."""
    invitation = await invite(client, flow="nps", locale="en", address="8011")
    assert invitation["deep_link_token"] is None
    assert invitation["deep_link"] is None
    [stored] = rows(container, Invitation)
    assert stored.deep_link_token is None
    reply = await client.get(f"/api/v1/invitations/{invitation['id']}", headers=admin_headers())
    assert reply.json()["deep_link_token"] is None


async def test_a_deep_link_token_works_once(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """A second chat opening the same link is told it was used (not thanked); the first keeps it."""
    invitation = await invite(client, flow="csat", locale="nl")
    first = Customer(webhook, client, 8101)
    second = Customer(webhook, client, 8102)
    await first.types(f"/start {invitation['deep_link_token']}")
    await first.wait_for_messages(1)

    await second.types(f"/start {invitation['deep_link_token']}")

    assert second.texts() == [
        "Deze enquêtelink is al gebruikt: elke link werkt voor één persoon. Voor hulp kun je "
        "contact opnemen met Acme."
    ]
    await second.types("5")
    assert rows(container, Response) == []
    await first.types("5")
    assert [r.value for r in rows(container, Response)] == [5]


async def test_an_unknown_deep_link_token_gets_the_no_survey_text(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """A guessed token opens nothing."""
    guesser = Customer(webhook, client, 8201)

    await guesser.types("/start AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")

    assert "geen vraag voor je open" in guesser.texts()[0]
    assert [i.contact_id for i in rows(container, Invitation)] == []


async def test_a_blocked_bot_records_an_opt_out(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """403 "bot was blocked by the user": invitation opted out, the person on the opt-out list."""
    webhook.block(9009)

    invitation = await invite(client, address="9009", flow="nps")

    assert invitation["status"] == "opted_out"
    assert webhook.sent("sendMessage", 9009) == []
    assert len(rows(container, OptOutRecord)) == 1
    again = await invite(client, address="9009", flow="csat", interaction_id="next-week")
    assert again["status"] == "opted_out"
    assert len(webhook.attempts("sendMessage")) == 1  # the second was never tried


async def test_flood_control_waits_retry_after_and_sends_once(
    webhook: FakeBotApi, client: httpx.AsyncClient
) -> None:
    """A 429 with retry_after=1: the question goes out once, a second later."""
    webhook.fail_next("sendMessage", flood(1))

    invitation = await invite(client, address="1100", flow="csat", locale="en")

    assert invitation["status"] == "open"
    refused, delivered = webhook.attempts("sendMessage")
    assert refused.failed
    assert delivered.at - refused.at >= 1.0
    assert len(webhook.sent("sendMessage", 1100)) == 1


@pytest.mark.parametrize("chat_interval", [1.0])
async def test_messages_to_one_chat_are_a_second_apart(
    webhook: FakeBotApi, client: httpx.AsyncClient
) -> None:
    """Two invitations for one chat: the second question waits out the 1 msg/s per chat."""
    await invite(client, address="1200", flow="csat", interaction_id="a")
    await invite(client, address="1200", flow="nps", interaction_id="b")
    await invite(client, address="1201", flow="nps")

    first, second = webhook.sent("sendMessage", 1200)
    assert second.at - first.at >= 0.95
    [other_chat] = webhook.sent("sendMessage", 1201)
    assert other_chat.at - second.at < 0.5  # another chat is not held up


async def test_without_a_token_telegram_is_off_with_one_log_line(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """No TELEGRAM_BOT_TOKEN: the app builds, no webhook route, telegram invitations refused."""
    caplog.set_level(logging.INFO, logger="bots.telegram.plugin")
    app = create_app(make_settings(database_url))
    try:
        paths = {getattr(route, "path", "") for route in app.routes}
        assert "/webhooks/telegram" not in paths
        off = [r.getMessage() for r in caplog.records if r.name == "bots.telegram.plugin"]
        assert off == ["Telegram channel off: TELEGRAM_BOT_TOKEN is not set"]
        assert "telegram" not in app.state.container.senders
    finally:
        app.state.container.close()


async def test_an_update_without_a_survey_is_answered_within_the_webhook_response(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """The reply rides on the webhook response: stored first, no Bot API round trip of ours."""
    started = time.monotonic()
    update = {
        "update_id": webhook.next_update_id(),
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1300, "type": "private"},
            "from": {"id": 1300, "is_bot": False, "first_name": "Klant"},
            "text": "help",
        },
    }

    response = await client.post(
        "/webhooks/telegram",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": webhook.webhook["secret_token"]},  # type: ignore[index]
    )

    assert response.json()["method"] == "sendMessage"
    assert response.json()["chat_id"] == 1300
    assert len(rows(container, InboundEvent)) == 1
    assert webhook.sent("sendMessage") == []
    assert time.monotonic() - started < 5


async def test_two_chats_whose_questions_share_a_message_id_both_answer(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Telegram counts message ids per chat: two deep-linked questions get the same id."""
    links = [await invite(client, flow="nps", locale="nl") for _ in range(2)]
    anna, bert = Customer(webhook, client, 8301), Customer(webhook, client, 8302)

    for person, link in zip((anna, bert), links, strict=True):
        await person.types(f"/start {link['deep_link_token']}")
    [anna_question] = await anna.wait_for_messages(1)
    [bert_question] = await bert.wait_for_messages(1)

    assert anna_question.params["message_id"] == bert_question.params["message_id"]
    assert {i.status for i in rows(container, Invitation)} == {"open"}
    await anna.taps("9", anna_question)
    await bert.taps("10", bert_question)
    assert sorted(r.value for r in rows(container, Response)) == [9, 10]
    assert {i.status for i in rows(container, Invitation)} == {"completed"}


@pytest.mark.parametrize(
    "answer",
    [
        {"ok": True, "result": ["not", "a", "user"]},
        {"ok": True, "result": {"id": "x"}},
        {"ok": True},
        {"unexpected": "shape"},
    ],
    ids=["list", "half-user", "no-result", "no-ok"],
)
async def test_a_garbled_get_me_at_start_up_is_logged_once_and_not_fatal(
    bot_api: FakeBotApi,
    settings: Settings,  # on SQLite and PostgreSQL; the app itself starts in the test
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
    answer: dict[str, object],
) -> None:
    """`serve` comes up with one WARNING, as for an unreachable Bot API; surveys still go out."""
    bot_api.fail_next("getMe", answer, status=200)
    caplog.set_level(logging.WARNING)

    server = request.getfixturevalue("live_server")  # the app starts only now

    [startup] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert startup.levelname == "WARNING"
    assert startup.getMessage().startswith("Telegram: Bot API not reachable at start-up (")
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
        sent = await invite(http, address="9501", flow="nps", locale="nl")
        link = await invite(http, flow="nps", locale="nl")
    assert sent["status"] == "open"
    assert link["deep_link"].startswith(f"https://t.me/{BOT_USER['username']}?start=")
