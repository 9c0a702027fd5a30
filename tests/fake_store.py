"""An in-memory survey store (flows.store), as strict as the SQL one where the service relies on it.

Like cosmicpython's FakeRepository and FakeUnitOfWork: one transaction at a time, committed on
success and rolled back as a whole on an error. Unique keys the service counts on (one
response per invitation, one provider event per key) raise as the database would.
"""

# The fake keeps the port's signatures and ignores the timestamps no service rule reads.
# ruff: noqa: ARG002

from __future__ import annotations

import copy
import itertools
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scoring.cases import in_band
from scoring.privacy import ErasureCounts
from scoring.queue import QueuedSend
from scoring.storage import DuplicateEvent, Pseudonymiser, StoredReply, SurveyRow
from scoring.tables import (
    OPEN_STATUSES,
    Contact,
    Invitation,
    InvitationStatus,
    JobStatus,
    OutboundMessage,
)

PSEUDONYM_KEY = "fake-store-secret-0123456789"
_ANSWERABLE = (InvitationStatus.OPEN, InvitationStatus.FOLLOW_UP)


class UniqueViolation(Exception):
    """A unique key refused a row (the fake's IntegrityError)."""


@dataclass
class Tables:
    """Everything the fake stores; copied on entry to a transaction, put back on rollback."""

    contacts: dict[int, Contact] = field(default_factory=dict)
    invitations: dict[int, Invitation] = field(default_factory=dict)
    states: dict[int, tuple[str, int]] = field(default_factory=dict)
    responses: dict[int, dict[str, Any]] = field(default_factory=dict)  # by invitation id
    comments: dict[int, str] = field(default_factory=dict)  # by invitation id
    late_answers: list[tuple[int, str]] = field(default_factory=list)
    events: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    opt_outs: dict[str, str] = field(default_factory=dict)  # pseudonym -> channel
    outbound: list[OutboundMessage] = field(default_factory=list)
    jobs: dict[tuple[int, str], QueuedSend] = field(default_factory=dict)
    cases: list[int] = field(default_factory=list)  # invitation ids with an open alert case
    case_notes: list[int] = field(default_factory=list)
    deferred: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


class FakeSurveyStore:
    """A SurveyStore in memory; `tables` is what a committed transaction left."""

    conflicts: tuple[type[Exception], ...] = (UniqueViolation,)

    def __init__(self) -> None:
        self.tables = Tables()
        self.pseudonymise = Pseudonymiser(PSEUDONYM_KEY)
        self.commits = 0
        self._ids = itertools.count(1)

    @contextmanager
    def _transaction(self) -> Iterator[FakeTransaction]:
        saved = copy.deepcopy(self.tables)
        try:
            yield FakeTransaction(self.tables, self.pseudonymise, self._ids)
        except BaseException:
            self.tables = saved
            raise
        self.commits += 1

    def invitations(self) -> AbstractContextManager[FakeTransaction]:
        return self._transaction()

    def answers(self) -> AbstractContextManager[FakeTransaction]:
        return self._transaction()

    def stored_reply(self, provider: str, event_key: str) -> StoredReply | None:
        event = self.tables.events.get((provider, event_key))
        return StoredReply(event["outcome"], list(event["reply"])) if event else None

    def queued_sends(self, invitation_ids: list[int]) -> dict[int, QueuedSend]:
        jobs = self.tables.jobs
        return {i: jobs[i, "invite"] for i in invitation_ids if (i, "invite") in jobs}

    def erase(self, address: str, now: datetime, channel: str | None) -> ErasureCounts | None:
        raise NotImplementedError("erasure is tested on the SQL store (test_privacy)")


