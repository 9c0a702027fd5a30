"""One Telegram update in, the stored outcome and the Bot API calls to make out.

Webhook and polling share this: the answer is in the database when `handle` returns; the calls
it plans are made afterwards (by the webhook response, or by the outbox).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

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
    to_call,
)
from bots.telegram.channel import TELEGRAM
from bots.telegram.incoming import Incoming, Tap, TappedMessage, Typed
from bots.telegram.keyboards import chosen_text, keyboard
from bots.telegram.records import (
    PressResult,
    inbound,
    plain_start,
    press_button,
    read_press,
    start_deep_link,
)
from flows.buttons import decode, offered
from flows.models import Flow
from flows.render import Reply
from flows.service import InboundResult

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4096  # Bot API limit for a message's text
# A callback query's answer is refused after about 15 s; stored ones are dropped a little before.
CALLBACK_ANSWER_TTL = timedelta(seconds=14)

# "/start", "/start@AcmeSurveyBot", "/start <payload>"; deep-link payloads are [A-Za-z0-9_-]{1,64}.
_START = re.compile(r"/start(?:@\w+)?(?:\s+(?P<token>[A-Za-z0-9_-]{1,64}))?", re.IGNORECASE)
# "/start" alone is the first thing every new chat sends, and what the Start button sends to a
# chat that was stopped: help for the first, opt-in for the second (see records.plain_start).


class UpdateHandler:
    def __init__(self, container: Container) -> None:
        self.container = container
        self.service = container.service
        self.db = container.db

    async def handle(self, update: Incoming, *, webhook: bool = True) -> Plan:
        """`webhook`: one call rides on the response (see Plan.for_webhook); polling has none,
        so every call is stored for the outbox."""
        if update.tap is not None:
            return await self._callback(update.update_id, update.tap, webhook)
        if update.typed is None:
            return Plan()  # edits, channel posts, joins, bots: nothing a survey answers
        return await self._message(update.update_id, update.typed, webhook)

    # -- typed messages ----------------------------------------------------------------------

    async def _message(self, update_id: int, message: Typed, webhook: bool) -> Plan:
        chat_id, text = str(message.chat_id), message.text
        start = _START.fullmatch(text.strip())
        if start is not None:
            token = start.group("token")
            if token:
                return await self._deep_link(update_id, chat_id, token)
            outcome = await self.db.run(plain_start, self.service, chat_id, update_id)
            replies: list[Action] = list(self._replies(chat_id, outcome))
            return Plan(replies, duplicate=outcome.duplicate)
        planner = _Planner(lambda outcome: self._typed_plan(chat_id, outcome), webhook, None)
        outcome = await self.db.run(
            self.service.receive, inbound(chat_id, text, update_id, after=planner)
        )
        if outcome.duplicate or planner.plan is None:
            return Plan(self._typed_plan(chat_id, outcome).actions, duplicate=outcome.duplicate)
        return planner.plan

    def _typed_plan(self, chat_id: str, outcome: InboundResult) -> Plan:
        actions = self._stale(chat_id, outcome)
        actions.extend(self._replies(chat_id, outcome))
        return Plan(actions)

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

    async def _callback(self, update_id: int, query: Tap, webhook: bool) -> Plan:
        press = decode(query.data)
        message, chat_id = query.message, query.chat_id
        if press is None:
            # Not a button we drew (an old version, or a client sending anything): stop the
            # spinner, store nothing.
            return Plan([AnswerCallback(query.id)])
        planner = _Planner(
            lambda outcome: self._tap_plan(
                query, message, chat_id, press.value, read_press(self.service, outcome)
            ),
            webhook,
            # Telegram refuses an answer to a query older than ~15 s; polling stores it.
            self.service.clock() + CALLBACK_ANSWER_TTL,
        )
        result = await self.db.run(press_button, self.service, press, chat_id, update_id, planner)
        if result.outcome is not None and result.outcome.duplicate:
            # The first handling stored the edit; Telegram redelivers only when our answer,
            # which was the callback answer, did not reach it.
            return Plan([AnswerCallback(query.id)], duplicate=True)
        if planner.plan is not None:
            return planner.plan
        return self._tap_plan(query, message, chat_id, press.value, result)

    def _tap_plan(
        self,
        query: Tap,
        message: TappedMessage | None,
        chat_id: str,
        value: int,
        result: PressResult,
    ) -> Plan:
        if result.outcome is None:
            return Plan([AnswerCallback(query.id, result.notice)])
        outcome = result.outcome
        if not result.scored:
            # A closed survey, or not this chat's: a word on the button, nothing in the chat.
            notice = " ".join(r.text for r in outcome.replies) or None
            return Plan([AnswerCallback(query.id, notice)])
        actions: list[Action] = [AnswerCallback(query.id)]
        replies = self._replies(chat_id, outcome, result.flow)
        tapped = None
        if message is not None and message.text and result.flow is not None:
            text = chosen_text(message.text, result.flow, value, result.locale)
            # The thanks (or the follow-up question) goes on the answered question itself:
            # one call per tap, not an edit and a message, each paced per chat.
            folded = "\n\n".join([text, *(r.text for r in replies)])
            if all(r.keyboard is None for r in replies) and len(folded) <= MAX_MESSAGE_CHARS:
                text, replies = folded, []
            actions.append(EditText(chat_id, message.message_id, text))
            tapped = message.message_id
        actions.extend(self._stale(chat_id, outcome, tapped))
        actions.extend(replies)
        return Plan(actions)

    # -- replies -----------------------------------------------------------------------------

    @staticmethod
    def _stale(chat_id: str, outcome: InboundResult, tapped: int | None = None) -> list[Action]:
        """Take away the buttons this answer made stale (the tapped ones are edited already)."""
        ids = (int(i) for i in outcome.stale_buttons if i.isdigit())
        return [RemoveButtons(chat_id, i) for i in ids if i != tapped]

    def _replies(
        self, chat_id: str, outcome: InboundResult, flow: Flow | None = None
    ) -> list[SendText]:
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


class _Planner:
    """Plans an update's Bot API calls inside the answer's transaction (Inbound.after).

    The calls after the webhook's own are returned to be stored with the answer; the plan is
    kept for the webhook. A transaction that is run again (a lost race) plans again.
    """

    def __init__(
        self, make: Callable[[InboundResult], Plan], webhook: bool, expires_at: datetime | None
    ) -> None:
        self._make = make
        self._webhook = webhook
        self._expires_at = expires_at
        self.plan: Plan | None = None

    def __call__(self, outcome: InboundResult) -> Sequence[Mapping[str, Any]]:
        plan = self._make(outcome)
        if self._webhook:
            _body, rest = plan.for_webhook()
        else:
            rest = list(plan.actions)
        calls: list[dict[str, Any]] = []
        for action in rest:
            call = to_call(action)
            if isinstance(action, AnswerCallback):
                call["expires_at"] = self._expires_at
            calls.append(call)
        self.plan = Plan(plan.actions, stored=True)
        return calls
