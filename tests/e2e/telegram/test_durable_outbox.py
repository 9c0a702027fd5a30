"""The calls a tap leaves to make: stored with the answer, made once, kept over a restart."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import pytest

from bots.container import Container, build
from bots.settings import Settings
from scoring import deferred
from scoring.tables import Response
from tests.conftest import LiveServer
from tests.e2e.telegram.conftest import WEBHOOK_SECRET, Customer, invite, rows
from tests.e2e.telegram.fake_bot_api import FakeBotApi, flood, tap_update
from tests.e2e.telegram.test_polling import invite as invite_directly
from tests.e2e.telegram.test_polling import polling, runtime_of


def _pending(container: Container) -> int:
    return deferred.pending(container.db.engine, "telegram")


async def test_a_tap_costs_one_deferred_call_and_the_spinner_stops_on_the_reply(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """The callback answer rides on the webhook reply; the edit that thanks is the only call."""
    noor = Customer(webhook, client, 7001)
    await invite(client, address="7001", flow="csat", locale="nl")
    [question] = noor.messages()

    await noor.taps("😍 zeer tevreden", question)

    answer = await noor.answer_to_last_tap()
    assert answer.via == "webhook"
    await noor.wait_for_chat("Bedankt voor je antwoord!")
    made = [c for c in webhook.sent() if c.via == "api" and c.chat_id == 7001]
    assert [c.method for c in made] == ["sendMessage", "editMessageText"]  # question, edit
    await webhook.wait_for(lambda: _pending(container) == 0, what="an empty outbox")


async def test_a_429_on_the_edit_is_retried_after_the_time_telegram_asked(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Flood control on the edit: it is made once, no sooner than retry_after, and then gone."""
    ruud = Customer(webhook, client, 7002)
    await invite(client, address="7002", flow="nps", locale="en")
    [question] = ruud.messages()
    webhook.fail_next("editMessageText", flood(1), chat_id=7002)

    await ruud.taps("9", question)

    await ruud.wait_for_chat("Thank you for your answer!")
    refused, made = webhook.attempts("editMessageText")
    assert (refused.failed, made.failed) == (True, False)
    assert made.at - refused.at >= 1.0
    assert len(webhook.sent("editMessageText")) == 1
    await webhook.wait_for(lambda: _pending(container) == 0, what="an empty outbox")


async def test_deferred_calls_wait_in_the_database_over_a_restart(
    webhook: FakeBotApi,
    client: httpx.AsyncClient,
    container: Container,
    live_server: LiveServer,
    settings: Settings,
) -> None:
    """Stopped while an edit waits out a 429: the next instance makes it, once; none is lost."""
    mila = Customer(webhook, client, 7003)
    await invite(client, address="7003", flow="nps", locale="nl")
    [question] = mila.messages()
    webhook.fail_next("editMessageText", flood(2), chat_id=7003)
    await mila.taps("8", question)
    await webhook.wait_for(lambda: len(webhook.attempts("editMessageText")) == 1)

    live_server.__exit__(None, None, None)  # a graceful stop, as on a deploy
    assert _pending(container) == 1
    restarted = build(settings)
    try:
        with LiveServer(restarted) as second:
            webhook.webhook = {
                "url": f"{second.url}/webhooks/telegram",
                "secret_token": WEBHOOK_SECRET,
            }
            await mila.wait_for_chat("Bedankt voor je antwoord!")
            await asyncio.sleep(0.3)  # room for a second edit, which must not come
    finally:
        restarted.close()

    assert len(webhook.sent("editMessageText")) == 1
    assert _pending(container) == 0
    assert [r.value for r in rows(container, Response)] == [8]


async def test_many_chats_tapping_at_once_get_one_edit_each(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Twenty taps in parallel: every chat's question shows its answer, none edited twice."""
    people = [Customer(webhook, client, 7100 + n) for n in range(20)]
    for person in people:
        await invite(client, address=str(person.chat_id), flow="ces", locale="en")
    questions = [person.messages()[0] for person in people]

    await asyncio.gather(*(p.taps("6", q) for p, q in zip(people, questions, strict=True)))

    for person in people:
        await person.wait_for_chat("Thank you for your answer!")
    edits = webhook.attempts("editMessageText")
    assert sorted(c.chat_id for c in edits if c.chat_id is not None) == [p.chat_id for p in people]
    assert all(not c.failed for c in edits)
    await webhook.wait_for(lambda: _pending(container) == 0, what="an empty outbox")


async def test_more_waiting_calls_than_one_claim_takes_are_all_made_once(
    webhook: FakeBotApi,
    client: httpx.AsyncClient,
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three calls claimed at a time, ten chats tapping at once: every edit made, none twice."""
    monkeypatch.setattr("bots.telegram.drainer.IN_FLIGHT", 3)
    people = [Customer(webhook, client, 7150 + n) for n in range(10)]
    for person in people:
        await invite(client, address=str(person.chat_id), flow="nps", locale="en")
    questions = [person.messages()[0] for person in people]

    await asyncio.gather(*(p.taps("9", q) for p, q in zip(people, questions, strict=True)))

    for person in people:
        await person.wait_for_chat("Thank you for your answer!")
    edits = webhook.attempts("editMessageText")
    assert sorted(c.chat_id for c in edits if c.chat_id is not None) == [p.chat_id for p in people]
    await webhook.wait_for(lambda: _pending(container) == 0, what="an empty outbox")


@pytest.fixture
def short_callback_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bots.telegram.updates.CALLBACK_ANSWER_TTL", timedelta(seconds=0.5))


@pytest.mark.usefixtures("short_callback_ttl")
async def test_a_stored_callback_answer_past_its_lifetime_is_dropped_not_sent(
    bot_api: FakeBotApi, container: Container
) -> None:
    """Polling stores the callback answer; held up past its lifetime it is dropped, the edit not."""
    await invite_directly(container, "7200", "nps", "en")
    [question] = bot_api.sent("sendMessage", 7200)
    bot_api.fail_next("answerCallbackQuery", flood(1))

    bot_api.queue_update(tap_update(bot_api.next_update_id(), 7200, question, "10"))
    async with runtime_of(container) as runtime, polling(runtime):
        await bot_api.wait_for(lambda: len(bot_api.sent("editMessageText", 7200)) == 1)
        started = time.monotonic()
        await bot_api.wait_for(lambda: _pending(container) == 0, what="an empty outbox")

    assert time.monotonic() - started < 5
    [refused] = bot_api.attempts("answerCallbackQuery")  # tried once, then never again
    assert refused.failed
    [edit] = bot_api.sent("editMessageText", 7200)
    assert edit.at - refused.at >= 1.0  # it waited its turn behind the callback answer
    assert edit.params["text"].endswith("✅ Your answer: 10\n\nThank you for your answer!")
