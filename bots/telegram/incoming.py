"""The few fields of a Telegram update a survey reads, taken straight from its JSON.

PTB's `Update.de_json` builds an object for every part of an update (users, chats, entities,
the tapped message and its keyboard) on every webhook; surveybot reads a handful of fields, so
the webhook reads those from the dict, after `shape.update_problem` has checked their types.
Polling gets PTB's parsed updates from `getUpdates` and reads the same fields from their
`to_dict()`, so both paths hand the handler the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TappedMessage:
    """The message under a tapped button (its text is missing once Telegram hides it)."""

    chat_id: int
    message_id: int
    text: str | None


@dataclass(frozen=True, slots=True)
class Tap:
    """A callback query: a button pressed under one of the bot's messages."""

    id: str
    from_id: int
    data: str | None
    message: TappedMessage | None  # None: a button under an inline-mode message

    @property
    def chat_id(self) -> str:
        return str(self.message.chat_id if self.message is not None else self.from_id)


@dataclass(frozen=True, slots=True)
class Typed:
    """A message a person sent in a chat with the bot."""

    chat_id: int
    text: str  # its text, a caption, or a sticker's emoji; "" for anything else


@dataclass(frozen=True, slots=True)
class Incoming:
    update_id: int
    tap: Tap | None = None
    typed: Typed | None = None  # None as well for a bot's message or one without a sender


def read_update(data: Mapping[str, Any]) -> Incoming:
    """The update's survey fields; `data` has passed `shape.update_problem`."""
    update_id = int(data["update_id"])
    query = data.get("callback_query")
    if query is not None:
        return Incoming(update_id, tap=_tap(query))
    message = data.get("message")
    if message is None:
        return Incoming(update_id)  # edits, channel posts, joins: nothing a survey answers
    sender = message.get("from")
    if sender is None or sender.get("is_bot"):
        return Incoming(update_id)
    sticker = message.get("sticker")
    text = (
        message.get("text")
        or message.get("caption")
        or (sticker.get("emoji") if sticker is not None else None)
        or ""
    )
    return Incoming(update_id, typed=Typed(int(message["chat"]["id"]), text))


def _tap(query: Mapping[str, Any]) -> Tap:
    message = query.get("message")
    tapped = None
    if message is not None:
        # One Telegram no longer shows the bot (date 0, "inaccessible") has its chat and id but
        # no text: nothing to edit, as with PTB's parsed Message before.
        tapped = TappedMessage(
            int(message["chat"]["id"]), int(message["message_id"]), message.get("text")
        )
    return Tap(query["id"], int(query["from"]["id"]), query.get("data"), tapped)
