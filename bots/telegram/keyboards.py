"""Inline keyboards per scale, and the compact callback data behind each button.

callback_data is at most 64 bytes and comes back from the client, which can send anything:
it is versioned ("sb1") and parsed strictly; anything else is treated as a stale button.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from flows.models import Flow
from flows.render import Choice

CALLBACK_VERSION = "sb1"
MAX_CALLBACK_BYTES = 64  # Bot API limit for callback_data
_CALLBACK = re.compile(r"sb1:([0-9a-f]{32}):(-?\d{1,3})")
MAX_PER_ROW = 8  # Telegram draws at most 8 buttons in a row

_YOUR_ANSWER = {"nl": "Je antwoord: {answer}", "en": "Your answer: {answer}"}
_ALREADY_ANSWERED = {
    "nl": "Je hebt deze vraag al beantwoord. Bedankt!",
    "en": "You have already answered this question. Thank you!",
}


@dataclass(frozen=True, slots=True)
class ButtonPress:
    invitation_id: str  # the invitation's public id
    value: int


def callback_data(invitation_id: str, value: int) -> str:
    data = f"{CALLBACK_VERSION}:{uuid.UUID(invitation_id).hex}:{value}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:  # pragma: no cover - the format cannot exceed it
        raise ValueError("callback_data over 64 bytes")
    return data


def parse_callback(data: str | None) -> ButtonPress | None:
    """The button behind callback data, or None for anything we did not put there."""
    if not data or len(data) > MAX_CALLBACK_BYTES:
        return None
    match = _CALLBACK.fullmatch(data)
    if match is None:
        return None
    return ButtonPress(str(uuid.UUID(match.group(1))), int(match.group(2)))


def keyboard(
    flow: Flow | None, invitation_id: str, choices: tuple[Choice, ...]
) -> InlineKeyboardMarkup | None:
    """Buttons for a question's choices.

    Short worded scales (CSAT 1-5, faces) get one labelled button per row, with the face when
    the flow has one: words do not fit side by side on a phone. Other scales get numbers (the
    question names the ends): up to 8 on one row (CES 1-7), else split evenly over rows (NPS
    0-10 on two rows, 0-5 and 6-10).
    """
    if not choices:
        return None
    if len(choices) <= 5 and not all(c.label.strip() == str(c.value) for c in choices):
        return InlineKeyboardMarkup(
            [[_button(invitation_id, c.value, _worded(flow, c))] for c in choices]
        )
    buttons = [_button(invitation_id, c.value, str(c.value)) for c in choices]
    rows = -(-len(buttons) // MAX_PER_ROW)  # ceil: 1 row up to 8 buttons, 2 for NPS' 11
    per_row = -(-len(buttons) // rows)
    return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])


def _button(invitation_id: str, value: int, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callback_data(invitation_id, value))


def _worded(flow: Flow | None, choice: Choice) -> str:
    face = _face(flow, choice.value)
    return f"{face} {choice.label}" if face else f"{choice.value} · {choice.label}"


def _face(flow: Flow | None, value: int) -> str | None:
    if flow is None:
        return None
    point = flow.scale.point(value)
    return point.emoji[0] if point is not None and point.emoji else None


def chosen_text(question: str, flow: Flow, value: int, locale: str) -> str:
    """The question as it reads once answered: the buttons go, the choice is spelled out."""
    label = flow.scale.label(value, locale)
    answer = label if label == str(value) else f"{value} · {label}"
    face = _face(flow, value)
    if face:
        answer = f"{face} {answer}"
    template = _YOUR_ANSWER.get(locale, _YOUR_ANSWER["en"])
    return f"{question}\n\n✅ {template.format(answer=answer)}"


def already_answered(locale: str) -> str:
    return _ALREADY_ANSWERED.get(locale, _ALREADY_ANSWERED["en"])
