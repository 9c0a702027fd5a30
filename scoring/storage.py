"""SQL storage for surveys.

The inbound path (one customer message) runs on SQLAlchemy Core with statements built once:
a webhook does a handful of small statements in one transaction, and the ORM's per-object
bookkeeping would cost more than the database work itself. Invitations are created and sent
through the ORM, where clarity matters more than microseconds.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from scoring.scales import Channel
from scoring.tables import (
    OPEN_STATUSES,
    Contact,
    Invitation,
    InvitationStatus,
    OutboundMessage,
)

PHONE_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP, Channel.VOICE})
_NOT_DIGITS = re.compile(r"[^\d+]")
_T = SQLModel.metadata.tables
contact_t, invitation_t, state_t = _T["contact"], _T["invitation"], _T["conversationstate"]
response_t, comment_t, event_t, optout_t = (
    _T["response"],
    _T["comment"],
    _T["inboundevent"],
    _T["optout"],
)
_OPEN = [InvitationStatus.OPEN.value, InvitationStatus.FOLLOW_UP.value]


def identity(channel: str, address: str) -> str:
    """Who this address is, across channels: every phone channel shares the E.164 number."""
    if channel in PHONE_CHANNELS:
        return "tel:" + _NOT_DIGITS.sub("", address.removeprefix("whatsapp:"))
    return f"{channel}:{address.strip()}"


class Pseudonymiser:
    """HMAC-SHA256 of an identity with the configured secret: stable, not reversible."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def __call__(self, channel: str, address: str) -> str:
        message = identity(channel, address).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


class DuplicateEvent(Exception):
    """The provider event was processed before."""


@dataclass(frozen=True, slots=True)
class StoredReply:
    outcome: str
    reply: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class SurveyRow:
    """An invitation as the inbound path needs it, with its conversation state."""

    id: int
    public_id: str
    flow_id: str
    channel: str
    locale: str
    status: str
    expires_at: datetime | None
    agent: str | None
    team: str | None
    queue: str | None
    journey_stage: str | None
    step: str | None
    reprompts: int

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN


_SURVEY_COLUMNS = (
    invitation_t.c.id,
    invitation_t.c.public_id,
    invitation_t.c.flow_id,
    invitation_t.c.channel,
    invitation_t.c.locale,
    invitation_t.c.status,
    invitation_t.c.expires_at,
    invitation_t.c.agent,
    invitation_t.c.team,
    invitation_t.c.queue,
    invitation_t.c.journey_stage,
    state_t.c.step,
    sa.func.coalesce(state_t.c.reprompts, 0).label("reprompts"),
)
_SURVEY_FROM = contact_t.join(invitation_t, invitation_t.c.contact_id == contact_t.c.id).outerjoin(
    state_t, state_t.c.invitation_id == invitation_t.c.id
)
_OF_CONTACT = sa.and_(
    contact_t.c.channel == sa.bindparam("channel"),
    contact_t.c.address == sa.bindparam("address"),
    invitation_t.c.channel == sa.bindparam("channel"),
)
_NEWEST = (invitation_t.c.created_at.desc(), invitation_t.c.id.desc())

