"""DELETE /api/v1/contacts/{address}: erase a person's personal data (admin only)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel

from bots.api.deps import FORBIDDEN, UNAUTHORIZED, AdminDep, ContainerDep, invalid, not_found
from scoring.channels import CHANNELS
from scoring.privacy import format_counts

log = logging.getLogger(__name__)
router = APIRouter(
    prefix="/api/v1/contacts",
    tags=["contacts"],
    responses={**UNAUTHORIZED, **FORBIDDEN, **not_found("contact with this address")},
)


class ErasureOut(BaseModel):
    """Rows changed per kind of data; the scores themselves are kept and keep counting."""

    contacts: int
    invitations_closed: int
    responses: int
    comments: int
    late_answers: int
    inbound_events: int
    send_jobs_cancelled: int
    case_notes: int


@router.delete("/{address}", response_model=ErasureOut)
async def erase_contact(
    address: Annotated[
        str, Path(max_length=128, description="+31612345678, whatsapp:+31…, chat id")
    ],
    container: ContainerDep,
    _role: AdminDep,
    channel: Annotated[
        str | None,
        Query(
            max_length=16,
            description="the channel's name (sms, whatsapp, ...); default: a phone number if "
            "it starts with +, else a Telegram chat id",
        ),
    ] = None,
) -> ErasureOut:
    """Erase the number or chat id and the free text of this person on every channel.

    A phone number covers SMS, WhatsApp and voice. Scores stay (without their raw text) and so
    does an opt-out. 404 when no contact has this address.
    """
    if channel is not None and channel not in CHANNELS.sendable():
        raise invalid(
            ("query", "channel"), f"channel must be one of {', '.join(CHANNELS.sendable())}"
        )
    counts = await container.db.run(container.service.erase_person, address, channel)
    if counts is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no contact with this address")
    # An audit line without the address: that erasure happened, not whom it concerned.
    log.info("erased one person's personal data via the API: %s", format_counts(counts))
    return ErasureOut(**counts.as_dict())
