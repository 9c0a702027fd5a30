"""Both fakes in one small web app on one loopback port."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette

from bots.devfakes.config import DevFakes
from bots.devfakes.telegram import FakeTelegram
from bots.devfakes.twilio import FakeTwilio


def _print(line: str) -> None:
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def build_app(fakes: DevFakes, say: Callable[[str], None] = _print) -> Starlette:
    """The fake Twilio and Telegram APIs, and the customer's `/phone/...` routes."""
    http = httpx.AsyncClient(timeout=15)
    twilio = FakeTwilio(fakes.server, say, http)
    telegram = FakeTelegram(fakes.server, say, http)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await http.aclose()

    return Starlette(routes=[*twilio.routes(), *telegram.routes()], lifespan=lifespan)


def shell_exports(fakes: DevFakes) -> str:
    """`export NAME=value` lines, for `eval "$(surveybot dev-fakes --env)"`."""
    return "".join(f"export {name}={value}\n" for name, value in fakes.environment().items())


def banner(fakes: DevFakes) -> str:
    """What to do next, printed when the fakes start."""
    options = "" if fakes == DevFakes() else f" --port {fakes.port} --server {fakes.server}"
    return f"""\
Fake Twilio and Telegram APIs on {fakes.url} (Ctrl-C stops).
Start the server against them, in a second terminal:
    eval "$(.venv/bin/surveybot dev-fakes --env{options})" && make run
Then, in a third, see README "First survey in five minutes". What customers are sent shows here.
"""
