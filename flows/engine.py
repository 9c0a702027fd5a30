"""The conversation engine: state + inbound answer -> replies + events. Pure: no I/O, no clock.

question -> (re-prompt x max_reprompts) -> optional follow-up -> thanks
         \\-> unanswered (polite close)   \\-> expired / opted out
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from flows.models import Flow
from flows.render import Renderer, Reply, ReplyKind
from scoring.channels import Channel
from scoring.normalise import NORMALISER_VERSION, Answer, Invalid, OptOut, normalise


class Step(StrEnum):
    QUESTION = "question"  # waiting for a score
    FOLLOW_UP = "follow_up"  # waiting for the open comment
    DONE = "done"  # nothing more to ask; any further answer is late


@dataclass(frozen=True, slots=True)
class State:
    step: Step
    reprompts: int = 0
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ScoreRecorded:
    value: int
    raw_text: str
    normaliser_version: str
    decision: str = ""  # why the normaliser read raw_text as value


@dataclass(frozen=True, slots=True)
class CommentRecorded:
    text: str


@dataclass(frozen=True, slots=True)
class Reprompted:
    reason: str


@dataclass(frozen=True, slots=True)
class GaveUp:
    reason: str


@dataclass(frozen=True, slots=True)
class OptedOut:
    pass


@dataclass(frozen=True, slots=True)
class Expired:
    pass


@dataclass(frozen=True, slots=True)
class LateAnswer:
    raw_text: str


@dataclass(frozen=True, slots=True)
class Completed:
    pass


Event = (
    ScoreRecorded
    | CommentRecorded
    | Reprompted
    | GaveUp
    | OptedOut
    | Expired
    | LateAnswer
    | Completed
)


@dataclass(frozen=True, slots=True)
class Turn:
    state: State
    replies: list[Reply] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


MAX_COMMENT_CHARS = 2000


class Conversation:
    """One flow's conversation rules, for one channel and locale."""

    def __init__(self, flow: Flow, channel: Channel, locale: str, renderer: Renderer) -> None:
        self.flow = flow
        self.channel = channel
        self.locale = flow.locale_or_default(locale)
        self.render = renderer

    def begin(self, expires_at: datetime | None = None) -> Turn:
        """The opening question."""
        return Turn(
            State(Step.QUESTION, 0, expires_at),
            [self.render.question(self.flow, self.channel, self.locale)],
        )

    def receive(self, state: State, text: str, now: datetime) -> Turn:
        """Handle one inbound message."""
        if state.step is Step.DONE:
            return Turn(state, [self.render.closed(self.locale)], [LateAnswer(text)])
        outcome = normalise(text, self.flow.scale, locale=self.locale, channel=self.channel)
        if isinstance(outcome, OptOut):
            return Turn(
                replace(state, step=Step.DONE),
                [self.render.opted_out(self.locale, self.channel)],
                [OptedOut()],
            )
        if state.expires_at is not None and now >= state.expires_at:
            # A score already given stands: the survey completes; only an unanswered one expires.
            closing: Event = Completed() if state.step is Step.FOLLOW_UP else Expired()
            return Turn(
                replace(state, step=Step.DONE),
                [self.render.closed(self.locale)],
                [closing, LateAnswer(text)],
            )
        if state.step is Step.FOLLOW_UP:
            return self._comment(state, text)
        if isinstance(outcome, Answer):
            return self._score(state, outcome, text)
        return self._not_understood(state, outcome)

    def silence(self, state: State) -> Turn:
        """No answer at all (a voice Gather that timed out): re-ask, or close politely."""
        if state.step is Step.FOLLOW_UP:
            return Turn(replace(state, step=Step.DONE), [self._thanks(True)], [Completed()])
        if state.step is Step.DONE:
            return Turn(state)
        return self._not_understood(state, Invalid("no answer"))

    def _score(self, state: State, answer: Answer, text: str) -> Turn:
        value = answer.value
        event = ScoreRecorded(value, text[:500], NORMALISER_VERSION, answer.reason)
        follow_up = self.flow.follow_up
        if follow_up is not None and follow_up.applies_to(value):
            return Turn(
                replace(state, step=Step.FOLLOW_UP),
                [self.render.follow_up(self.flow, self.channel, self.locale)],
                [event],
            )
        return Turn(replace(state, step=Step.DONE), [self._thanks(False)], [event, Completed()])

    def _comment(self, state: State, text: str) -> Turn:
        comment = text.strip()[:MAX_COMMENT_CHARS]
        events: list[Event] = [CommentRecorded(comment)] if comment else []
        return Turn(
            replace(state, step=Step.DONE), [self._thanks(bool(comment))], [*events, Completed()]
        )

    def _not_understood(self, state: State, outcome: Invalid) -> Turn:
        if state.reprompts >= self.flow.max_reprompts:
            return Turn(
                replace(state, step=Step.DONE),
                [self.render.give_up(self.flow, self.locale)],
                [GaveUp(outcome.reason)],
            )
        return Turn(
            replace(state, reprompts=state.reprompts + 1),
            [self.render.reprompt(self.flow, self.channel, self.locale)],
            [Reprompted(outcome.reason)],
        )

    def _thanks(self, after_comment: bool) -> Reply:
        return self.render.thanks(self.flow, self.locale, after_comment=after_comment)


__all__ = ["Conversation", "Event", "ReplyKind", "State", "Step", "Turn"]