class FakeTransaction:
    """Both transaction Protocols of flows.store over one set of in-memory tables."""

    def __init__(self, tables: Tables, pseudonymise: Pseudonymiser, ids: Iterator[int]) -> None:
        self.t = tables
        self.pseudonymise = pseudonymise
        self._ids = ids

    # -- people ---------------------------------------------------------------------------

    def is_opted_out(self, pseudonym: str) -> bool:
        return pseudonym in self.t.opt_outs

    def opt_out(self, pseudonym: str, channel: str, now: datetime) -> int:
        self.t.opt_outs.setdefault(pseudonym, channel)
        closed = 0
        for invitation in self.t.invitations.values():
            contact = self.t.contacts[invitation.contact_id]
            if contact.pseudonym == pseudonym and invitation.status in OPEN_STATUSES:
                invitation.status, invitation.closed_at = InvitationStatus.OPTED_OUT, now
                closed += 1
        return closed

    def opt_in(self, pseudonym: str) -> bool:
        return self.t.opt_outs.pop(pseudonym, None) is not None

    def contact(self, channel: str, address: str, now: datetime) -> Contact:
        for contact in self.t.contacts.values():
            if (contact.channel, contact.address) == (channel, address):
                return contact
        pseudonym = self.pseudonymise(channel, address)
        contact = Contact(channel=channel, address=address, pseudonym=pseudonym, created_at=now)
        return self._add_contact(contact)

    def placeholder_contact(self, channel: str, now: datetime) -> Contact:
        pseudonym = f"unbound-{secrets.token_hex(16)}"
        contact = Contact(channel=channel, address=None, pseudonym=pseudonym, created_at=now)
        return self._add_contact(contact)

    def _add_contact(self, contact: Contact) -> Contact:
        contact.id = next(self._ids)
        self.t.contacts[contact.id] = contact
        return contact

    def contact_of(self, invitation: Invitation) -> Contact:
        return self.t.contacts[invitation.contact_id]

    # -- invitations ----------------------------------------------------------------------

    def add_invitation(self, invitation: Invitation) -> Invitation:
        invitation.id = next(self._ids)
        self.t.invitations[invitation.id] = invitation
        return invitation

    def invitation(self, public_id: str, *, lock: bool = False) -> Invitation | None:
        return self._first(lambda i: i.public_id == public_id)

    def invitation_by_interaction(
        self, flow_id: str, interaction_id: str, contact_id: int
    ) -> Invitation | None:
        key = (flow_id, interaction_id, contact_id)
        return self._first(lambda i: (i.flow_id, i.interaction_id, i.contact_id) == key)

    def invitation_by_deep_link(self, token: str, channel: str) -> Invitation | None:
        return self._first(lambda i: (i.deep_link_token, i.channel) == (token, channel))

    def invitation_by_provider_id(self, provider_message_id: str) -> Invitation | None:
        return self._first(lambda i: i.provider_message_id == provider_message_id)

    def outbound_by_provider_id(self, provider_message_id: str) -> OutboundMessage | None:
        sent = self.t.outbound
        return next((m for m in sent if m.provider_message_id == provider_message_id), None)

    def _first(self, match: Any) -> Invitation | None:
        return next((i for i in self.t.invitations.values() if match(i)), None)

    def _of_person(self, pseudonym: str) -> list[Invitation]:
        contacts = self.t.contacts
        return [
            i for i in self.t.invitations.values() if contacts[i.contact_id].pseudonym == pseudonym
        ]

    def has_open_survey(self, pseudonym: str) -> bool:
        return any(i.status in OPEN_STATUSES for i in self._of_person(pseudonym))

    def surveyed_since(self, pseudonym: str, since: datetime) -> bool:
        return any(i.sent_at is not None and i.sent_at >= since for i in self._of_person(pseudonym))

    def was_sent(self, invitation: Invitation, kind: str) -> bool:
        return any((m.invitation_id, m.kind) == (invitation.id, kind) for m in self.t.outbound)

    def enqueue(self, invitation_id: int, kind: str, due_at: datetime, now: datetime) -> None:
        if (invitation_id, kind) in self.t.jobs:
            raise UniqueViolation("uq_sendjob_invitation_kind")
        self.t.jobs[invitation_id, kind] = QueuedSend(JobStatus.QUEUED, due_at, 0, None)

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
    ) -> OutboundMessage:
        message = OutboundMessage(
            invitation_id=invitation_id,
            contact_id=contact_id,
            buttons_live=buttons_live,
            channel=channel,
            kind=kind,
            status=status,
            provider_message_id=provider_message_id,
            error_code=error_code,
            created_at=now,
            updated_at=now,
        )
        self.t.outbound.append(message)
        return message

    # -- conversations --------------------------------------------------------------------

    def save_state(self, invitation_id: int, step: str, reprompts: int, now: datetime) -> None:
        self.t.states[invitation_id] = (str(step), reprompts)

    def take_live_buttons(self, invitation_id: int) -> tuple[str, ...]:
        taken = []
        for message in self.t.outbound:
            if message.invitation_id == invitation_id and message.buttons_live:
                message.buttons_live = False
                if message.provider_message_id is not None:
                    taken.append(message.provider_message_id)
        return tuple(taken)

    def open_survey(self, channel: str, address: str, public_id: str | None) -> SurveyRow | None:
        mine = self._of_address(channel, address)
        if public_id is not None:
            return next((row for row in mine if row.public_id == public_id), None)
        # Open surveys always have a state row; the SQL store joins on it the same way.
        answerable = [r for r in mine if r.status in _ANSWERABLE and r.id in self.t.states]
        return answerable[0] if answerable else None

    def last_survey(self, channel: str, address: str) -> SurveyRow | None:
        mine = self._of_address(channel, address)
        return mine[0] if mine else None

    def _of_address(self, channel: str, address: str) -> list[SurveyRow]:
        """This address's surveys on this channel, newest first."""
        found = [
            i
            for i in self.t.invitations.values()
            if i.channel == channel
            and (self.t.contacts[i.contact_id].channel, self.t.contacts[i.contact_id].address)
            == (channel, address)
        ]
        found.sort(key=lambda i: (i.created_at, i.id), reverse=True)
        return [self._row(i) for i in found]

    def _row(self, i: Invitation) -> SurveyRow:
        assert i.id is not None
        step, reprompts = self.t.states.get(i.id, (None, 0))
        return SurveyRow(
            i.id,
            i.public_id,
            i.flow_id,
            i.channel,
            i.locale,
            i.status,
            i.expires_at,
            i.agent,
            i.team,
            i.queue,
            i.journey_stage,
            step,
            reprompts,
            i.is_test,
        )

    def update_invitation(self, invitation_id: int, values: dict[str, Any]) -> None:
        invitation = self.t.invitations[invitation_id]
        for name, value in values.items():
            setattr(invitation, name, value)

    def add_response(self, values: dict[str, Any]) -> None:
        if values["invitation_id"] in self.t.responses:
            raise UniqueViolation("response.invitation_id")
        self.t.responses[values["invitation_id"]] = dict(values)

    def add_comment(self, invitation_id: int, text: str, now: datetime) -> None:
        if invitation_id in self.t.comments:
            raise UniqueViolation("comment.response_id")
        self.t.comments[invitation_id] = text

    def add_late_answer(self, invitation_id: int, text: str, now: datetime) -> None:
        self.t.late_answers.append((invitation_id, text[:500]))

    def open_case_if_alerting(
        self,
        invitation_id: int,
        value: int,
        *,
        alert_min: int | None,
        alert_max: int | None,
        now: datetime,
    ) -> int | None:
        if not in_band(value, alert_min, alert_max):
            return None
        self.t.cases.append(invitation_id)
        return len(self.t.cases)

    def note_comment(self, invitation_id: int, now: datetime) -> None:
        if invitation_id in self.t.cases:
            self.t.case_notes.append(invitation_id)

    def defer_calls(
        self, channel: str, address: str, calls: Sequence[Mapping[str, Any]], now: datetime
    ) -> None:
        self.t.deferred.extend((channel, address, dict(c)) for c in calls)

    def record_event(self, values: Mapping[str, Any]) -> None:
        key = (values["provider"], values["event_key"])
        if key in self.t.events:
            raise DuplicateEvent(values["event_key"])
        self.t.events[key] = dict(values)
