"""Telegram over a webhook: the real app, the real PTB client, a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio

import httpx

from bots.container import Container
from scoring.tables import Comment, InboundEvent, Invitation, OptOutRecord, Response
from tests.e2e.telegram.conftest import Customer, invite, rows
from tests.e2e.telegram.fake_bot_api import (
    Call,
    FakeBotApi,
    callback_update,
    tap_update,
    text_update,
)


async def test_nps_in_dutch_by_button_with_a_detractor_follow_up(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Question with 0-10 on two rows; a tap on 3 is shown, asks why, and the why is stored."""
    sanne = Customer(webhook, client, 1001)
    invitation = await invite(client, address="1001", flow="nps", locale="nl", agent="anna")
    assert invitation["status"] == "open"
    [question] = sanne.messages()
    assert "aanbeveelt" in question.params["text"]
    labels = [[b["text"] for b in row] for row in question.buttons()]
    assert labels == [["0", "1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"]]

    tapped = await sanne.taps("3", question)

    assert tapped.status_code == 200
    [answer] = await webhook_wait(webhook, "answerCallbackQuery")
    assert answer.params["callback_query_id"].startswith("cbq-")
    [edit] = await webhook_wait(webhook, "editMessageText")
    assert edit.params["message_id"] == question.params["message_id"]
    # The follow-up question is on the answered question: one call after the tap, not two.
    assert edit.params["text"].endswith("✅ Je antwoord: 3\n\nBedankt. Wat kunnen we verbeteren?")
    assert "reply_markup" not in edit.params  # no live buttons left
    assert len(sanne.messages()) == 1

    await sanne.types("De wachttijd was veel te lang")

    assert sanne.texts()[-1] == "Bedankt voor je toelichting. We gaan ermee aan de slag."
    [response] = rows(container, Response)
    assert (response.value, response.channel, response.locale, response.agent) == (
        3,
        "telegram",
        "nl",
        "anna",
    )
    [comment] = rows(container, Comment)
    assert comment.text == "De wachttijd was veel te lang"
    [stored] = rows(container, Invitation)
    assert stored.status == "completed"


async def test_csat_answered_by_typing_after_a_reprompt(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Labelled face buttons; 'misschien' is re-asked, '⭐⭐⭐⭐' is stored as 4 with thanks."""
    tom = Customer(webhook, client, 2002)
    await invite(client, address="2002", flow="csat", locale="en")
    [question] = tom.messages()
    assert [[b["text"] for b in row] for row in question.buttons()] == [
        ["😡 very dissatisfied"],
        ["😞 dissatisfied"],
        ["😐 neutral"],
        ["🙂 satisfied"],
        ["😍 very satisfied"],
    ]

    await tom.types("maybe")
    reprompt = (await tom.wait_for_messages(2))[-1]
    assert reprompt.params["text"].startswith("Sorry, I didn't get that.")
    assert reprompt.buttons() == question.buttons()  # the same buttons, still for this survey

    await tom.types("⭐⭐⭐⭐")

    assert tom.texts()[-1] == "Thank you for your answer!"
    [response] = rows(container, Response)
    assert (response.value, response.raw_text) == (4, "⭐⭐⭐⭐")


async def test_a_photo_captioned_with_a_score_is_that_answer(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Telegram puts a photo's words in `caption`, not `text`: they are the answer all the same."""
    await invite(client, address="2010", flow="nps", locale="en")
    update = text_update(webhook.next_update_id(), 2010, "", webhook.next_message_id(2010))
    message = update["message"]
    del message["text"]
    message["caption"] = "9"
    message["photo"] = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]

    await webhook.deliver(client, update)

    [response] = rows(container, Response)
    assert (response.value, response.raw_text) == (9, "9")


async def test_ces_buttons_fit_on_one_row(webhook: FakeBotApi, client: httpx.AsyncClient) -> None:
    """CES 1-7 is one row of seven numbers."""
    await invite(client, address="2003", flow="ces", locale="nl")
    [question] = webhook.sent("sendMessage", 2003)
    assert [[b["text"] for b in row] for row in question.buttons()] == [
        ["1", "2", "3", "4", "5", "6", "7"]
    ]


