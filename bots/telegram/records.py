"""Telegram's steps into the service: a deep link, a button press, live buttons, a blocked bot.

Synchronous, like the service: run them through `container.db.run(...)`. Each is one service
call, one transaction; this module only turns Telegram's terms into the service's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bots.telegram.actions import ButtonsFor
from bots.telegram.keyboards import already_answered
from flows.buttons import ButtonPress
from flows.models import Flow
from flows.service import (
    BAD_CHOICE,
    STALE_CHOICE,
    DeepLinkResult,
    Inbound,
    InboundResult,
    SurveyService,
)
from scoring.channels import Channel

PROVIDER = "telegram"


After = Callable[[InboundResult], Sequence[Mapping[str, Any]]]


def inbound(
    chat_id: str,
    text: str,
    update_id: int,
    invitation_id: str | None = None,
    *,
    choice: bool = False,
    after: After | None = None,
) -> Inbound:
    """A Telegram update as the core sees it; update_id is the idempotency key."""
    return Inbound(
        Channel.TELEGRAM,
        chat_id,
        text,
        provider=PROVIDER,
        event_key=str(update_id),
        invitation_id=invitation_id,
        choice=choice,
        buttons=True,
        after=after,
    )


def plain_start(service: SurveyService, chat_id: str, update_id: int) -> InboundResult:
    """`/start` without a token: opts a stopped chat back in, else the help text.

    The opt-out confirmation says "send START", and Telegram's Start button sends `/start`.
    For anyone else it is a new chat saying hello, and an opt-in reply would puzzle them.
    """
    stopped = service.is_opted_out(Channel.TELEGRAM, chat_id)
    return service.receive(inbound(chat_id, "START" if stopped else "/help", update_id))


# -- deep links --------------------------------------------------------------------------------


def start_deep_link(
    service: SurveyService, token: str, chat_id: str, update_id: int
) -> DeepLinkResult:
    """`/start <token>`: bind the invitation made for a deep link to the chat that opened it."""
    return service.open_deep_link(
        token, Channel.TELEGRAM, chat_id, provider=PROVIDER, event_key=str(update_id)
    )


# -- button presses ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PressResult:
    """What a button press did. `scored`: the press was the answer, show it on the question."""

    outcome: InboundResult | None = None
    flow: Flow | None = None
    locale: str = "nl"
    scored: bool = False
    notice: str | None = None  # a polite word on the tapped button; nothing stored


def press_button(
    service: SurveyService,
    press: ButtonPress,
    chat_id: str,
    update_id: int,
    after: After | None = None,
) -> PressResult:
    """A tap on a score button: the answer, or a polite word when that question is done.

    One transaction in the service. The press names its survey, but only a survey of this chat
    is ever found by it: a button is never trusted to name someone else's. A redelivered tap
    gets what the first one got.
    """
    outcome = service.receive(
        inbound(chat_id, str(press.value), update_id, press.invitation_id, choice=True, after=after)
    )
    return read_press(service, outcome)


def read_press(service: SurveyService, outcome: InboundResult) -> PressResult:
    """What the service's outcome of a press means for the tapped button."""
    survey = outcome.survey
    flow = service.flows.get(survey.flow_id) if survey is not None else None
    locale = survey.locale if survey is not None else service.default_locale
    if outcome.outcome == STALE_CHOICE:
        return PressResult(flow=flow, locale=locale, notice=already_answered(locale))
    if outcome.outcome == BAD_CHOICE:
        return PressResult(flow=flow, locale=locale)
    return PressResult(outcome, flow, locale, scored="ScoreRecorded" in outcome.events)


# -- live buttons ----------------------------------------------------------------------------


def record_buttons(service: SurveyService, buttons: ButtonsFor, message_id: int) -> None:
    """A message with a survey's answer buttons went out (a re-prompt): keep its id."""
    service.record_buttons(buttons.invitation_id, Channel.TELEGRAM, buttons.kind, str(message_id))


# -- blocked bots ------------------------------------------------------------------------------


def record_blocked(service: SurveyService, chat_id: str) -> int:
    """403 "bot was blocked by the user" counts as STOP: opt out, close open surveys."""
    return service.opt_out(Channel.TELEGRAM, chat_id)
