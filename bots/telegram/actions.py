"""What handling one update asks of the Bot API, before anything is called."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup

MAX_CALLBACK_ANSWER_CHARS = 200  # Bot API limit for answerCallbackQuery text


@dataclass(frozen=True, slots=True)
class ButtonsFor:
    """A message's buttons answer this survey: its id is kept, so they can be taken away."""

    invitation_id: str  # the public id
    kind: str  # the reply kind, as stored on the outbound message


@dataclass(frozen=True, slots=True)
class SendText:
    chat_id: str
    text: str
    keyboard: InlineKeyboardMarkup | None = None
    buttons_for: ButtonsFor | None = None

    def webhook_body(self) -> dict[str, object]:
        body: dict[str, object] = {
            "method": "sendMessage",
            "chat_id": int(self.chat_id),
            "text": self.text,
        }
        if self.keyboard is not None:
            body["reply_markup"] = self.keyboard.to_dict()
        return body


@dataclass(frozen=True, slots=True)
class EditText:
    """Replace a question's text and drop its buttons (reply_markup omitted = removed)."""

    chat_id: str
    message_id: int
    text: str


@dataclass(frozen=True, slots=True)
class RemoveButtons:
    """Take a message's inline keyboard away (editMessageReplyMarkup without a markup)."""

    chat_id: str
    message_id: int


@dataclass(frozen=True, slots=True)
class AnswerCallback:
    callback_query_id: str
    text: str | None = None

    def webhook_body(self) -> dict[str, object]:
        body: dict[str, object] = {
            "method": "answerCallbackQuery",
            "callback_query_id": self.callback_query_id,
        }
        if self.text:
            body["text"] = self.text[:MAX_CALLBACK_ANSWER_CHARS]
        return body


Action = SendText | EditText | RemoveButtons | AnswerCallback
InChat = SendText | EditText | RemoveButtons


@dataclass(frozen=True, slots=True)
class Plan:
    """The Bot API calls for one update, in order. `duplicate`: the update was seen before."""

    actions: list[Action] = field(default_factory=list)
    duplicate: bool = False
    # The calls after the webhook's own were stored in the answer's transaction (the durable
    # outbox makes them); False: they are the caller's to make.
    stored: bool = False

    def for_webhook(self) -> tuple[dict[str, object] | None, list[Action]]:
        """Split into the one call that rides on the webhook response, and the rest.

        Telegram performs a method returned in the webhook response body itself, as part of
        accepting the update: no round trip for us, and if our response is lost Telegram
        redelivers the update, so the reply is neither lost nor sent twice. It takes one call.
        After a tap that is the callback answer: the spinner waits for it, it is not a message
        in the chat (no per-chat pace), and it expires after ~15 s, which a backlog of deferred
        calls must never decide; the edit of the question then carries the confirmation.
        Otherwise it is the message the customer waits for (the thanks, the follow-up). A
        message with buttons (a re-prompt) never rides here: only a call of our own learns
        its message id, which it takes to remove those buttons later.
        """
        answers = [a for a in self.actions if isinstance(a, AnswerCallback)]
        if answers:
            return answers[0].webhook_body(), [a for a in self.actions if a is not answers[0]]
        sends = [a for a in self.actions if isinstance(a, SendText) and a.buttons_for is None]
        if len(sends) == 1 and self.actions[-1] is sends[0]:
            return sends[0].webhook_body(), self.actions[:-1]
        return None, list(self.actions)


# -- as stored in the durable outbox (scoring.deferred) ----------------------------------------


def to_call(action: Action) -> dict[str, Any]:
    """An action as a deferred-call row's method and JSON payload."""
    match action:
        case SendText():
            payload: dict[str, Any] = {"text": action.text}
            if action.keyboard is not None:
                payload["reply_markup"] = action.keyboard.to_dict()
            if action.buttons_for is not None:
                payload["buttons_for"] = {
                    "invitation_id": action.buttons_for.invitation_id,
                    "kind": action.buttons_for.kind,
                }
            return {"method": "sendMessage", "payload": payload}
        case EditText():
            return {
                "method": "editMessageText",
                "payload": {"message_id": action.message_id, "text": action.text},
            }
        case RemoveButtons():
            return {
                "method": "editMessageReplyMarkup",
                "payload": {"message_id": action.message_id},
            }
        case AnswerCallback():
            return {
                "method": "answerCallbackQuery",
                "payload": {"callback_query_id": action.callback_query_id, "text": action.text},
            }


def from_call(chat_id: str, method: str, payload: Mapping[str, Any]) -> Action | None:
    """The action a stored call describes; None for a method this version does not know."""
    if method == "sendMessage":
        markup = payload.get("reply_markup")
        buttons = payload.get("buttons_for")
        return SendText(
            chat_id,
            str(payload["text"]),
            InlineKeyboardMarkup.de_json(dict(markup), None) if markup else None,
            ButtonsFor(str(buttons["invitation_id"]), str(buttons["kind"])) if buttons else None,
        )
    if method == "editMessageText":
        return EditText(chat_id, int(payload["message_id"]), str(payload["text"]))
    if method == "editMessageReplyMarkup":
        return RemoveButtons(chat_id, int(payload["message_id"]))
    if method == "answerCallbackQuery":
        text = payload.get("text")
        return AnswerCallback(str(payload["callback_query_id"]), str(text) if text else None)
    return None
