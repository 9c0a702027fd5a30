"""The survey's WhatsApp content: one set of Content resources per flow and locale.

- `template`: the question as a `twilio/quick-reply` for WhatsApp approval (category UTILITY),
  the only thing that may start a conversation outside the 24-hour window. Every point of the
  scale is a button when it fits a template (10 buttons), else the first step's bands.
- `session`: the question inside the window: a `twilio/list-picker` when every point fits one
  list (10 rows), else the bands as 3 quick-reply buttons (session content needs no approval).
- `band:<lo>-<hi>`: the second step of a two-step question, the points of one band, in session.

The button and row ids are variables filled per invitation with `flows.buttons` payloads, so a
tap is bound to its survey; the samples are what WhatsApp's reviewers see.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bots.twilio.channels import WHATSAPP
from flows.buttons import Band, ChoicePlan, encode, encode_band, face, plan
from flows.models import Flow
from flows.render import Choice, Renderer, Reply
from scoring.channels import Channel

TEMPLATE = "template"
SESSION = "session"
TEMPLATE_BUTTONS = 10  # quick-reply buttons in an approved template
SESSION_BUTTONS = WHATSAPP.buttons  # quick-reply buttons in a session message
LIST_ROWS = WHATSAPP.list_items  # rows in a list-picker (session only: it cannot be approved)
BUTTON_TITLE = 20  # WhatsApp's limits on the visible texts
ROW_TITLE = 24
ROW_DESCRIPTION = 72
CATEGORY = "UTILITY"  # a survey about a contact the customer had: not marketing
_SAMPLE_ID = str(uuid.UUID(int=0))
_LIST_BUTTON = {"nl": "Kies je antwoord", "en": "Choose your answer"}
_NAME = re.compile(r"[^a-z0-9_]")


@dataclass(frozen=True, slots=True)
class Definition:
    """One Content resource as we create it, and how to fill its variables per invitation."""

    purpose: str
    friendly_name: str
    language: str
    types: dict[str, Any]
    # Variable number -> what it carries: ("score", value) or ("band", (low, high)).
    slots: tuple[tuple[str, int, int], ...]

    @property
    def needs_approval(self) -> bool:
        return self.purpose == TEMPLATE

    @property
    def digest(self) -> str:
        data = json.dumps([self.language, self.types, self.slots], sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest()[:16]

    def approval_name(self) -> str:
        """WhatsApp's template name: lowercase letters, digits and underscores."""
        return _NAME.sub("_", f"{self.friendly_name}_{self.digest[:8]}".lower())

    def variables(self, invitation_id: str) -> dict[str, str]:
        """The payloads behind this content's buttons for one invitation."""
        return {
            str(n): encode(invitation_id, low)
            if kind == "score"
            else encode_band(invitation_id, low, high)
            for n, (kind, low, high) in enumerate(self.slots, 1)
        }

    def samples(self) -> dict[str, str]:
        return self.variables(_SAMPLE_ID)


def _title(flow: Flow, choice: Choice, limit: int) -> str:
    label = choice.label.strip()
    text = label if label == str(choice.value) else f"{choice.value} · {label}"
    emoji = face(flow, choice.value)
    if emoji:
        text = f"{emoji} {text}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _score_slots(choices: tuple[Choice, ...]) -> tuple[tuple[str, int, int], ...]:
    return tuple(("score", c.value, c.value) for c in choices)


def _band_slots(bands: tuple[Band, ...]) -> tuple[tuple[str, int, int], ...]:
    return tuple(("band", b.low, b.high) for b in bands)


def _quick_reply(body: str, titles: list[str]) -> dict[str, Any]:
    actions = [{"title": t, "id": f"{{{{{n}}}}}"} for n, t in enumerate(titles, 1)]
    return {"twilio/quick-reply": {"body": body, "actions": actions}}


def _list_picker(body: str, locale: str, rows: list[tuple[str, str]]) -> dict[str, Any]:
    items = [
        {"item": title, "id": f"{{{{{n}}}}}", "description": description}
        for n, (title, description) in enumerate(rows, 1)
    ]
    button = _LIST_BUTTON.get(locale, _LIST_BUTTON["en"])
    return {"twilio/list-picker": {"body": body, "button": button, "items": items}}


def _rows(flow: Flow, choices: tuple[Choice, ...]) -> list[tuple[str, str]]:
    return [
        (_title(flow, c, ROW_TITLE), c.label.strip()[:ROW_DESCRIPTION] or str(c.value))
        for c in choices
    ]


def session_plan(question: Reply) -> ChoicePlan:
    """How the question's choices go in session: one list, or bands then a band's points.

    From what the channel's spec says it can show, as every channel's buttons are planned.
    """
    return plan(
        question,
        at_once=max(WHATSAPP.list_items, WHATSAPP.buttons),
        per_step=WHATSAPP.buttons,
        steps=WHATSAPP.steps,
    )


def definitions(flow: Flow, locale: str, renderer: Renderer) -> Iterator[Definition]:
    """Every Content resource this flow needs in this locale."""
    question = renderer.question(flow, Channel.WHATSAPP, locale)
    name = f"surveybot_{flow.id}_{locale}"
    body = question.text
    one_step = plan(question, at_once=TEMPLATE_BUTTONS, per_step=SESSION_BUTTONS, steps=2)
    if one_step.choices:
        titles = [_title(flow, c, BUTTON_TITLE) for c in one_step.choices]
        yield Definition(
            TEMPLATE, name, locale, _quick_reply(body, titles), _score_slots(one_step.choices)
        )
    elif one_step.bands:
        titles = [b.title for b in one_step.bands]
        yield Definition(
            TEMPLATE, name, locale, _quick_reply(body, titles), _band_slots(one_step.bands)
        )
    session = session_plan(question)
    if session.choices:
        rows = _rows(flow, session.choices)
        yield Definition(
            SESSION,
            f"{name}_session",
            locale,
            _list_picker(body, locale, rows),
            _score_slots(session.choices),
        )
    elif session.bands:
        titles = [b.title for b in session.bands]
        yield Definition(
            SESSION,
            f"{name}_session",
            locale,
            _quick_reply(body, titles),
            _band_slots(session.bands),
        )
        for band in session.bands:
            yield band_definition(flow, locale, renderer, band)


def band_purpose(low: int, high: int) -> str:
    return f"band:{low}-{high}"


def band_definition(flow: Flow, locale: str, renderer: Renderer, band: Band) -> Definition:
    """The second step: the points of one band, as buttons when they fit, else a list."""
    question = renderer.question(flow, Channel.WHATSAPP, locale)
    name = f"surveybot_{flow.id}_{locale}_{band.low}_{band.high}"
    body = f"{question.text} ({band.title})"
    slots = _score_slots(band.choices)
    if len(band.choices) <= SESSION_BUTTONS:
        titles = [_title(flow, c, BUTTON_TITLE) for c in band.choices]
        types = _quick_reply(body, titles)
    else:
        types = _list_picker(body, locale, _rows(flow, band.choices))
    return Definition(band_purpose(band.low, band.high), name, locale, types, slots)


def by_purpose(flow: Flow, locale: str, renderer: Renderer) -> Mapping[str, Definition]:
    return {d.purpose: d for d in definitions(flow, locale, renderer)}
