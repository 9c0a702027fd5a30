"""What the survey service needs from storage, as small Protocols named by use.

`SurveyStore` opens two kinds of transaction: `invitations()` for creating, sending and
binding invitations, and `answers()` for the inbound hot path (one customer message). The SQL
adapter is `scoring.storage.SqlSurveyStore`; `tests.fakes.FakeSurveyStore` keeps the same
rules in memory for fast unit tests of the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from scoring.privacy import ErasureCounts
from scoring.queue import QueuedSend
from scoring.storage import StoredReply, SurveyRow
from scoring.tables import Contact, Invitation, OutboundMessage


class OptOuts(Protocol):
    """The opt-out list, keyed by the person's pseudonym (every channel at once)."""

    def pseudonymise(self, channel: str, address: str) -> str: ...

    def is_opted_out(self, pseudonym: str) -> bool: ...

    def opt_out(self, pseudonym: str, channel: str, now: datetime) -> int:
        """Put the person on the list and close every open survey of theirs; returns how many."""
        ...


class Conversations(Protocol):
    """Conversation state and live answer buttons, written on both kinds of transaction."""

    def save_state(self, invitation_id: int, step: str, reprompts: int, now: datetime) -> None: ...

    def take_live_buttons(self, invitation_id: int) -> tuple[str, ...]:
        """The provider ids of the survey's messages whose buttons still work; now they don't."""
        ...


class InvitationTransaction(OptOuts, Conversations, Protocol):
    """Invitations and their contacts, sends and queue jobs, in one transaction."""

    def contact(self, channel: str, address: str, now: datetime) -> Contact:
        """The contact for this address, created if new."""
        ...

    def placeholder_contact(self, channel: str, now: datetime) -> Contact: ...

    def contact_of(self, invitation: Invitation) -> Contact: ...

    def add_invitation(self, invitation: Invitation) -> Invitation: ...

    def invitation(self, public_id: str, *, lock: bool = False) -> Invitation | None: ...

    def invitation_by_interaction(
        self, flow_id: str, interaction_id: str, contact_id: int
    ) -> Invitation | None: ...

    def invitation_by_deep_link(self, token: str, channel: str) -> Invitation | None:
        """The invitation a deep link names, locked."""
        ...

    def invitation_by_provider_id(self, provider_message_id: str) -> Invitation | None:
        """The invitation whose question went out as this provider message, locked."""
        ...

    def outbound_by_provider_id(self, provider_message_id: str) -> OutboundMessage | None: ...

    def has_open_survey(self, pseudonym: str) -> bool: ...

    def surveyed_since(self, pseudonym: str, since: datetime) -> bool: ...

    def was_sent(self, invitation: Invitation, kind: str) -> bool: ...

    def enqueue(self, invitation_id: int, kind: str, due_at: datetime, now: datetime) -> None: ...

    def record_outbound(
        self,
        *,
        invitation_id: int | None,
        channel: str,
        kind: str,
        status: str,
        now: datetime,
        provider_message_id: str | None = None,
        error_code: str | None = None,
        contact_id: int | None = None,
        buttons_live: bool = False,
    ) -> object: ...

    def record_event(self, values: Mapping[str, Any]) -> None:
        """Store a processed provider event; DuplicateEvent if it was stored before."""
        ...


class AnswerTransaction(OptOuts, Conversations, Protocol):
    """One customer message: find the survey, store what the engine decided."""

    def open_survey(
        self, channel: str, address: str, public_id: str | None
    ) -> SurveyRow | None: ...

    def last_survey(self, channel: str, address: str) -> SurveyRow | None: ...

    def opt_in(self, pseudonym: str) -> bool: ...

    def update_invitation(self, invitation_id: int, values: dict[str, Any]) -> None: ...

    def add_response(self, values: dict[str, Any]) -> None: ...

    def add_comment(self, invitation_id: int, text: str, now: datetime) -> None: ...

    def add_late_answer(self, invitation_id: int, text: str, now: datetime) -> None: ...

    def open_case_if_alerting(
        self,
        invitation_id: int,
        value: int,
        *,
        alert_min: int | None,
        alert_max: int | None,
        now: datetime,
    ) -> int | None:
        """Open an alert case for a score in the flow's alert band; returns the case's id."""
        ...

    def note_comment(self, invitation_id: int, now: datetime) -> None:
        """Tell the survey's alert case, if any, that a comment came in."""
        ...

    def record_event(self, values: Mapping[str, Any]) -> None:
        """Store a processed provider event; DuplicateEvent if it was stored before."""
        ...

    def defer_calls(
        self, channel: str, address: str, calls: Sequence[Mapping[str, Any]], now: datetime
    ) -> None:
        """Store provider calls to make once this transaction commits (see Inbound.after)."""
        ...


class SurveyStore(Protocol):
    """Surveys in storage; each transaction commits on success and rolls back on an error."""

    # What a lost race between two instances looks like (a unique key caught it).
    conflicts: tuple[type[Exception], ...]

    def invitations(self) -> AbstractContextManager[InvitationTransaction]: ...

    def answers(self) -> AbstractContextManager[AnswerTransaction]: ...

    def stored_reply(self, provider: str, event_key: str) -> StoredReply | None: ...

    def erase(self, address: str, now: datetime, channel: str | None) -> ErasureCounts | None:
        """Erase the person behind `address` on every channel; None when nobody has it."""
        ...

    def queued_sends(self, invitation_ids: list[int]) -> dict[int, QueuedSend]:
        """The invite send job of each invitation that has one."""
        ...
