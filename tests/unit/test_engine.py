"""The conversation engine, without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bots.channels import BUILT_IN
from flows.engine import (
    CommentRecorded,
    Completed,
    Conversation,
    Expired,
    GaveUp,
    LateAnswer,
    OptedOut,
    Reprompted,
    ScoreRecorded,
    State,
    Step,
)
from flows.loader import load_bundled_flows
from flows.render import Expects, Renderer, ReplyKind
from scoring.channels import Channel

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FLOWS = load_bundled_flows()


def conversation(
    flow: str = "nps", channel: Channel = Channel.SMS, locale: str = "nl"
) -> Conversation:
    return Conversation(FLOWS[flow], channel, locale, Renderer("Acme"))


def test_opening_question_is_rendered_for_the_channel_and_locale() -> None:
    """An SMS question says to reply with a number; a voice one says to press keys."""
    sms = conversation(channel=Channel.SMS).begin().replies[0]
    voice = conversation(channel=Channel.VOICE, locale="en").begin().replies[0]
    assert sms.kind is ReplyKind.QUESTION
    assert "Antwoord met een cijfer van 0" in sms.text
    assert "Acme" in sms.text
    assert "Press 0 to 10 and then hash" in voice.text
    assert sms.expects is Expects.SCORE


def test_promoter_score_is_recorded_and_thanked_without_follow_up() -> None:
    """A 9 on NPS is stored and the customer is thanked; no follow-up for promoters."""
    turn = conversation().receive(State(Step.QUESTION), "negen", NOW)
    event = turn.events[0]
    assert isinstance(event, ScoreRecorded)
    assert (event.value, event.raw_text) == (9, "negen")
    assert event.decision == "number 9; words: negen=number"
    assert Completed() in turn.events
    assert turn.state.step is Step.DONE
    assert [r.kind for r in turn.replies] == [ReplyKind.THANKS]


def test_detractor_gets_follow_up_question_then_thanks_for_comment() -> None:
    """An NPS 3 asks what to improve; the comment is stored and thanked."""
    conv = conversation(locale="en")
    first = conv.receive(State(Step.QUESTION), "3", NOW)
    assert first.replies[0].kind is ReplyKind.FOLLOW_UP
    assert first.replies[0].text == "Thank you. What should we improve?"
    assert first.state.step is Step.FOLLOW_UP
    second = conv.receive(first.state, "  The wait was too long  ", NOW)
    assert CommentRecorded("The wait was too long") in second.events
    assert second.replies[0].kind is ReplyKind.THANKS
    assert second.state.step is Step.DONE


def test_unreadable_answer_is_reprompted_twice_then_closed_politely() -> None:
    """Two re-asks by default, then a polite close: never a guess."""
    conv = conversation()
    state = State(Step.QUESTION)
    kinds = []
    for text in ("geen idee", "7 of 8", "weet niet"):
        turn = conv.receive(state, text, NOW)
        kinds.append(turn.replies[0].kind)
        state = turn.state
    assert kinds == [ReplyKind.REPROMPT, ReplyKind.REPROMPT, ReplyKind.GIVE_UP]
    assert isinstance(turn.events[0], GaveUp)
    assert state.step is Step.DONE


def test_reprompt_says_what_a_valid_answer_looks_like() -> None:
    """The re-prompt names the range, so the customer knows what to send."""
    turn = conversation().receive(State(Step.QUESTION), "banaan", NOW)
    assert isinstance(turn.events[0], Reprompted)
    assert "0 tot 10" in turn.replies[0].text


def test_answer_after_the_survey_closed_changes_nothing() -> None:
    """First valid answer wins: a later one only gets a polite 'closed' reply."""
    turn = conversation().receive(State(Step.DONE), "10", NOW)
    assert turn.events == [LateAnswer("10")]
    assert turn.replies[0].kind is ReplyKind.CLOSED
    assert not any(isinstance(e, ScoreRecorded) for e in turn.events)


def test_answer_after_expiry_is_late_not_a_score() -> None:
    """Past the expiry, an answer is kept as late and gets the closed reply."""
    state = State(Step.QUESTION, 0, NOW - timedelta(minutes=1))
    turn = conversation().receive(state, "8", NOW)
    assert Expired() in turn.events
    assert not any(isinstance(e, ScoreRecorded) for e in turn.events)
    assert turn.replies[0].kind is ReplyKind.CLOSED


def test_stop_opts_out_even_mid_survey() -> None:
    """STOP is honoured at any step."""
    turn = conversation().receive(State(Step.FOLLOW_UP), "STOP", NOW)
    assert turn.events == [OptedOut()]
    assert turn.replies[0].kind is ReplyKind.OPTED_OUT


def test_silence_on_voice_reprompts_then_gives_up() -> None:
    """A Gather that times out is a re-ask, and after the last one a goodbye."""
    conv = conversation(channel=Channel.VOICE)
    state = State(Step.QUESTION)
    for _ in range(2):
        turn = conv.silence(state)
        assert turn.replies[0].kind is ReplyKind.REPROMPT
        state = turn.state
    assert conv.silence(state).replies[0].kind is ReplyKind.GIVE_UP


def test_lower_is_better_scale_asks_follow_up_for_high_effort() -> None:
    """On the effort question a 6 is bad, so it gets the follow-up."""
    turn = conversation("ces-effort").receive(State(Step.QUESTION), "6", NOW)
    assert turn.replies[0].kind is ReplyKind.FOLLOW_UP


@pytest.mark.parametrize("flow_id", sorted(FLOWS))
def test_every_bundled_flow_renders_every_text_in_both_locales(flow_id: str) -> None:
    """No bundled flow leaves a placeholder unfilled or a text empty."""
    for locale in ("nl", "en"):
        for channel in (spec.name for spec in BUILT_IN):
            reply = conversation(flow_id, channel, locale).begin().replies[0]
            assert reply.text
            assert "{" not in reply.text


def test_opt_out_on_a_call_does_not_tell_the_caller_to_send_start() -> None:
    """A caller can't text START back, so the voice wording says what happens instead."""
    voice = conversation(channel=Channel.VOICE).receive(State(Step.QUESTION), "stop", NOW)
    sms = conversation(channel=Channel.SMS).receive(State(Step.QUESTION), "stop", NOW)
    assert "START" not in voice.replies[0].text
    assert "START" in sms.replies[0].text


def test_comment_after_expiry_completes_the_survey_and_keeps_the_score() -> None:
    """The score stands; a late comment is kept as late, and the survey completes."""
    state = State(Step.FOLLOW_UP, 0, NOW - timedelta(minutes=1))
    turn = conversation().receive(state, "Te lang gewacht", NOW)
    assert Completed() in turn.events
    assert Expired() not in turn.events
    assert LateAnswer("Te lang gewacht") in turn.events
