"""Everything the Telegram channel runs on, built once from settings."""

from __future__ import annotations

import hmac
import logging

from telegram import Bot
from telegram.error import InvalidToken

from bots.container import Container
from bots.telegram.actions import ButtonsFor
from bots.telegram.client import build_bot
from bots.telegram.drainer import Drainer
from bots.telegram.limiter import Limits, RateLimiter
from bots.telegram.outbox import Outbox
from bots.telegram.records import record_blocked, record_buttons
from bots.telegram.sender import TelegramSender
from bots.telegram.updates import UpdateHandler
from bots.worker import worker_name

log = logging.getLogger(__name__)

SHUTDOWN_DRAIN_SECONDS = 10.0


class TelegramRuntime:
    def __init__(self, container: Container, token: str, limits: Limits) -> None:
        settings = container.settings
        self.container = container
        self.bot: Bot = build_bot(token, settings.telegram_api_base_url)
        self.outbox = Outbox(self.bot, RateLimiter(limits), self._blocked, self._buttons_sent)
        self.drainer = Drainer(
            container.db, self.outbox, container.service.clock, f"telegram:{worker_name()}"
        )
        self.handler = UpdateHandler(container)
        self.sender = TelegramSender(self.outbox, container.flows, self.username)
        secret = settings.telegram_webhook_secret
        self._secret = secret.get_secret_value().encode() if secret else None
        self._username: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        # httpx (PTB's default transport, if anything brings it back) logs every request URL at
        # INFO, and a Bot API URL contains the bot token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        if self._secret is None:
            log.warning(
                "TELEGRAM_WEBHOOK_SECRET is not set: POST /webhooks/telegram refuses every "
                "update (set it, or use `surveybot telegram poll`)"
            )
        try:
            await self.bot.initialize()
        except InvalidToken:
            log.error("Telegram: TELEGRAM_BOT_TOKEN was rejected by the Bot API")
            return
        except Exception as exc:  # a garbled getMe answer too: never fatal
            # Not fatal: the API and the other channels keep serving; sends report failures,
            # and the first one that needs the bot's name asks again.
            log.warning("Telegram: Bot API not reachable at start-up (%s)", type(exc).__name__)
            self.drainer.start()  # stored calls wait in the table until it answers again
            return
        self.drainer.start()
        self._username = self.bot.username
        log.info("Telegram channel on as @%s", self._username)

    async def stop(self) -> None:
        await self.drainer.stop(SHUTDOWN_DRAIN_SECONDS)
        await self.outbox.drain(SHUTDOWN_DRAIN_SECONDS)
        await self.bot.shutdown()

    # -- helpers -----------------------------------------------------------------------------

    def secret_matches(self, given: str | None) -> bool:
        """The webhook's secret token, compared in constant time; no secret set = no match."""
        if self._secret is None or given is None:
            return False
        return hmac.compare_digest(given.encode(), self._secret)

    async def username(self) -> str | None:
        if self._username is None:
            try:
                self._username = (await self.bot.get_me()).username
            except Exception as exc:  # as at start-up: a garbled answer is a miss
                log.warning("Telegram: getMe failed (%s)", type(exc).__name__)
        return self._username

    async def _buttons_sent(self, buttons: ButtonsFor, _chat_id: str, message_id: int) -> None:
        await self.container.db.run(record_buttons, self.container.service, buttons, message_id)

    async def _blocked(self, chat_id: str) -> None:
        closed = await self.container.db.run(record_blocked, self.container.service, chat_id)
        log.info("telegram: bot blocked by a customer; opted out, %d open survey(s) closed", closed)
