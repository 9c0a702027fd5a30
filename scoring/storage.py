"""The SQL adapter of the survey store (the Protocols in flows.store).

The inbound path (one customer message) speaks hand-written SQL on the driver's cursor
(scoring.raw_sql): a webhook does a handful of small statements in one transaction, and
SQLAlchemy's per-statement bookkeeping would cost more than the database work itself.
Invitations are created and sent through the ORM, where clarity matters more than microseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from scoring import cases, queue
from scoring.channels import CHANNELS
from scoring.connector_tables import PushStatus
from scoring.group_commit import GroupCommit, driver_transaction
from scoring.privacy import ErasureCounts, erase_address
from scoring.raw_sql import RawSql, update_invitation_sql
from scoring.tables import (
    ANSWERABLE_STATUSES,
    OPEN_STATUSES,
    Contact,
    Invitation,
    OutboundMessage,
)

_ANSWERABLE = frozenset(s.value for s in ANSWERABLE_STATUSES)


def identity(channel: str, address: str) -> str:
    """Who this address is, across channels: every phone channel shares the E.164 number."""
    return CHANNELS.get(channel).address.identity(channel, address)


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
    is_test: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in _ANSWERABLE


class SqlSurveyStore:
    """The SQL SurveyStore: each `invitations()` or `answers()` is one database transaction."""

    def __init__(
        self,
        engine: Engine,
        pseudonymise: Pseudonymiser,
        *,
        push_targets: tuple[str, ...] = (),
        group: GroupCommit | None = None,
    ) -> None:
        self.engine = engine
        # SQLite's group commit (scoring.group_commit), joined by answers on the event loop.
        self.group = group
        self.pseudonymise = pseudonymise
        # Where every score is pushed back to (bots.connectors.targets); queued with it.
        self.push_targets = push_targets
        self._integrity_error: type[Exception] = engine.dialect.loaded_dbapi.IntegrityError
        # What a lost race looks like, from SQLAlchemy or straight from the driver.
        self.conflicts: tuple[type[Exception], ...] = (
            IntegrityError,
            engine.dialect.loaded_dbapi.IntegrityError,
        )

    @contextmanager
    def invitations(self) -> Iterator[SurveyTransaction]:
        """An ORM session's transaction, for invitations."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield SurveyTransaction(
                session.connection(), self.pseudonymise, session, push_targets=self.push_targets
            )

    @contextmanager
    def answers(self) -> Iterator[SurveyTransaction]:
        """A transaction for the inbound hot path, which speaks plain SQL (scoring.raw_sql).

        It runs on the pooled driver connection itself: a SQLAlchemy Connection and its begin
        events cost more than the few statements of an answer.
        """
        if self.group is not None and self.group.active():
            context: AbstractContextManager[Any] = self.group.answer()
        else:
            context = driver_transaction(self.engine)
        with context as cursor:
            raw = RawSql.on_cursor(
                cursor, self.engine.dialect, integrity_error=self._integrity_error
            )
            yield SurveyTransaction(
                None, self.pseudonymise, raw=raw, push_targets=self.push_targets
            )

    def stored_reply(self, provider: str, event_key: str) -> StoredReply | None:
        with self.engine.begin() as conn:
            raw = RawSql(conn)
            row = raw.one("select_event", {"provider": provider, "event_key": event_key})
        return StoredReply(row[0], list(raw.json(row[1]) or [])) if row else None

    def erase(self, address: str, now: datetime, channel: str | None) -> ErasureCounts | None:
        return erase_address(self.engine, self.pseudonymise, address, now, channel)

    def queued_sends(self, invitation_ids: list[int]) -> dict[int, queue.QueuedSend]:
        with self.engine.connect() as conn:
            return queue.invite_jobs(conn, invitation_ids)


