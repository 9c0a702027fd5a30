"""`surveybot telegram poll`: getUpdates instead of a webhook, for servers without a public URL.

The offset is the last handled update_id + 1, advanced only after the update's effect is stored;
Telegram forgets updates below it. Nothing else is kept in memory: after a crash, Telegram hands
back the unconfirmed updates and the stored update_id (a unique key) stops a second handling.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter

from bots.telegram.client import LONG_POLL_SECONDS, retry_after_seconds
from bots.telegram.incoming import read_update
from bots.telegram.runtime import TelegramRuntime

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")
HANDLE_ATTEMPTS = 3


class Poller:
    def __init__(self, runtime: TelegramRuntime, *, timeout: int = LONG_POLL_SECONDS) -> None:
        self.runtime = runtime
        self.timeout = timeout
        self.offset: int | None = None

    async def run(self) -> None:
        """Poll until cancelled."""
        backoff = 1.0
        while True:
            try:
                updates = await self.runtime.bot.get_updates(
                    offset=self.offset, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES
                )
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except InvalidToken:
                log.error("telegram poll: TELEGRAM_BOT_TOKEN was rejected by the Bot API")
                raise
            except Conflict:
                log.error(
                    "telegram poll: a webhook is set or another poller runs "
                    "(`surveybot telegram poll` removes the webhook at start)"
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except NetworkError as exc:
                log.warning("telegram poll: %s; retrying in %.0f s", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            for update in updates:
                await self.handle(update)
                self.offset = update.update_id + 1

    async def handle(self, update: Update) -> None:
        """Store one update's effect, then queue its replies (a redelivery gets none: after a
        crash we cannot tell whether they went out, and a message twice is the worse outcome)."""
        incoming = read_update(update.to_dict())
        for attempt in range(1, HANDLE_ATTEMPTS + 1):
            try:
                plan = await self.runtime.handler.handle(incoming, webhook=False)
                break
            except Exception:
                # The database away for a moment is worth a retry; an update that keeps failing
                # is skipped so it cannot hold up every customer behind it.
                if attempt == HANDLE_ATTEMPTS:
                    log.exception("telegram poll: update %d skipped", update.update_id)
                    return
                await asyncio.sleep(attempt)
        if plan.stored:
            self.runtime.drainer.wake()
        elif not plan.duplicate:
            self.runtime.outbox.submit(plan.actions)
