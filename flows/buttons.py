"""Answer buttons for any channel that draws them: which choices to offer, and their payload.

A question offers its scale's points as `Reply.choices`: the question itself, its reminder and
its re-prompt carry them, and a press answers only while the survey is at the question step
(later it is a stale button). A channel draws the choices its own way (Telegram's inline
keyboard in `bots/telegram/keyboards.py`) and puts `encode(...)` behind each button; what comes
back goes through `decode`, since a client can send anything. The payload is versioned ("sb1")
and binds the press to one invitation; anything we did not put there decodes to None.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from flows.models import Flow
from flows.render import Choice, Reply
from scoring.channels import ChannelSpec

PAYLOAD_VERSION = "sb1"
# The tightest limit of the channels that draw buttons: Telegram's callback_data (WhatsApp's
# reply id allows 256 characters). The payload below is at most 42 bytes.
MAX_PAYLOAD_BYTES = 64
_PAYLOAD = re.compile(r"sb1:([0-9a-f]{32}):(-?\d{1,3})")


@dataclass(frozen=True, slots=True)
class ButtonPress:
    invitation_id: str  # the invitation's public id
    value: int


def encode(invitation_id: str, value: int) -> str:
    """The payload behind the button for `value` on this invitation's question."""
    data = f"{PAYLOAD_VERSION}:{uuid.UUID(invitation_id).hex}:{value}"
    if len(data.encode()) > MAX_PAYLOAD_BYTES:  # pragma: no cover - the format cannot exceed it
        raise ValueError(f"button payload over {MAX_PAYLOAD_BYTES} bytes")
    return data


def decode(data: str | None) -> ButtonPress | None:
    """The press behind a payload, or None for anything we did not put there."""
    if not data or len(data) > MAX_PAYLOAD_BYTES:
        return None
    match = _PAYLOAD.fullmatch(data)
    if match is None:
        return None
    return ButtonPress(str(uuid.UUID(match.group(1))), int(match.group(2)))


def offered(reply: Reply, channel: ChannelSpec) -> tuple[Choice, ...]:
    """The choices to draw as buttons on this channel: all of them if they fit, else none.

    Text alone always suffices (the question names the scale), so a channel that cannot carry
    every point as a button sends none rather than a partial scale.
    """
    return reply.choices if 0 < len(reply.choices) <= channel.buttons else ()


def face(flow: Flow | None, value: int) -> str | None:
    """The emoji a faces scale shows for this point, if it has one."""
    if flow is None:
        return None
    point = flow.scale.point(value)
    return point.emoji[0] if point is not None and point.emoji else None
