"""Send an invitation's question (or its reminder) through its channel's sender."""

from __future__ import annotations

import logging

from bots.container import Container
from flows.ports import ButtonRemover, SendError
from scoring.tables import Invitation

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """A send failed in a way that may pass (a timeout, a 5xx): the queue tries again."""

    def __init__(self, error: SendError) -> None:
        super().__init__(str(error))
        self.error = error


async def deliver(container: Container, public_id: str, *, retry: bool = False) -> Invitation:
    """Send the question if the invitation is still pending; record the outcome.

    With `retry`, a transient failure raises RetryLater instead of failing the invitation,
    so the queue can try again later.
    """
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
        if retry and not exc.permanent and not exc.opted_out:
            raise RetryLater(exc) from exc
        return await db.run(service.mark_failed, public_id, exc)
    return await db.run(service.mark_sent, public_id, result)


async def remind(container: Container, public_id: str) -> bool:
    """Send the one reminder if the survey is still unanswered. False when nothing was due."""
    service, db = container.service, container.db
    outbound = await db.run(service.reminder, public_id)
    if outbound is None:
        return False
    sender = container.senders.get(outbound.channel)
    if sender is None:
        return False
    try:
        result = await sender.send(outbound)
    except SendError as exc:
        if exc.permanent or exc.opted_out:
            log.warning("reminder for %s failed for good: %s", public_id, exc)
            return False
        raise RetryLater(exc) from exc
    stale = await db.run(service.mark_reminded, public_id, result)
    if stale and isinstance(sender, ButtonRemover):
        await sender.remove_buttons(outbound.address, stale)
    return True