# The newest open survey of this address on this channel, locked against a concurrent answer.
NEWEST_OPEN = (
    sa.select(*_SURVEY_COLUMNS)
    .select_from(_SURVEY_FROM)
    .where(_OF_CONTACT, invitation_t.c.status.in_(_OPEN))
    .order_by(*_NEWEST)
    .limit(1)
    .with_for_update(of=invitation_t)
)
# The newest survey in any status: to tell a late answer from a stranger's message.
NEWEST_ANY = (
    sa.select(*_SURVEY_COLUMNS)
    .select_from(_SURVEY_FROM)
    .where(_OF_CONTACT)
    .order_by(*_NEWEST)
    .limit(1)
)
# A survey pinned by the channel (a Telegram button), only if it belongs to this address.
PINNED = (
    sa.select(*_SURVEY_COLUMNS)
    .select_from(_SURVEY_FROM)
    .where(_OF_CONTACT, invitation_t.c.public_id == sa.bindparam("public_id"))
    .with_for_update(of=invitation_t)
)
UPDATE_STATE = (
    state_t.update()
    .where(state_t.c.invitation_id == sa.bindparam("iid"))
    .values(
        step=sa.bindparam("step"),
        reprompts=sa.bindparam("reprompts"),
        updated_at=sa.bindparam("now"),
    )
)
INSERT_RESPONSE = response_t.insert()
INSERT_COMMENT = comment_t.insert().values(
    response_id=sa.select(response_t.c.id)
    .where(response_t.c.invitation_id == sa.bindparam("iid"))
    .scalar_subquery()
)
INSERT_EVENT = event_t.insert()
DELETE_OPTOUT = optout_t.delete().where(optout_t.c.pseudonym == sa.bindparam("pseudonym"))
SELECT_OPTOUT = sa.select(optout_t.c.pseudonym).where(
    optout_t.c.pseudonym == sa.bindparam("pseudonym")
)
CLOSE_ALL_OPEN = (
    invitation_t.update()
    .where(
        invitation_t.c.contact_id.in_(
            sa.select(contact_t.c.id).where(contact_t.c.pseudonym == sa.bindparam("pseudonym"))
        ),
        invitation_t.c.status.in_([s.value for s in OPEN_STATUSES]),
    )
    .values(status=InvitationStatus.OPTED_OUT.value, closed_at=sa.bindparam("now"))
)
SELECT_EVENT = sa.select(event_t.c.outcome, event_t.c.reply).where(
    event_t.c.provider == sa.bindparam("provider"), event_t.c.event_key == sa.bindparam("key")
)


@functools.cache
def _update_invitation(columns: tuple[str, ...]) -> sa.Update:
    """One prepared UPDATE per set of columns, so SQLAlchemy compiles each shape once."""
    return (
        invitation_t.update()
        .where(invitation_t.c.id == sa.bindparam("iid"))
        .values({name: sa.bindparam(name) for name in columns})
    )


class SqlSurveyStore:
    """Survey reads and writes, each `transaction()` one database transaction."""

    def __init__(self, engine: Engine, pseudonymise: Pseudonymiser) -> None:
        self.engine = engine
        self.pseudonymise = pseudonymise

    @contextmanager
    def transaction(self) -> Iterator[SurveyTransaction]:
        """An ORM session's transaction, for invitations."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield SurveyTransaction(session.connection(), self.pseudonymise, session)

    @contextmanager
    def core_transaction(self) -> Iterator[SurveyTransaction]:
        """A bare connection's transaction, for the inbound hot path."""
        with self.engine.begin() as connection:
            yield SurveyTransaction(connection, self.pseudonymise)

    def stored_reply(self, provider: str, event_key: str) -> StoredReply | None:
        with self.engine.connect() as conn:
            row = conn.execute(SELECT_EVENT, {"provider": provider, "key": event_key}).first()
        return StoredReply(row.outcome, list(row.reply or [])) if row else None


