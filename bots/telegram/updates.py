"""One Telegram update in, the stored outcome and the Bot API calls to make out.

Webhook and polling share this: the answer is in the database when `handle` returns; the calls
it plans are made afterwards (by the webhook response, or by the outbox).
"""

from __future__ import annotations

import logging
import re

from telegram import CallbackQuery, Message, Update

from bots.container import Container
from bots.dispatch import deliver
from bots.telegram.actions import (
    Action,
    AnswerCallback,
    ButtonsFor,
    EditText,
    Plan,
    RemoveButtons,
    SendText,
)
from bots.telegram.channel import TELEGRAM
from bots.telegram.keyboards import chosen_text, keyboard
from bots.telegram.records import inbound, plain_start, press_button, start_deep_link
from flows.buttons import decode, offered
from flows.models import Flow
from flows.render import Reply
from flows.service import InboundResult

log = logging.getLogger(__name__)

# "/start", "/start@AcmeSurveyBot", "/start <payload>"; deep-link payloads are [A-Za-z0-9_-]{1,64}.
_START = re.compile(r"/start(?:@\w+)?(?:\s+(?P<token>[A-Za-z0-9_-]{1,64}))?", re.IGNORECASE)
# "/start" alone is the first thing every new chat sends, and what the Start button sends to a
# chat that was stopped: help for the first, opt-in for the second (see records.plain_start).


class UpdateHandler:
    def __init__(self, container: Container) -> None:
        self.container = container
        self.service = container.service
        self.db = container.db

    async def handle(self, update: Update) -> Plan:
        if update.callback_query is not None:
            return await self._callback(update.update_id, update.callback_query)
        message = update.message
        if message is None or message.from_user is None or message.from_user.is_bot:
            return Plan()  # edits, channel posts, joins: nothing a survey answers
        return await self._message(update.update_id, message)

    # -- typed messages ----------------------------------------------------------------------

    async def _message(self, update_id: int, message: Message) -> Plan:
        chat_id = str(message.chat_id)
        text = (
            message.text
            or message.caption
            or (message.sticker.emoji if message.sticker else None)
            or ""
        )
        start = _START.fullmatch(text.strip())
        if start is not None:
            token = start.group("token")
            if token:
                return await self._deep_link(update_id, chat_id, token)
            outcome = await self.db.run(plain_start, self.service, chat_id, update_id)
            return Plan(self._replies(chat_id, outcome), duplicate=outcome.duplicate)
        outcome = await self.db.run(self.service.receive, inbound(chat_id, text, update_id))
        actions = self._stale(chat_id, outcome)
        actions.extend(self._replies(chat_id, outcome))
        return Plan(actions, duplicate=outcome.duplicate)

    async def _deep_link(self, update_id: int, chat_id: str, token: str) -> Plan:
        result = await self.db.run(start_deep_link, self.service, token, chat_id, update_id)
        if result.duplicate:
            return Plan(duplicate=True)
        if result.bound is not None:
            # The question goes out through the channel's sender like any invitation, so it is
            # paced, its message id is kept and a blocked bot is recorded the same way.
            await deliver(self.container, result.bound)
            return Plan()
        flow = self.service.flows.get(result.flow_id) if result.flow_id else None
        actions = [self._send(chat_id, r, result.invitation_id, flow) for r in result.replies]
        return Plan(list(actions))

    # -- button presses ----------------------------------------------------------------------

    async def _callback(self, update_id: int, query: CallbackQuery) -> Plan:
        press = decode(query.data)
        message = query.message if isinstance(query.message, Message) else None
        chat_id = str(message.chat_id) if message is not None else str(query.from_user.id)
        if press is None:
            # Not a button we drew (an old version, or a client sending anything): stop the
            # spinner, store nothing.
            return Plan([AnswerCallback(query.id)])
        result = await self.db.run(press_button, self.service, press, chat_id, update_id)
        if result.outcome is None:
            return Plan([AnswerCallback(query.id, result.notice)])
        outcome = result.outcome
        if outcome.duplicate:
            return Plan(self._replies(chat_id, outcome), duplicate=True)
        if not result.scored:
            # A closed survey, or not this chat's: a word on the button, nothing in the chat.
            notice = " ".join(r.text for r in outcome.replies) or None
            return Plan([AnswerCallback(query.id, notice)])
        actions: list[Action] = [AnswerCallback(query.id)]
        tapped = None
        if message is not None and message.text and result.flow is not None:
            text = chosen_text(message.text, result.flow, press.value, result.locale)
            actions.append(EditText(chat_id, message.message_id, text))
            tapped = message.message_id
        actions.extend(self._stale(chat_id, outcome, tapped))
        actions.extend(self._replies(chat_id, outcome, result.flow))
        return Plan(actions)

    # -- replies -----------------------------------------------------------------------------

    @staticmethod
    def _stale(chat_id: str, outcome: InboundResult, tapped: int | None = None) -> list[Action]:
        """Take away the buttons this answer made stale (the tapped ones are edited already)."""
        ids = (int(i) for i in outcome.stale_buttons if i.isdigit())
        return [RemoveButtons(chat_id, i) for i in ids if i != tapped]

    def _replies(
        self, chat_id: str, outcome: InboundResult, flow: Flow | None = None
    ) -> list[Action]:
        if flow is None and outcome.survey is not None:
            flow = self.service.flows.get(outcome.survey.flow_id)
        return [self._send(chat_id, r, outcome.invitation_id, flow) for r in outcome.replies]

    @staticmethod
    def _send(chat_id: str, reply: Reply, invitation_id: str | None, flow: Flow | None) -> SendText:
        if not invitation_id:
            return SendText(chat_id, reply.text)
        markup = keyboard(flow, invitation_id, offered(reply, TELEGRAM))
        buttons = ButtonsFor(invitation_id, reply.kind.value) if markup is not None else None
        return SendText(chat_id, reply.text, markup, buttons)
