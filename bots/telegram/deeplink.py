"""Deep links: `https://t.me/<bot>?start=<token>` opens a survey for a chat we do not know yet."""

from __future__ import annotations

from bots.container import Container
from bots.telegram.channel import TELEGRAM
from scoring.tables import Invitation, InvitationStatus


def deep_link_url(username: str, token: str) -> str:
    return f"https://t.me/{username}?start={token}"


async def deep_link_for(container: Container, invitation: Invitation) -> str | None:
    """The link to hand the customer, while the invitation waits for one; else None."""
    from bots.telegram.sender import TelegramSender  # noqa: PLC0415

    sender = container.senders.get(TELEGRAM.name)
    if (
        not isinstance(sender, TelegramSender)
        or invitation.deep_link_token is None
        or invitation.status != InvitationStatus.PENDING
    ):
        return None
    username = await sender.username()
    return deep_link_url(username, invitation.deep_link_token) if username else None
