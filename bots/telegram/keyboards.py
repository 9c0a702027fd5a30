"""Telegram's rendering of a question's choices: inline keyboards, and the answered text.

The choices and the callback data behind each button are channel-neutral (`flows/buttons.py`);
only the layout is Telegram's.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from flows.buttons import encode, face
from flows.models import Flow
from flows.render import Choice

MAX_PER_ROW = 8  # Telegram draws at most 8 buttons in a row

_YOUR_ANSWER = {"nl": "Je antwoord: {answer}", "en": "Your answer: {answer}"}
_ALREADY_ANSWERED = {
    "nl": "Je hebt deze vraag al beantwoord. Bedankt!",
    "en": "You have already answered this question. Thank you!",
}


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
    return InlineKeyboardButton(text, callback_data=encode(invitation_id, value))


def _worded(flow: Flow | None, choice: Choice) -> str:
    emoji = face(flow, choice.value)
    return f"{emoji} {choice.label}" if emoji else f"{choice.value} · {choice.label}"


def chosen_text(question: str, flow: Flow, value: int, locale: str) -> str:
    """The question as it reads once answered: the buttons go, the choice is spelled out."""
    label = flow.scale.label(value, locale)
    answer = label if label == str(value) else f"{value} · {label}"
    emoji = face(flow, value)
    if emoji:
        answer = f"{emoji} {answer}"
    template = _YOUR_ANSWER.get(locale, _YOUR_ANSWER["en"])
    return f"{question}\n\n✅ {template.format(answer=answer)}"


def already_answered(locale: str) -> str:
    return _ALREADY_ANSWERED.get(locale, _ALREADY_ANSWERED["en"])
