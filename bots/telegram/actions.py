"""What handling one update asks of the Bot API, before anything is called."""

from __future__ import annotations

from dataclasses import dataclass, field

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

    def for_webhook(self) -> tuple[dict[str, object] | None, list[Action]]:
        """Split into the one call that rides on the webhook response, and the rest.

        Telegram performs a method returned in the webhook response body itself, as part of
        accepting the update: no round trip for us, and if our response is lost Telegram
        redelivers the update, so the reply is neither lost nor sent twice. It takes one call,
        so it goes to the message the customer waits for (the thanks, the follow-up); the
        callback answer and the edits follow from here. A message with buttons (a re-prompt)
        goes from here too: only a call of our own learns its message id, which it takes to
        remove those buttons later.
        """
        sends = [a for a in self.actions if isinstance(a, SendText) and a.buttons_for is None]
        if len(sends) == 1 and self.actions[-1] is sends[0]:
            return sends[0].webhook_body(), self.actions[:-1]
        if len(self.actions) == 1 and isinstance(self.actions[0], AnswerCallback):
            return self.actions[0].webhook_body(), []
        return None, list(self.actions)
