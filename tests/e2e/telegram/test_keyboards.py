"""Answer buttons in the chat: only the question being asked has live ones, and not for long."""

from __future__ import annotations

import httpx

from bots.container import Container
from scoring.tables import OutboundMessage, Response
from tests.e2e.telegram.conftest import Customer, invite, rows
from tests.e2e.telegram.fake_bot_api import FakeBotApi


def _buttons_recorded(container: Container, message_id: int) -> bool:
    return any(
        m.provider_message_id == str(message_id) and m.buttons_live
        for m in rows(container, OutboundMessage)
    )


async def _no_live_buttons(api: FakeBotApi, chat_id: int) -> None:
    await api.wait_for(lambda: api.live_keyboards(chat_id) == [], what="no live buttons")


async def test_a_typed_answer_takes_the_questions_buttons_away(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Typing '4' scores, thanks, and the question's buttons are removed."""
    tom = Customer(webhook, client, 2101)
    await invite(client, address="2101", flow="csat", locale="en")
    [question] = tom.messages()

    await tom.types("4")

    assert tom.texts()[-1] == "Thank you for your answer!"
    await _no_live_buttons(webhook, 2101)
    [removed] = webhook.sent("editMessageReplyMarkup", 2101)
    assert removed.params["message_id"] == question.params["message_id"]
    assert [r.value for r in rows(container, Response)] == [4]


async def test_after_two_unclear_answers_only_the_last_reprompt_has_buttons(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Each re-prompt brings the buttons along and takes them off the message before it."""
    tom = Customer(webhook, client, 2102)
    await invite(client, address="2102", flow="csat", locale="en")

    await tom.types("maybe")
    reprompt = (await tom.wait_for_messages(2))[-1]
    # The outbox keeps the re-prompt's id once Telegram has answered the send; a customer is
    # not faster than that, the test client can be.
    await webhook.wait_for(
        lambda: _buttons_recorded(container, reprompt.params["message_id"]),
        what="the re-prompt's buttons recorded",
    )
    await tom.types("perhaps")
    messages = await tom.wait_for_messages(3)

    last = messages[-1]
    assert last.params["text"].startswith("Sorry, I didn't get that.")
    await webhook.wait_for(
        lambda: (
            [m["message_id"] for m in webhook.live_keyboards(2102)] == [last.params["message_id"]]
        ),
        what="the last re-prompt's buttons only",
    )
    await webhook.wait_for(
        lambda: _buttons_recorded(container, last.params["message_id"]),
        what="the last re-prompt's buttons recorded",
    )
    await tom.types("4")
    await _no_live_buttons(webhook, 2102)
    assert [r.value for r in rows(container, Response)] == [4]


async def test_a_tap_on_a_reprompts_button_leaves_no_live_buttons(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """The tapped re-prompt shows the answer; the question above it loses its buttons too."""
    tom = Customer(webhook, client, 2103)
    await invite(client, address="2103", flow="csat", locale="en")
    await tom.types("maybe")
    [question, reprompt] = await tom.wait_for_messages(2)

    await tom.taps("🙂 satisfied", reprompt)

    await _no_live_buttons(webhook, 2103)
    [edit] = webhook.sent("editMessageText", 2103)
    assert edit.params["message_id"] == reprompt.params["message_id"]
    assert edit.params["text"].endswith(
        "✅ Your answer: 🙂 4 · satisfied\n\nThank you for your answer!"
    )
    assert len(tom.messages()) == 2  # the thanks is on the edited re-prompt, no new message
    [removed] = webhook.sent("editMessageReplyMarkup", 2103)
    assert removed.params["message_id"] == question.params["message_id"]
    assert [r.value for r in rows(container, Response)] == [4]
