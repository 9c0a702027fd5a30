"""A cheap check of a Telegram update's shape, before python-telegram-bot parses it.

Telegram sends well-formed updates; anything else reaching the webhook with the right secret
is a bug or an attack. PTB parses most garbage into objects whose fields then hold the wrong
types (or raises mid-way), and the handler would fail on them later. Here the few fields the
survey reads are checked, with their Bot API types, in a handful of isinstance tests.
"""

from __future__ import annotations

from typing import Any

# Telegram's integers fit in 52 bits (chat and user ids); dates are Unix seconds.
_MAX_ID = 2**52
_MAX_DATE = 2**32


def update_problem(data: Any) -> str | None:
    """Why this is not an update we can read (naming fields, never values), or None."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if not _is_int(data.get("update_id"), 0):
        return "update_id is not a positive integer"
    message = data.get("message")
    if message is not None:
        return _message_problem(message, "message")
    query = data.get("callback_query")
    if query is not None:
        return _callback_problem(query)
    return None


def _callback_problem(query: Any) -> str | None:
    if not isinstance(query, dict):
        return "callback_query is not an object"
    if not isinstance(query.get("id"), str):
        return "callback_query.id is not a string"
    problem = _user_problem(query.get("from"), "callback_query.from")
    if problem is not None:
        return problem
    if not isinstance(query.get("data", ""), str):
        return "callback_query.data is not a string"
    message = query.get("message")
    if message is not None:
        # An inaccessible message (too old) comes with date 0 and no text; same checks apply.
        return _message_problem(message, "callback_query.message")
    return None


def _message_problem(message: Any, where: str) -> str | None:
    if not isinstance(message, dict):
        return f"{where} is not an object"
    if not _is_int(message.get("message_id"), 0):
        return f"{where}.message_id is not a positive integer"
    if not _is_int(message.get("date"), 0, _MAX_DATE):
        return f"{where}.date is not a Unix time"
    chat = message.get("chat")
    if not isinstance(chat, dict) or not _is_int(chat.get("id"), -_MAX_ID):
        return f"{where}.chat.id is not an integer"
    if not isinstance(chat.get("type"), str):
        return f"{where}.chat.type is not a string"
    if "from" in message:
        problem = _user_problem(message["from"], f"{where}.from")
        if problem is not None:
            return problem
    for name in ("text", "caption"):
        if not isinstance(message.get(name, ""), str):
            return f"{where}.{name} is not a string"
    for name in ("entities", "caption_entities"):
        if not _entities_ok(message.get(name, [])):
            return f"{where}.{name} is not a list of entities"
    sticker = message.get("sticker")
    if sticker is not None and not (
        isinstance(sticker, dict) and isinstance(sticker.get("emoji", ""), str)
    ):
        return f"{where}.sticker is not a sticker"
    return None


def _user_problem(user: Any, where: str) -> str | None:
    if not isinstance(user, dict):
        return f"{where} is missing or not an object"
    if not _is_int(user.get("id"), 1):
        return f"{where}.id is not a positive integer"
    if not isinstance(user.get("is_bot"), bool):
        return f"{where}.is_bot is not a boolean"
    if not isinstance(user.get("first_name"), str):
        return f"{where}.first_name is not a string"
    return None


def _entities_ok(entities: Any) -> bool:
    # Not read by a survey, but where they are garbage the text they describe is suspect too.
    return isinstance(entities, list) and all(
        isinstance(e, dict)
        and _is_int(e.get("offset"), 0)
        and _is_int(e.get("length"), 0)
        and isinstance(e.get("type"), str)
        for e in entities
    )


def _is_int(value: Any, low: int, high: int = _MAX_ID) -> bool:
    # bool is an int subclass in Python, never in JSON's sense.
    return type(value) is int and low <= value < high