class SurveyTransaction:
    def __init__(
        self, conn: Connection, pseudonymise: Pseudonymiser, session: Session | None = None
    ) -> None:
        self.conn = conn
        self.pseudonymise = pseudonymise
        self._session = session

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("this transaction has no ORM session (use store.transaction())")
        return self._session

    # -- the inbound path (Core) -----------------------------------------------------------

    def open_survey(self, channel: str, address: str, public_id: str | None) -> SurveyRow | None:
        """The pinned survey if given, else the newest open one; None if there is none."""
        params = {"channel": channel, "address": address}
        if public_id is not None:
            row = self.conn.execute(PINNED, {**params, "public_id": public_id}).first()
        else:
            row = self.conn.execute(NEWEST_OPEN, params).first()
        return SurveyRow(**row._mapping) if row else None

    def last_survey(self, channel: str, address: str) -> SurveyRow | None:
        row = self.conn.execute(NEWEST_ANY, {"channel": channel, "address": address}).first()
        return SurveyRow(**row._mapping) if row else None

    def update_invitation(self, invitation_id: int, values: dict[str, Any]) -> None:
        if values:
            self.conn.execute(
                _update_invitation(tuple(sorted(values))), {"iid": invitation_id, **values}
            )

    def save_state(self, invitation_id: int, step: str, reprompts: int, now: datetime) -> None:
        params = {"iid": invitation_id, "step": step, "reprompts": reprompts, "now": now}
        if self.conn.execute(UPDATE_STATE, params).rowcount == 0:
            self.conn.execute(
                state_t.insert().values(
                    invitation_id=invitation_id, step=step, reprompts=reprompts, updated_at=now
                )
            )

    def add_response(self, values: dict[str, Any]) -> None:
        self.conn.execute(INSERT_RESPONSE, values)

    def add_comment(self, invitation_id: int, text: str, now: datetime) -> None:
        self.conn.execute(INSERT_COMMENT, {"iid": invitation_id, "text": text, "created_at": now})

    def record_event(self, values: dict[str, Any]) -> None:
        """Store a processed provider event; DuplicateEvent if it was stored before."""
        # No savepoint: on a duplicate the caller rolls the whole transaction back.
        try:
            self.conn.execute(INSERT_EVENT, values)
        except IntegrityError:
            raise DuplicateEvent(values["event_key"]) from None

    def is_opted_out(self, pseudonym: str) -> bool:
        return self.conn.execute(SELECT_OPTOUT, {"pseudonym": pseudonym}).first() is not None

    def opt_out(self, pseudonym: str, channel: str, now: datetime) -> int:
        """Put the person on the opt-out list and close every open survey on every channel."""
        insert = (postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert)(
            optout_t
        )
        self.conn.execute(
            insert.values(
                pseudonym=pseudonym, channel=channel, opted_out_at=now
            ).on_conflict_do_nothing()
        )
        return int(self.conn.execute(CLOSE_ALL_OPEN, {"pseudonym": pseudonym, "now": now}).rowcount)

    def opt_in(self, pseudonym: str) -> bool:
        return bool(self.conn.execute(DELETE_OPTOUT, {"pseudonym": pseudonym}).rowcount)

    # -- invitations (ORM) -----------------------------------------------------------------

    def contact(self, channel: str, address: str, now: datetime) -> Contact:
        found = self.find_contact(channel, address)
        if found is not None:
            return found
        contact = Contact(
            channel=channel,
            address=address,
            pseudonym=self.pseudonymise(channel, address),
            created_at=now,
        )
        try:
            with self.session.begin_nested():
                self.session.add(contact)
                self.session.flush()
        except IntegrityError:
            # Another instance created it between our read and our insert.
            found = self.find_contact(channel, address)
            assert found is not None  # noqa: S101
            return found
        return contact

    def find_contact(self, channel: str, address: str) -> Contact | None:
        return self.session.exec(
            select(Contact).where(Contact.channel == channel, Contact.address == address)
        ).first()

    def add_invitation(self, invitation: Invitation) -> Invitation:
        self.session.add(invitation)
        self.session.flush()
        return invitation

    def invitation(self, public_id: str, *, lock: bool = False) -> Invitation | None:
        query = select(Invitation).where(Invitation.public_id == public_id)
        if lock:
            query = query.with_for_update()
        return self.session.exec(query).first()

    def invitation_by_interaction(
        self, flow_id: str, interaction_id: str, contact_id: int
    ) -> Invitation | None:
        return self.session.exec(
            select(Invitation).where(
                Invitation.flow_id == flow_id,
                Invitation.interaction_id == interaction_id,
                Invitation.contact_id == contact_id,
            )
        ).first()

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
    ) -> OutboundMessage:
        message = OutboundMessage(
            invitation_id=invitation_id,
            channel=channel,
            kind=kind,
            status=status,
            provider_message_id=provider_message_id,
            error_code=error_code,
            created_at=now,
            updated_at=now,
        )
        self.session.add(message)
        return message