class SurveyTransaction:
    """One transaction of the SQL store: both transaction Protocols of flows.store."""

    def __init__(
        self,
        conn: Connection | None,
        pseudonymise: Pseudonymiser,
        session: Session | None = None,
        *,
        raw: RawSql | None = None,
        push_targets: tuple[str, ...] = (),
    ) -> None:
        self._conn = conn
        self.pseudonymise = pseudonymise
        self._session = session
        self._raw = raw
        self._push_targets = push_targets

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("a plain-SQL transaction has no SQLAlchemy connection")
        return self._conn

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("this transaction has no ORM session (use store.invitations())")
        return self._session

    # -- the inbound path (plain SQL, see scoring.raw_sql) ----------------------------------

    @property
    def raw(self) -> RawSql:
        if self._raw is None:
            self._raw = RawSql(self.conn)
        return self._raw

    def open_survey(self, channel: str, address: str, public_id: str | None) -> SurveyRow | None:
        """The pinned survey if given, else the newest open one (locked); None if none."""
        params = {"channel": channel, "address": address}
        if public_id is not None:
            pinned = {**params, "public_id": public_id}
            # Lock it if it is open; else return it as it is, so the caller can say "closed".
            return self._survey(self.raw.one("pinned_open", pinned)) or self._survey(
                self.raw.one("pinned", pinned)
            )
        return self._survey(self.raw.one("newest_open", params))

    def last_survey(self, channel: str, address: str) -> SurveyRow | None:
        return self._survey(self.raw.one("newest_any", {"channel": channel, "address": address}))

    def _survey(self, row: tuple[Any, ...] | None) -> SurveyRow | None:
        if row is None:
            return None
        values = list(row)
        values[6] = self.raw.timestamp(values[6])
        values[13] = bool(values[13])
        return SurveyRow(*values)

    def update_invitation(self, invitation_id: int, values: dict[str, Any]) -> None:
        if values:
            sql = update_invitation_sql(tuple(sorted(values)))
            self.raw.execute_text(sql, {"iid": invitation_id, **values})

    def save_state(self, invitation_id: int, step: str, reprompts: int, now: datetime) -> None:
        params = {"iid": invitation_id, "step": str(step), "reprompts": reprompts, "now": now}
        if self.raw.execute("update_state", params) == 0:
            self.raw.execute("insert_state", params)

    def add_response(self, values: dict[str, Any]) -> None:
        self.raw.execute("insert_response", values)
        if values.get("is_test"):
            return  # a rehearsal reaches no platform, as it alerts nobody, nor the filter lists
        self.raw.execute("note_known_values", values)
        for target in self._push_targets:
            params = {
                "iid": values["invitation_id"],
                "target": target,
                "now": values["answered_at"],
            }
            self.raw.execute("queue_push", {**params, "status": PushStatus.QUEUED.value})

    def add_comment(self, invitation_id: int, text: str, now: datetime) -> None:
        self.raw.execute("insert_comment", {"iid": invitation_id, "text": text, "now": now})

    def add_late_answer(self, invitation_id: int, text: str, now: datetime) -> None:
        self.raw.execute("insert_late", {"iid": invitation_id, "text": text[:500], "now": now})

    def record_event(self, values: Mapping[str, Any]) -> None:
        """Store a processed provider event; DuplicateEvent if it was stored before."""
        # No savepoint: on a duplicate the caller rolls the whole transaction back.
        try:
            self.raw.execute("insert_event", values)
        except self.raw.integrity_error:
            raise DuplicateEvent(values["event_key"]) from None

    def defer_calls(
        self, channel: str, address: str, calls: Sequence[Mapping[str, Any]], now: datetime
    ) -> None:
        for call in calls:
            self.raw.execute(
                "insert_deferred",
                {
                    "channel": channel,
                    "address": address,
                    "method": call["method"],
                    "payload": self.raw.encode_json(call["payload"]),
                    "expires_at": call.get("expires_at"),
                    "now": now,
                },
            )

    def open_case_if_alerting(
        self,
        invitation_id: int,
        value: int,
        *,
        alert_min: int | None,
        alert_max: int | None,
        now: datetime,
    ) -> int | None:
        return cases.open_case_if_alerting(
            self.raw, invitation_id, value, alert_min=alert_min, alert_max=alert_max, now=now
        )

    def note_comment(self, invitation_id: int, now: datetime) -> None:
        cases.note_comment(self.raw, invitation_id, now)

    def take_live_buttons(self, invitation_id: int) -> tuple[str, ...]:
        """The provider ids of this survey's messages whose buttons still work; now they don't."""
        rows = self.raw.all("take_live_buttons", {"iid": invitation_id, "on": True, "off": False})
        return tuple(str(row[0]) for row in rows if row[0] is not None)

    def is_opted_out(self, pseudonym: str) -> bool:
        return self.raw.one("select_optout", {"pseudonym": pseudonym}) is not None

    def opt_out(self, pseudonym: str, channel: str, now: datetime) -> int:
        """Put the person on the opt-out list and close every open survey on every channel."""
        params = {"pseudonym": pseudonym, "channel": channel, "now": now}
        self.raw.execute("insert_optout", params)
        return self.raw.execute("close_all_open", params)

    def opt_in(self, pseudonym: str) -> bool:
        return self.raw.execute("delete_optout", {"pseudonym": pseudonym}) > 0

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

    def placeholder_contact(self, channel: str, now: datetime) -> Contact:
        """A contact whose address is not known yet (a Telegram deep link), one per invitation."""
        contact = Contact(
            channel=channel,
            address=None,
            pseudonym=f"unbound-{secrets.token_hex(16)}",
            created_at=now,
        )
        self.session.add(contact)
        self.session.flush()
        return contact

    def find_contact(self, channel: str, address: str) -> Contact | None:
        return self.session.exec(
            select(Contact).where(Contact.channel == channel, Contact.address == address)
        ).first()

    def contact_of(self, invitation: Invitation) -> Contact:
        return self.session.get_one(Contact, invitation.contact_id)

    def add_invitation(self, invitation: Invitation) -> Invitation:
        self.session.add(invitation)
        self.session.flush()
        return invitation

    def invitation(self, public_id: str, *, lock: bool = False) -> Invitation | None:
        query = select(Invitation).where(Invitation.public_id == public_id)
        if lock:
            query = query.with_for_update()
        return self.session.exec(query).first()

    def invitation_by_deep_link(self, token: str, channel: str) -> Invitation | None:
        return self.session.exec(
            select(Invitation)
            .where(Invitation.deep_link_token == token, Invitation.channel == channel)
            .with_for_update()
        ).first()

    def invitation_by_provider_id(self, provider_message_id: str) -> Invitation | None:
        return self.session.exec(
            select(Invitation)
            .where(Invitation.provider_message_id == provider_message_id)
            .with_for_update()
        ).first()

    def outbound_by_provider_id(self, provider_message_id: str) -> OutboundMessage | None:
        return self.session.exec(
            select(OutboundMessage).where(
                OutboundMessage.provider_message_id == provider_message_id
            )
        ).first()

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

    def has_open_survey(self, pseudonym: str) -> bool:
        """Any pending or running survey for this person, on any channel."""
        return (
            self.session.exec(
                select(Invitation.id)
                .join(Contact, col(Contact.id) == Invitation.contact_id)
                .where(
                    Contact.pseudonym == pseudonym,
                    col(Invitation.status).in_([s.value for s in OPEN_STATUSES]),
                )
                .limit(1)
            ).first()
            is not None
        )

    def surveyed_since(self, pseudonym: str, since: datetime) -> bool:
        """Was this person sent a survey, on any channel, at or after `since`?"""
        return (
            self.session.exec(
                select(Invitation.id)
                .join(Contact, col(Contact.id) == Invitation.contact_id)
                .where(Contact.pseudonym == pseudonym, col(Invitation.sent_at) >= since)
                .limit(1)
            ).first()
            is not None
        )

    def was_sent(self, invitation: Invitation, kind: str) -> bool:
        return (
            self.session.exec(
                select(OutboundMessage.id)
                .where(OutboundMessage.invitation_id == invitation.id, OutboundMessage.kind == kind)
                .limit(1)
            ).first()
            is not None
        )

    def enqueue(self, invitation_id: int, kind: str, due_at: datetime, now: datetime) -> None:
        queue.enqueue(self.conn, invitation_id, kind, due_at, now)

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
        """A sent message; `contact_id` with the provider id is its key (Telegram: the chat)."""
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
        self.session.add(message)
        return message
