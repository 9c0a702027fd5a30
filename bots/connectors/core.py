"""The path every connector shares: a verified event -> one invitation (or a stored reason why
not), through the same checks and service as `POST /api/v1/invitations`, once per event id."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import HTTPException, status
from pydantic import BaseModel, Field, ValidationError

from bots.api.routes.invitations import InvitationIn, Refused, submit
from bots.container import Container
from flows.contact_mapping import MappedContact, Unmappable
from scoring import connector_log
from scoring.tables import InvitationStatus

log = logging.getLogger(__name__)

Outcome = Literal["invited", "skipped", "unmapped"]
# Stored with a reason and never sent: a rule skipped the contact, or the send was refused at
# once (a WhatsApp template that is missing or not approved, no consent).
_NOT_SENT = (
    InvitationStatus.THROTTLED,
    InvitationStatus.OPTED_OUT,
    InvitationStatus.INELIGIBLE,
    InvitationStatus.SKIPPED,
    InvitationStatus.FAILED,
)


class ConnectorAnswer(BaseModel):
    """What a connector webhook answers (always 2xx once the signature is good)."""

    outcome: Outcome = Field(
        description="invited (a survey is on its way or queued), skipped (the rules skip this "
        "contact: the invitation is stored with the reason) or unmapped (no invitation)"
    )
    reason: str | None = Field(default=None, description="why it was skipped or unmapped")
    invitation_id: str | None = None
    status: str | None = Field(default=None, description="the invitation's status")
    duplicate: bool = Field(default=False, description="this event was taken before")


def forbidden(why: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, why)


def switched_off(connector: str, setting: str) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND, f"the {connector} connector is off: set {setting} to turn it on"
    )


def body_key(body: bytes) -> str:
    """An event id for a payload that carries none: the same body is the same event."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _problem(exc: ValidationError) -> str:
    """The first field error, as a platform's webhook log can show it."""
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


@dataclass(frozen=True, slots=True)
class Event:
    """A verified platform event, read."""

    connector: str
    key: str  # the platform's event id: the idempotency key
    mapped: MappedContact | Unmappable
    external_ref: str | None = None  # where the contact lives there (for the write-backs)
    # Not a contact's end at all (TaskRouter posts every workspace event): answered, not kept.
    ignored: bool = False


async def take(container: Container, event: Event) -> ConnectorAnswer:
    """Turn the event into an invitation once; a repeat of the event gets the stored answer."""
    db, engine = container.db, container.db.engine
    if event.ignored and isinstance(event.mapped, Unmappable):
        return ConnectorAnswer(outcome="unmapped", reason=event.mapped.reason)
    seen = await db.run(connector_log.taken, engine, event.connector, event.key)
    if seen is not None:
        return _answer(seen, duplicate=True)
    now = container.service.clock()
    if isinstance(event.mapped, Unmappable):
        return await _unmapped(container, event, event.mapped.reason)
    fields: dict[str, Any] = event.mapped.invitation_fields()
    try:
        body = InvitationIn(**fields)
    except ValidationError as exc:
        return await _unmapped(container, event, _problem(exc))
    try:
        invitation = await submit(container, body)
    except Refused as exc:
        return await _unmapped(container, event, f"{exc.field}: {exc.problem}")
    skipped = invitation.status in _NOT_SENT
    outcome: Outcome = "skipped" if skipped else "invited"
    stored = await db.run(
        connector_log.record,
        engine,
        connector=event.connector,
        event_key=event.key,
        outcome=outcome,
        now=now,
        invitation_id=invitation.id,
        reason=invitation.status_reason if skipped else None,
        external_ref=event.external_ref,
    )
    if not stored:  # the same event, taken by another request meanwhile
        seen = await db.run(connector_log.taken, engine, event.connector, event.key)
        if seen is not None:
            return _answer(seen, duplicate=True)
    log.info("%s event: %s", event.connector, outcome, extra={"connector": event.connector})
    return ConnectorAnswer(
        outcome=outcome,
        reason=invitation.status_reason if skipped else None,
        invitation_id=invitation.public_id,
        status=invitation.status,
    )


async def _unmapped(container: Container, event: Event, reason: str) -> ConnectorAnswer:
    # Kept, so "why did this contact get no survey?" has an answer; 2xx, so the platform does
    # not retry an event that will never map.
    await container.db.run(
        connector_log.record,
        container.db.engine,
        connector=event.connector,
        event_key=event.key,
        outcome="unmapped",
        now=container.service.clock(),
        reason=reason,
        external_ref=event.external_ref,
    )
    log.warning("%s event not mapped: %s", event.connector, reason)
    return ConnectorAnswer(outcome="unmapped", reason=reason)


def _answer(seen: connector_log.TakenEvent, *, duplicate: bool) -> ConnectorAnswer:
    outcome: Outcome = "unmapped"
    if seen.outcome == "invited":
        outcome = "invited"
    elif seen.outcome == "skipped":
        outcome = "skipped"
    return ConnectorAnswer(
        outcome=outcome,
        reason=seen.reason,
        invitation_id=seen.invitation_id,
        status=seen.invitation_status,
        duplicate=duplicate,
    )
