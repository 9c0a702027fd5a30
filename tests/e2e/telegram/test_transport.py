"""The aiohttp transport under PTB's Bot: real calls to the fake, and how failures surface."""

from __future__ import annotations

import asyncio
import socket
import traceback
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from bots.telegram.client import build_bot
from bots.telegram.transport import AiohttpRequest
from tests.e2e.telegram.fake_bot_api import TOKEN, FakeBotApi


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api


async def test_a_message_with_buttons_reaches_the_bot_api_as_json_objects(
    bot_api: FakeBotApi,
) -> None:
    bot = build_bot(TOKEN, bot_api.base_url)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("9", callback_data="v1:abc:9")]])
    async with bot:
        sent = await bot.send_message(chat_id=42, text="Hoe waarschijnlijk?", reply_markup=markup)
    assert sent.chat_id == 42
    (call,) = [c for c in bot_api.calls if c.method == "sendMessage"]
    assert call.params["text"] == "Hoe waarschijnlijk?"
    assert call.buttons() == [[{"text": "9", "callback_data": "v1:abc:9"}]]


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A server that accepts connections and never answers."""
    writers: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port: int = server.sockets[0].getsockname()[1]
    async with server:
        yield port
        for writer in writers:
            writer.close()
            await writer.wait_closed()


async def test_a_bot_api_that_does_not_answer_in_time_is_a_timeout(silent_port: int) -> None:
    request = AiohttpRequest(read_timeout=0.2)
    async with request:
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{silent_port}/bot{TOKEN}/getMe")


async def test_an_unreachable_bot_api_is_a_network_error_that_does_not_show_the_token() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = AiohttpRequest()
    async with request:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    # Not in the message, and not in a logged traceback (aiohttp's own error quotes the URL).
    logged = "".join(traceback.format_exception(caught.value))
    assert TOKEN.split(":")[1] not in logged


async def test_a_timeout_in_a_logged_traceback_does_not_show_the_token(silent_port: int) -> None:
    request = AiohttpRequest(read_timeout=0.2)
    async with request:
        with pytest.raises(TimedOut) as caught:
            await request.post(f"http://127.0.0.1:{silent_port}/bot{TOKEN}/getMe")
    assert TOKEN.split(":")[1] not in "".join(traceback.format_exception(caught.value))


def test_one_bot_serves_two_event_loops_in_turn(bot_api: FakeBotApi) -> None:
    """CLI commands run the bot under asyncio.run, sometimes twice in one process."""
    bot = build_bot(TOKEN, bot_api.base_url)

    async def ask() -> str | None:
        async with bot:  # initialize ... shutdown, as the CLI commands do
            return (await bot.get_me()).username

    assert asyncio.run(ask()) == asyncio.run(ask()) == "acme_survey_bot"


async def test_nothing_goes_out_after_shutdown(bot_api: FakeBotApi) -> None:
    request = AiohttpRequest()
    await request.initialize()
    await request.shutdown()
    with pytest.raises(NetworkError, match="shut down"):
        await request.post(f"{bot_api.base_url}{TOKEN}/getMe")
    assert bot_api.calls == []


async def test_the_bot_api_is_reached_through_the_proxy_the_environment_names(
    bot_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP(S)_PROXY applies (as with PTB's default transport), and NO_PROXY exempts a host."""
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", bot_api.url)  # the fake serves absolute-form requests too
    unresolvable = "http://bot-api.invalid/bot"
    async with build_bot(TOKEN, unresolvable) as bot:
        assert (await bot.get_me()).username == "acme_survey_bot"

    monkeypatch.setenv("NO_PROXY", "bot-api.invalid")
    with pytest.raises(NetworkError):
        async with build_bot(TOKEN, unresolvable) as bot:
            await bot.get_me()
