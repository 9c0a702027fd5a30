"""The Telegram `Sender`: an invitation's opening question, with its buttons, to a chat id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

from bots.telegram.actions import RemoveButtons
from bots.telegram.channel import TELEGRAM
from bots.telegram.client import is_blocked
from bots.telegram.keyboards import keyboard
from bots.telegram.outbox import Outbox
from flows.buttons import offered
from flows.models import Flow
from flows.ports import Outbound, SendError, SendResult


class TelegramSender:
    def __init__(
        self,
        outbox: Outbox,
        flows: Mapping[str, Flow],
        username: Callable[[], Awaitable[str | None]],
    ) -> None:
        self.outbox = outbox
        self.flows = flows
        self.username = username  # the bot's @name, for deep links

    async def send(self, message: Outbound) -> SendResult:
        if not message.address:
            raise SendError("no chat id: share the invitation's deep link instead", permanent=True)
        markup = keyboard(
            self.flows.get(message.flow_id), message.invitation_id, offered(message.reply, TELEGRAM)
        )
        try:
            sent = await self.outbox.send_message(message.address, message.reply.text, markup)
        except TelegramError as exc:
            raise send_error(exc) from None
        return SendResult(str(sent.message_id), "sent", buttons_live=markup is not None)

    async def remove_buttons(self, address: str, provider_message_ids: Sequence[str]) -> None:
        """Take the buttons off older messages of this chat (a reminder brings its own)."""
        ids = [int(i) for i in provider_message_ids if i.isdigit()]
        await self.outbox.run([RemoveButtons(address, i) for i in ids])


def send_error(exc: TelegramError) -> SendError:
    """A Bot API error as the core's SendError. Telegram's wording names no chat."""
    if is_blocked(exc):
        return SendError("the customer blocked the bot", code="403", permanent=True, opted_out=True)
    if isinstance(exc, InvalidToken):
        # PTB's message for this one contains the token: never pass it on.
        return SendError(
            "TELEGRAM_BOT_TOKEN was rejected by the Bot API", code="401", permanent=True
        )
    if isinstance(exc, Forbidden):
        return SendError(exc.message, code="403", permanent=True)
    if isinstance(exc, RetryAfter):
        return SendError("Telegram flood control: retries exhausted", code="429")
    if isinstance(exc, BadRequest):
        return SendError(exc.message, code="400", permanent=True)
    return SendError(f"Telegram unreachable: {type(exc).__name__}", code="network")
