"""The Telegram channel plug-in: on when TELEGRAM_BOT_TOKEN is set, off (one log line) if not."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import APIRouter

from bots.container import Container
from bots.telegram.channel import TELEGRAM
from bots.telegram.limiter import Limits
from bots.telegram.runtime import TelegramRuntime
from bots.telegram.webhook import webhook_router
from flows.ports import Sender

log = logging.getLogger(__name__)

# Telegram's published limits; a module constant so a test can shorten the per-chat gap.
LIMITS = Limits()


class TelegramPlugin:
    name = "telegram"

    def __init__(self, container: Container) -> None:
        self.container = container
        self.runtime = make_runtime(container)

    def senders(self) -> Mapping[str, Sender]:
        return {TELEGRAM.name: self.runtime.sender} if self.runtime else {}

    def router(self) -> APIRouter | None:
        return webhook_router(self.runtime) if self.runtime else None

    async def start(self) -> None:
        if self.runtime is not None:
            await self.runtime.start()

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()


def make_runtime(container: Container) -> TelegramRuntime | None:
    token = container.settings.telegram_bot_token
    if token is None or not token.get_secret_value().strip():
        log.info("Telegram channel off: TELEGRAM_BOT_TOKEN is not set")
        return None
    return TelegramRuntime(container, token.get_secret_value().strip(), LIMITS)


def telegram_plugin(container: Container) -> TelegramPlugin:
    return TelegramPlugin(container)
