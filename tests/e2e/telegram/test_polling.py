"""Polling mode: getUpdates with the right offset, through the same handling as the webhook."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bots.cli.main import app as cli
from bots.container import Container
from bots.dispatch import deliver
from bots.settings import Settings
from bots.telegram.plugin import TelegramPlugin
from bots.telegram.polling import Poller
from bots.telegram.runtime import TelegramRuntime
from flows.service import NewInvitation
from scoring.channels import Channel
from scoring.tables import Response
from tests.e2e.telegram.conftest import WEBHOOK_SECRET, rows
from tests.e2e.telegram.fake_bot_api import TOKEN, FakeBotApi, tap_update, text_update


@contextlib.asynccontextmanager
async def runtime_of(container: Container) -> AsyncIterator[TelegramRuntime]:
    plugin = container.channel("telegram")  # the container's own channel, as `telegram poll`
    assert isinstance(plugin, TelegramPlugin)
    built = plugin.runtime
    assert built is not None
    await built.start()
    try:
        yield built
    finally:
        await built.stop()


@pytest.fixture
async def runtime(container: Container) -> AsyncIterator[TelegramRuntime]:
    async with runtime_of(container) as built:
        yield built


@contextlib.asynccontextmanager
async def polling(runtime: TelegramRuntime) -> AsyncIterator[Poller]:
    poller = Poller(runtime, timeout=1)
    task = asyncio.create_task(poller.run())
    try:
        yield poller
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def invite(container: Container, chat_id: str, flow: str, locale: str) -> None:
    new = NewInvitation(Channel.TELEGRAM, chat_id, flow_id=flow, locale=locale)
    invitation = await container.db.run(container.service.create_invitation, new)
    await deliver(container, invitation.public_id)


async def test_polling_runs_a_survey_and_confirms_each_update_after_storing_it(
    bot_api: FakeBotApi, runtime: TelegramRuntime, container: Container
) -> None:
    """A tap and a comment by getUpdates; each offset is the last update_id + 1."""
    await invite(container, "1400", "nps", "nl")
    [question] = bot_api.sent("sendMessage", 1400)
    tap = tap_update(bot_api.next_update_id(), 1400, question, "5")
    comment = text_update(bot_api.next_update_id(), 1400, "Niemand nam op")
    bot_api.queue_update(tap)

    async with polling(runtime) as poller:
        await bot_api.wait_for(lambda: len(bot_api.sent("editMessageText", 1400)) == 1)
        bot_api.queue_update(comment)
        await bot_api.wait_for(lambda: len(bot_api.sent("sendMessage", 1400)) == 2)
        await bot_api.wait_for(lambda: bot_api.confirmed_offset == comment["update_id"] + 1)

    texts = [c.params["text"] for c in bot_api.sent("sendMessage", 1400)]
    assert texts[1:] == ["Bedankt voor je toelichting. We gaan ermee aan de slag."]
    # Without a webhook reply to ride on, the callback answer is a call of its own, made first.
    answer, edited = bot_api.sent("answerCallbackQuery"), bot_api.sent("editMessageText")
    assert [c.params["callback_query_id"] for c in answer] == [f"cbq-{tap['update_id']}"]
    assert answer[0].at <= edited[0].at
    assert (
        edited[0].params["text"].endswith("✅ Je antwoord: 5\n\nBedankt. Wat kunnen we verbeteren?")
    )
    assert bot_api.get_updates_offsets[0] is None
    assert tap["update_id"] + 1 in bot_api.get_updates_offsets
    assert poller.offset == comment["update_id"] + 1
    [response] = rows(container, Response)
    assert response.value == 5


async def test_an_update_redelivered_after_a_crash_is_not_handled_twice(
    bot_api: FakeBotApi, runtime: TelegramRuntime, container: Container
) -> None:
    """A fresh poller (offset lost) gets an unconfirmed update again: no second score or thanks."""
    await invite(container, "1500", "csat", "en")
    answer = text_update(bot_api.next_update_id(), 1500, "5")
    bot_api.queue_update(answer)
    async with polling(runtime):
        await bot_api.wait_for(lambda: len(bot_api.sent("sendMessage", 1500)) == 2)

    # The process died before its next getUpdates confirmed the update: Telegram sends it again.
    bot_api.queue_update(answer)
    async with polling(runtime) as restarted:
        await bot_api.wait_for(lambda: restarted.offset == answer["update_id"] + 1)
        await asyncio.sleep(0.2)

    assert [c.params["text"] for c in bot_api.sent("sendMessage", 1500)][1:] == [
        "Thank you for your answer!"
    ]
    assert [r.value for r in rows(container, Response)] == [5]


def test_set_webhook_registers_the_public_url_with_the_secret_token(
    bot_api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`surveybot telegram set-webhook`: SURVEYBOT_PUBLIC_URL/webhooks/telegram + secret."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_API_BASE_URL": bot_api.base_url,
        "SURVEYBOT_PUBLIC_URL": "https://surveys.example.com/",
    }

    result = CliRunner().invoke(cli, ["telegram", "set-webhook"], env=env)

    assert result.exit_code == 0, result.output
    assert "https://surveys.example.com/webhooks/telegram" in result.output
    [call] = bot_api.sent("setWebhook")
    assert call.params["url"] == "https://surveys.example.com/webhooks/telegram"
    assert call.params["secret_token"] == WEBHOOK_SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]
    assert TOKEN not in result.output


def test_set_webhook_refuses_without_a_public_https_url(
    bot_api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No SURVEYBOT_PUBLIC_URL: a clear error, nothing registered."""
    monkeypatch.chdir(tmp_path)
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET}

    result = CliRunner().invoke(cli, ["telegram", "set-webhook"], env=env)

    assert result.exit_code == 2
    assert "SURVEYBOT_PUBLIC_URL" in result.output
    assert bot_api.sent("setWebhook") == []


async def test_poll_command_answers_until_sigterm(
    bot_api: FakeBotApi, settings: Settings, tmp_path: Path
) -> None:
    """`surveybot telegram poll` removes the webhook, answers /start with help, stops on TERM."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": bot_api.base_url,
        "SURVEYBOT_DATABASE_URL": settings.database_url,
        "SURVEYBOT_SECRET_KEY": "poll-test-secret-0123456789-0123456789",
    }
    bot_api.queue_update(text_update(bot_api.next_update_id(), 1600, "/start"))
    process = subprocess.Popen(
        [sys.executable, "-c", "from bots.cli.main import app; app()", "telegram", "poll"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        await bot_api.wait_for(lambda: len(bot_api.sent("sendMessage", 1600)) == 1, timeout=20)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)

    assert process.returncode == 0, output.decode()
    assert len(bot_api.sent("deleteWebhook")) == 1
    assert "één korte vraag" in bot_api.sent("sendMessage", 1600)[0].params["text"]
    assert "1600" not in output.decode()  # chat ids stay out of the logs
    assert TOKEN not in output.decode()
