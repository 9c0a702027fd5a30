"""SQLModel tables: contacts, invitations, conversation state, responses and provider events.

Scores are stored as numbers with their scale's bounds and direction, so that aggregation never
has to read a flow file, and away from phone numbers: a response carries the contact's
pseudonymous key, never the address.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import JSON, Column, Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend: SQLite stores naive UTC, we hand back UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use timezone-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL: reports read every chain (attribution, teams involved), and JSONB is
# parsed once on write instead of on every read.
CHAIN_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class InvitationStatus(StrEnum):
    PENDING = "pending"  # created, not sent yet
    OPEN = "open"  # question asked, waiting for a score
    FOLLOW_UP = "follow_up"  # score stored, waiting for the open comment
    COMPLETED = "completed"
    UNANSWERED = "unanswered"  # re-asked the maximum number of times, then closed politely
    EXPIRED = "expired"
    OPTED_OUT = "opted_out"
    FAILED = "failed"  # the send failed for good
    THROTTLED = "throttled"  # skipped by a fatigue rule
    INELIGIBLE = "ineligible"  # an eligibility rule excludes the contact (status_reason says which)
    SKIPPED = "skipped"  # the agent's desktop said no_survey


OPEN_STATUSES = (InvitationStatus.PENDING, InvitationStatus.OPEN, InvitationStatus.FOLLOW_UP)
# Sent and waiting for the customer: an inbound message answers one of these.
ANSWERABLE_STATUSES = (InvitationStatus.OPEN, InvitationStatus.FOLLOW_UP)


class Contact(SQLModel, table=True):
    """An address on a channel. `address` is personal data and is erased on request."""

    __table_args__ = (sa.UniqueConstraint("channel", "address", name="uq_contact_channel_address"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    address: str | None = Field(default=None, max_length=128)
    # HMAC of the person's identity (the E.164 number for every phone channel): the key that
    # ties opt-outs and fatigue rules together across channels without storing the number twice.
    pseudonym: str = Field(max_length=64, index=True)
    timezone: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    erased_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class OptOutRecord(SQLModel, table=True):
    """A person who said STOP, on any channel. Keyed by pseudonym so it covers every channel.

    (`scoring.normalise.OptOut` is the reading of a STOP message; this is the list it writes.)
    """

    __tablename__ = "optout"

    pseudonym: str = Field(primary_key=True, max_length=64)
    channel: str = Field(max_length=16)
    opted_out_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Invitation(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_invitation_contact_status", "contact_id", "status"),
        sa.UniqueConstraint("flow_id", "interaction_id", "contact_id", name="uq_invitation_dedupe"),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=36, unique=True)
    flow_id: str = Field(max_length=40)
    channel: str = Field(max_length=16)
    contact_id: int = Field(foreign_key="contact.id")
    locale: str = Field(max_length=5)
    interaction_id: str | None = Field(default=None, max_length=128)
    agent: str | None = Field(default=None, max_length=128)
    team: str | None = Field(default=None, max_length=128)
    queue: str | None = Field(default=None, max_length=128)
    journey_stage: str | None = Field(default=None, max_length=64)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=InvitationStatus.PENDING, max_length=16, index=True)
    status_reason: str | None = Field(default=None, max_length=255)
    deep_link_token: str | None = Field(default=None, max_length=64, unique=True)
    provider_message_id: str | None = Field(default=None, max_length=64, index=True)
    delivery_status: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    send_after: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # A test answer (`surveybot try`): kept out of every report, export, metric and alert.
    is_test: bool = Field(
        default=False, sa_column=Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # WhatsApp: when the customer last wrote to us (as the CRM saw it), which opens the 24-hour
    # window, and whether they agreed to business-initiated messages.
    last_customer_message_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    whatsapp_opt_in: bool = Field(
        default=False, sa_column=Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # The contact as the contact centre described it, stored as sent and never rewritten:
    # reports attribute from it (first, last or every agent) when they are read.
    agents: list[str] = Field(
        default_factory=list,
        sa_column=Column(CHAIN_JSON, nullable=False, server_default=sa.text("'[]'")),
    )
    teams: list[str] = Field(
        default_factory=list,
        sa_column=Column(CHAIN_JSON, nullable=False, server_default=sa.text("'[]'")),
    )
    transfers: int | None = None
    channel_switches: int | None = None
    previous_channels: list[str] | None = Field(default=None, sa_column=Column(JSON))
    disposition: str | None = Field(default=None, max_length=128)
    handle_time_seconds: int | None = None
    direction: str | None = Field(default=None, max_length=8)
    bot_only: bool = Field(
        default=False, sa_column=Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    auto_closed: bool = Field(
        default=False, sa_column=Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    no_survey: bool = Field(
        default=False, sa_column=Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    no_survey_reason: str | None = Field(default=None, max_length=255)


class ConversationState(SQLModel, table=True):
    """Where one invitation's conversation stands; one row per invitation."""

    invitation_id: int = Field(primary_key=True, foreign_key="invitation.id")
    step: str = Field(max_length=16)
    reprompts: int = 0
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Response(SQLModel, table=True):
    """A score. One per invitation: the first valid answer wins (enforced by a unique key)."""

    __table_args__ = (
        # Few indexes on purpose: each is written by every answer. Reports read the covering
        # ix_response_report (migration 0011_answer_path), which groups by agent and team too;
        # exports and the responses page walk this one in (answered_at, id) order.
        sa.Index("ix_response_answered", "answered_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", unique=True)
    flow_id: str = Field(max_length=40)
    metric: str = Field(max_length=8)
    value: int
    scale_min: int
    scale_max: int
    lower_is_better: bool = False
    raw_text: str = Field(max_length=500)
    normaliser_version: str = Field(max_length=16)
    # Why the normaliser read raw_text as value: the rule and each word's part in it.
    decision: str | None = Field(default=None, max_length=255)
    # The flow's version (hash of its question's wording and scale) when this was answered;
    # NULL for answers stored before versions were kept.
    flow_version: str | None = Field(default=None, max_length=16)
    channel: str = Field(max_length=16)
    locale: str = Field(max_length=5)
    # Copied from the invitation so that reports group on one table without joins.
    agent: str | None = Field(default=None, max_length=128)
    team: str | None = Field(default=None, max_length=128)
    queue: str | None = Field(default=None, max_length=128)
    journey_stage: str | None = Field(default=None, max_length=64)
    answered_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Stored from the invitation with the answer (scoring.answer_facts), so that reports read
    # the response alone: whole seconds from the send (NULL: never sent), the chain's first
    # agent and team, and the effort drivers (teams involved: distinct teams, NULL for none).
    answer_delay_seconds: int | None = None
    first_agent: str | None = Field(default=None, max_length=128)
    first_team: str | None = Field(default=None, max_length=128)
    transfers: int | None = None
    channel_switches: int | None = None
    teams_involved: int | None = None
    # Copied from the invitation, like the dimensions above.
    is_test: bool = Field(
        default=False, sa_column=Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )


class KnownValue(SQLModel, table=True):
    """A value one of the dashboard's filter lists offers (an agent, a channel, a queue...).

    Written with each real answer (one statement, nothing when already known), so the lists
    are read from here instead of a scan of every response. Exact because real answers are
    never deleted (erasure blanks their text; only test answers, never listed, are purged).
    """

    __tablename__ = "known_value"

    dimension: str = Field(primary_key=True, max_length=16)
    value: str = Field(primary_key=True, max_length=128)


class Comment(SQLModel, table=True):
    """The open follow-up answer."""

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", unique=True)
    text: str = Field(max_length=2000)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class InboundEvent(SQLModel, table=True):
    """Every provider event processed, once: a retry hits the unique key and gets the same reply."""

    __table_args__ = (sa.UniqueConstraint("provider", "event_key", name="uq_inbound_event"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=16)
    event_key: str = Field(max_length=128)
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    outcome: str = Field(max_length=24)
    detail: str | None = Field(default=None, max_length=255)
    reply: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class OutboundMessage(SQLModel, table=True):
    """A message we sent (or tried to), with its provider id and delivery status."""

    __table_args__ = (
        # Telegram numbers messages per chat: an id is unique only beside its contact (chat).
        sa.UniqueConstraint(
            "channel", "contact_id", "provider_message_id", name="uq_outbound_provider_message"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    channel: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    provider_message_id: str | None = Field(default=None, max_length=64, index=True)
    # Its answer buttons still work; cleared when they are taken away.
    buttons_live: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    status: str = Field(max_length=16)
    error_code: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class JobStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a worker until `locked_until`
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class SendJob(SQLModel, table=True):
    """The outbound queue: one row per message to send, written with its invitation."""

    __table_args__ = (
        sa.UniqueConstraint("invitation_id", "kind", name="uq_sendjob_invitation_kind"),
        sa.Index("ix_sendjob_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id")
    kind: str = Field(max_length=16)  # invite | reminder
    status: str = Field(default=JobStatus.QUEUED, max_length=16)
    attempts: int = 0
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    locked_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class LateAnswerRecord(SQLModel, table=True):
    """An answer that came after its survey closed: kept, but never as a score.

    (`flows.engine.LateAnswer` is the engine's event; this is where it is stored.)
    """

    __tablename__ = "lateanswer"

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    raw_text: str = Field(max_length=500)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class WhatsAppContent(SQLModel, table=True):
    """One Content resource at Twilio for a flow and locale: its SID and WhatsApp approval.

    `purpose` is `template` (the question for approval, sent outside the 24-hour window),
    `session` (the interactive question inside it) or `band:<lo>-<hi>` (the exact score in one
    band of a two-step question, in session).
    """

    __tablename__ = "whatsapp_content"
    __table_args__ = (
        sa.UniqueConstraint("flow_id", "locale", "purpose", name="uq_whatsapp_content_purpose"),
    )

    id: int | None = Field(default=None, primary_key=True)
    flow_id: str = Field(max_length=40)
    locale: str = Field(max_length=5)
    purpose: str = Field(max_length=16)
    content_sid: str = Field(max_length=34)
    # What was sent to Twilio, hashed: a changed wording makes a new resource.
    definition_hash: str | None = Field(default=None, max_length=16)
    # unsubmitted | received | pending | approved | rejected | paused | disabled; session
    # content needs no approval and stays `unsubmitted`.
    approval_status: str = Field(default="unsubmitted", max_length=16)
    rejection_reason: str | None = Field(default=None, max_length=255)
    # `sync` (made by `surveybot whatsapp sync`) or `flow` (an existing SID a flow names).
    source: str = Field(default="sync", max_length=8)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class WhatsAppWindow(SQLModel, table=True):
    """The last message a person sent to one of our WhatsApp senders: the 24-hour window."""

    __tablename__ = "whatsapp_window"

    pseudonym: str = Field(primary_key=True, max_length=64)
    sender: str = Field(primary_key=True, max_length=32)
    last_inbound_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Consent to business-initiated WhatsApp messages, as the contact centre recorded it.
    opted_in_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class WhatsAppSend(SQLModel, table=True):
    """How a WhatsApp question went out: as session content or as the approved template.

    A 63016 on a session send means the window had closed after all: the template goes once.
    """

    __tablename__ = "whatsapp_send"

    provider_message_id: str = Field(primary_key=True, max_length=64)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    mode: str = Field(max_length=16)  # session | template | text
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class WhatsAppPace(SQLModel, table=True):
    """When the next message to one person on one sender may go: WhatsApp's pair rate.

    In the database so that every worker and instance keeps the same pace for one person.
    `next_at` is epoch seconds, so one UPDATE can move it on any backend.
    """

    __tablename__ = "whatsapp_pace"

    pseudonym: str = Field(primary_key=True, max_length=64)
    sender: str = Field(primary_key=True, max_length=32)
    next_at: float = Field(sa_column=Column(sa.Float(), nullable=False))


class DeferredCall(SQLModel, table=True):
    """A provider call an answer planned, made after its commit by the channel's drainer.

    Written in the answer's own transaction, so a restart or a crash loses none; deleted once
    made (or dropped). Calls to one address are made in `id` order, one at a time.
    """

    __tablename__ = "deferred_call"
    __table_args__ = (sa.Index("ix_deferred_call_address", "channel", "address", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=128)  # the chat; personal data, gone with the row
    method: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # After this the provider refuses the call anyway (a callback query's answer): dropped.
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    attempts: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    locked_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
