"""Send an invitation's opening question through its channel's sender."""

from __future__ import annotations

import logging

from bots.container import Container
from flows.ports import SendError
from scoring.tables import Invitation

log = logging.getLogger(__name__)


async def deliver(container: Container, public_id: str) -> Invitation:
    """Send the question if the invitation is still pending; record the outcome either way."""
    service, db = container.service, container.db
    outbound = await db.run(service.outbound, public_id)
    if outbound is None:
        return await db.run(service.get_invitation, public_id)
    sender = container.senders.get(outbound.channel)
    if sender is None:
        error = SendError(f"no sender configured for channel {outbound.channel}", permanent=True)
        return await db.run(service.mark_failed, public_id, error)
    try:
        result = await sender.send(outbound)
    except SendError as exc:
        log.warning("send of invitation %s failed: %s (code %s)", public_id, exc, exc.code)
        return await db.run(service.mark_failed, public_id, exc)
    return await db.run(service.mark_sent, public_id, result)