async def test_redelivered_update_is_handled_once(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Same update_id twice (the first answer lost on the way): one score, one thanks."""
    eva = Customer(webhook, client, 3003)
    await invite(client, address="3003", flow="nps", locale="nl")
    update = _text(webhook, 3003, "9")

    first = await webhook.deliver(client, update, lose_response=True)
    again = await webhook.deliver(client, update)

    assert (first.status_code, again.status_code) == (200, 200)
    assert eva.texts()[1:] == ["Bedankt voor je antwoord!"]
    assert [r.value for r in rows(container, Response)] == [9]
    assert len([e for e in rows(container, InboundEvent) if e.provider == "telegram"]) == 1


async def test_wrong_or_missing_secret_token_is_refused(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Without the right X-Telegram-Bot-Api-Secret-Token: 403 and nothing stored or sent."""
    await invite(client, address="4004", flow="nps", locale="nl")
    update = _text(webhook, 4004, "10")

    wrong = await webhook.deliver(client, update, secret="not-the-secret")
    missing = await client.post("/webhooks/telegram", json=update)

    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert rows(container, Response) == []
    assert rows(container, InboundEvent) == []
    assert len(webhook.sent("sendMessage", 4004)) == 1  # just the question


async def test_second_tap_on_an_old_button_changes_nothing(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """After the answer, another tap on the same question gets a polite word, no new score."""
    lotte = Customer(webhook, client, 5005)
    await invite(client, address="5005", flow="csat", locale="nl")
    [question] = lotte.messages()
    await lotte.taps("🙂 tevreden", question)
    await lotte.wait_for_chat("Bedankt voor je antwoord!")

    again = await lotte.taps("😡 zeer ontevreden", question)

    assert again.status_code == 200
    answer = await lotte.answer_to_last_tap()
    assert answer.params["text"] == "Deze enquête is gesloten. Bedankt voor je reactie!"
    assert [r.value for r in rows(container, Response)] == [4]
    assert lotte.texts() == [question.params["text"]]  # no new message in the chat
    assert lotte.chat()[-1].endswith("✅ Je antwoord: 🙂 4 · tevreden\n\nBedankt voor je antwoord!")


async def test_score_button_during_the_follow_up_is_not_taken_as_the_comment(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Tapping another score while we wait for the comment: told it is answered, nothing kept."""
    bram = Customer(webhook, client, 5006)
    await invite(client, address="5006", flow="nps", locale="en")
    [question] = bram.messages()
    await bram.taps("2", question)

    await bram.taps("8", question)

    answer = await bram.answer_to_last_tap()
    assert answer.params["text"] == "You have already answered this question. Thank you!"
    assert [r.value for r in rows(container, Response)] == [2]
    assert rows(container, Comment) == []
    assert rows(container, Invitation)[0].status == "follow_up"


async def test_button_data_we_did_not_draw_is_ignored(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """Forged callback_data (another version, someone else's survey) stores nothing."""
    await invite(client, address="5007", flow="nps", locale="nl")
    [question] = webhook.sent("sendMessage", 5007)
    forged = ["sb0:x:1", "sb1:" + "0" * 32 + ":5", "sb1:zz:99", "x" * 64]

    for data in forged:
        update = callback_update(webhook.next_update_id(), 5007, question, data)
        assert (await webhook.deliver(client, update)).status_code == 200

    await webhook_wait(webhook, "answerCallbackQuery", count=len(forged))
    assert rows(container, Response) == []
    assert rows(container, Invitation)[0].status == "open"


async def test_stop_command_opts_out_and_closes_the_survey(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """/stop: the opt-out confirmation, an opt-out row, and no more invitations sent."""
    kim = Customer(webhook, client, 6006)
    await invite(client, address="6006", flow="nps", locale="nl")

    await kim.types("/stop")

    assert kim.texts()[-1].startswith("Je bent afgemeld")
    assert len(rows(container, OptOutRecord)) == 1
    later = await invite(client, address="6006", flow="csat", interaction_id="later")
    assert later["status"] == "opted_out"
    assert len(kim.messages()) == 2


async def test_start_without_token_and_a_stray_message_get_a_short_help_text(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """/start alone and 'hallo' with no survey open each get help, and are not an opt-in."""
    noor = Customer(webhook, client, 7007)

    await noor.types("/start")
    await noor.types("hallo")

    [help_text, no_survey] = noor.texts()
    assert "één korte vraag" in help_text
    assert "geen vraag voor je open" in no_survey
    assert rows(container, Response) == []


async def webhook_wait(api: FakeBotApi, method: str, count: int = 1) -> list[Call]:
    await api.wait_for(lambda: len(api.sent(method)) >= count, what=f"{count} x {method}")
    return api.sent(method)


def _text(api: FakeBotApi, chat_id: int, text: str) -> dict[str, object]:
    return text_update(api.next_update_id(), chat_id, text)


async def test_redelivered_tap_replays_its_reply_and_stores_once(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """A tap whose answer was lost is redelivered: the spinner stops, the thanks shows once."""
    joris = Customer(webhook, client, 3004)
    await invite(client, address="3004", flow="nps", locale="en")
    [question] = joris.messages()
    update = tap_update(webhook.next_update_id(), 3004, question, "9")

    await webhook.deliver(client, update, lose_response=True)
    await webhook.deliver(client, update)

    [answer] = await webhook_wait(webhook, "answerCallbackQuery")
    assert answer.via == "webhook"  # on the redelivery's reply, as on the lost one
    await joris.wait_for_chat("✅ Your answer: 9\n\nThank you for your answer!")
    await asyncio.sleep(0.3)  # room for a second edit, which must not come
    assert len(webhook.attempts("editMessageText")) == 1
    assert len(joris.messages()) == 1
    assert [r.value for r in rows(container, Response)] == [9]


async def test_start_button_after_stop_opts_the_chat_back_in(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """/stop says 'send START'; /start (the Start button) then opts in and surveys come again."""
    kim = Customer(webhook, client, 6106)
    await kim.types("/stop")
    assert "Stuur START" in kim.texts()[-1]

    await kim.types("/start")

    assert kim.texts()[-1].startswith("Je bent weer aangemeld")
    assert rows(container, OptOutRecord) == []
    later = await invite(client, address="6106", flow="csat", locale="nl")
    assert later["status"] == "open"


async def test_a_message_after_the_survey_closed_gets_the_no_survey_text(
    webhook: FakeBotApi, client: httpx.AsyncClient, container: Container
) -> None:
    """'hallo' after a finished survey is not thanked as a reply; a late '7' is told it closed."""
    noor = Customer(webhook, client, 7107)
    await invite(client, address="7107", flow="csat", locale="nl")
    await noor.types("5")

    await noor.types("hallo, ik heb nog een vraag")
    await noor.types("4")

    assert "geen vraag voor je open" in noor.texts()[-2]
    assert noor.texts()[-1] == "Deze enquête is gesloten. Bedankt voor je reactie!"
    assert [r.value for r in rows(container, Response)] == [5]
