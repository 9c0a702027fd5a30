"""Calling the Bot API: paced, in order per chat, retried on 429, never resent otherwise."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bots.telegram.actions import (
    Action,
    AnswerCallback,
    ButtonsFor,
    EditText,
    InChat,
    RemoveButtons,
    SendText,
)
from bots.telegram.client import MAX_IN_FLIGHT, is_blocked, retry_after_seconds
from bots.telegram.limiter import ChatSlot, RateLimiter

log = logging.getLogger(__name__)

T = TypeVar("T")
BlockedHook = Callable[[str], Awaitable[None]]
ButtonsHook = Callable[[ButtonsFor, str, int], Awaitable[None]]  # (survey, chat id, message id)


class Outbox:
    """Every call the bot makes on its own goes through here.

    Only a 429 is retried (after `retry_after`): Telegram did not deliver that message. A time-out
    or a dropped connection may have delivered it, so it is not resent; a message sent twice is
    worse for a survey than one reported as failed.
    """

    def __init__(
        self,
        bot: Bot,
        limiter: RateLimiter,
        on_blocked: BlockedHook,
        on_buttons: ButtonsHook | None = None,
    ) -> None:
        self.bot = bot
        self.limiter = limiter
        self.on_blocked = on_blocked
        self.on_buttons = on_buttons
        self._tasks: set[asyncio.Task[None]] = set()
        # Our own FIFO gate in front of the HTTP pool: a backlog waits here, in order, and never
        # runs into the pool's own wait time-out.
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def send_message(
        self, chat_id: str, text: str, keyboard: InlineKeyboardMarkup | None = None
    ) -> Message:
        """Send now (paced), for callers that need the result; raises TelegramError."""
        async with self.limiter.chat(chat_id) as slot:
            await self.limiter.pace(slot)
            return await self._send(SendText(chat_id, text, keyboard))

    def submit(self, actions: Sequence[Action]) -> None:
        """Carry out actions in the background: the webhook does not wait on the Bot API."""
        if not actions:
            return
        task = asyncio.create_task(self._run(list(actions)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, actions: Sequence[Action]) -> None:
        """Carry out actions now, in order (the polling loop and tests use this)."""
        await self._run(list(actions))

    async def perform(self, action: Action) -> None:
        """Make one call, once: a 429 is raised (RetryAfter) for the caller to reschedule.

        The durable outbox's drainer uses this; a refusal is logged and a blocked bot recorded,
        as in the background path.
        """
        if isinstance(action, AnswerCallback):
            await self._answer(action, attempts=1)
            return
        async with self.limiter.chat(action.chat_id) as slot:
            try:
                await self._one(action, slot, attempts=1)
            except RetryAfter:
                raise
            except TelegramError as exc:
                if is_blocked(exc):
                    await self.on_blocked(action.chat_id)
                    return
                log.warning("telegram %s failed: %s", type(action).__name__, exc.message)

    async def drain(self, timeout: float) -> None:
        """Let queued work finish on shutdown; what is left after `timeout` is cancelled."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("telegram outbox: %d batch(es) unsent at shutdown", len(pending))
            await asyncio.wait(pending)

    async def _run(self, actions: list[Action]) -> None:
        try:
            # The spinner on a tapped button waits for this one: first, and unpaced, since it
            # is not a message in the chat.
            for action in actions:
                if isinstance(action, AnswerCallback):
                    await self._answer(action)
            in_chat = [a for a in actions if not isinstance(a, AnswerCallback)]
            if in_chat:
                await self._in_chat(in_chat)
        except Exception:  # a background task: log, never kill the loop
            log.exception("telegram outbox: unexpected error")

    async def _in_chat(self, actions: list[InChat]) -> None:
        chat_id = actions[0].chat_id
        async with self.limiter.chat(chat_id) as slot:
            for action in actions:
                try:
                    await self._one(action, slot)
                except TelegramError as exc:
                    if is_blocked(exc):
                        await self.on_blocked(chat_id)
                        return
                    log.warning("telegram %s failed: %s", type(action).__name__, exc.message)

    async def _one(self, action: InChat, slot: ChatSlot, attempts: int | None = None) -> None:
        if isinstance(action, SendText):
            await self.limiter.pace(slot)
            sent = await self._send(action, attempts)
            if action.buttons_for is not None and self.on_buttons is not None:
                await self.on_buttons(action.buttons_for, action.chat_id, sent.message_id)
        elif isinstance(action, RemoveButtons):
            await self._remove_buttons(action, attempts)
        else:
            await self._edit(action, attempts)

    async def _send(self, action: SendText, attempts: int | None = None) -> Message:
        return await self._retrying(
            lambda: self.bot.send_message(
                chat_id=int(action.chat_id), text=action.text, reply_markup=action.keyboard
            ),
            attempts,
        )

    async def _edit(self, action: EditText, attempts: int | None = None) -> None:
        try:
            await self._retrying(
                lambda: self._unread(
                    "editMessageText",
                    chat_id=int(action.chat_id),
                    message_id=action.message_id,
                    text=action.text,
                ),
                attempts,
            )
        except BadRequest as exc:
            # Already edited (a redelivered tap) or too old to edit: the answer is stored anyway.
            log.info("telegram edit skipped: %s", exc.message)

    async def _remove_buttons(self, action: RemoveButtons, attempts: int | None = None) -> None:
        try:
            await self._retrying(
                # No reply_markup: the keyboard is taken away (what PTB sends for None).
                lambda: self._unread(
                    "editMessageReplyMarkup",
                    chat_id=int(action.chat_id),
                    message_id=action.message_id,
                ),
                attempts,
            )
        except BadRequest as exc:
            # Gone already ("message is not modified"), deleted, or too old to edit: nothing
            # to take away, and a tap on it finds the question answered anyway.
            log.info("telegram buttons not removed: %s", exc.message)

    async def _unread(self, method: str, **parameters: object) -> None:
        """A call whose result nobody reads (an edit), through the Bot's own PTB request.

        The same parameters and the same PTB error mapping (429 -> RetryAfter, 400 ->
        BadRequest, ...) as the Bot's method, without building the edited Message that PTB's
        method returns: parsing it cost about a third of each edit's CPU after a tap.
        """
        data = RequestData([RequestParameter.from_input(k, v) for k, v in parameters.items()])
        await self.bot.request.post(f"{self.bot.base_url}/{method}", request_data=data)

    async def _answer(self, action: AnswerCallback, attempts: int | None = None) -> None:
        try:
            await self._retrying(
                lambda: self.bot.answer_callback_query(action.callback_query_id, text=action.text),
                attempts,
            )
        except TelegramError as exc:
            if isinstance(exc, RetryAfter) and attempts is not None:
                raise  # the drainer reschedules it
            # Expired (older than ~15 s) or answered already: the client stops its spinner anyway.
            log.info("telegram callback answer skipped: %s", exc.message)

    async def _retrying(self, call: Callable[[], Awaitable[T]], attempts: int | None = None) -> T:
        attempts = attempts or self.limiter.limits.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                async with self._in_flight:
                    return await call()
            except RetryAfter as exc:
                if attempt == attempts:
                    raise
                wait = retry_after_seconds(exc)
                log.warning("telegram 429: waiting %.1f s (attempt %d)", wait, attempt)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover
