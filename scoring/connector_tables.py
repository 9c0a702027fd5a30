"""Connector state: the platform events we took, and the outbox of responses to push back.

`ConnectorEvent` is keyed on (connector, event id), so a platform that retries its webhook gets
the first answer again and never a second invitation; it also keeps where the contact lives in
the platform (a Zendesk ticket, a Chatwoot conversation), for the write-backs.

`ResponsePush` is the outbox: one row per response and target, written in the response's own
transaction (see scoring.storage), so a stored score is never without its push, and the unique
key means a response goes to each target once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Column, Field, SQLModel

from scoring.tables import UTCDateTime


class PushStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a worker until `locked_until`
    SENT = "sent"
    SKIPPED = "skipped"  # nothing to write back to (the contact did not come from there)
    DEAD = "dead"  # out of attempts; shown on the dashboard, retried by hand


class ConnectorEvent(SQLModel, table=True):
    """One platform event, once: what we did with it and why."""

    __tablename__ = "connector_event"
    __table_args__ = (
        sa.UniqueConstraint("connector", "event_key", name="uq_connector_event"),
        sa.Index("ix_connector_event_invitation", "invitation_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    connector: str = Field(max_length=16)
    event_key: str = Field(max_length=128)
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    # invited | skipped (the invitation says why) | unmapped (no invitation: `reason` says why)
    outcome: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=255)
    # Where the contact lives on the platform: a ticket id, "account/conversation", a task sid.
    external_ref: str | None = Field(default=None, max_length=128)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ResponsePush(SQLModel, table=True):
    """One response to push to one target (webhook, zendesk, chatwoot), with its retry state."""

    __tablename__ = "response_push"
    __table_args__ = (
        sa.UniqueConstraint("response_id", "target", name="uq_response_push_target"),
        sa.Index("ix_response_push_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id")
    target: str = Field(max_length=16)
    status: str = Field(default=PushStatus.QUEUED, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_error: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
