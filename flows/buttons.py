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
# The first tap of a two-step question: a band of the scale ("sb1:<id>:b7-8"), not a score.
_BAND_PAYLOAD = re.compile(r"sb1:([0-9a-f]{32}):b(-?\d{1,3})-(-?\d{1,3})")


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


@dataclass(frozen=True, slots=True)
class BandPress:
    """The first tap of a two-step question: which part of the scale, not yet the score."""

    invitation_id: str
    low: int
    high: int


def encode_band(invitation_id: str, low: int, high: int) -> str:
    """The payload behind the button for one band of a two-step question."""
    return f"{PAYLOAD_VERSION}:{uuid.UUID(invitation_id).hex}:b{low}-{high}"


def decode_band(data: str | None) -> BandPress | None:
    """The band behind a payload, or None for anything we did not put there."""
    if not data or len(data) > MAX_PAYLOAD_BYTES:
        return None
    match = _BAND_PAYLOAD.fullmatch(data)
    if match is None:
        return None
    low, high = int(match.group(2)), int(match.group(3))
    return BandPress(str(uuid.UUID(match.group(1))), low, high) if low <= high else None


@dataclass(frozen=True, slots=True)
class Band:
    """One part of a scale offered as a single button; its points are the second step."""

    low: int
    high: int
    choices: tuple[Choice, ...]

    @property
    def title(self) -> str:
        return f"{self.low}-{self.high}" if self.low != self.high else str(self.low)


@dataclass(frozen=True, slots=True)
class ChoicePlan:
    """How a question's choices are offered on a channel: in one step, in two, or not at all.

    One step: every point at once (`choices`). Two steps: first the `bands`, then the points of
    the chosen band. A typed answer is taken at either step, so text alone still suffices.
    """

    choices: tuple[Choice, ...] = ()
    bands: tuple[Band, ...] = ()

    @property
    def steps(self) -> int:
        return 2 if self.bands else (1 if self.choices else 0)

    def band(self, low: int, high: int) -> Band | None:
        return next((b for b in self.bands if (b.low, b.high) == (low, high)), None)


# NPS' own segments (detractors, passives, promoters): the bands a customer already knows.
_NPS_BANDS = ((0, 6), (7, 8), (9, 10))


def bands(choices: tuple[Choice, ...], count: int = 3) -> tuple[Band, ...]:
    """The scale cut into `count` bands: NPS' segments on 0-10, else near-equal runs."""
    values = [c.value for c in choices]
    cuts: tuple[tuple[int, int], ...]
    if values == list(range(11)) and count == len(_NPS_BANDS):
        cuts = _NPS_BANDS
    else:
        size = -(-len(choices) // count)
        cuts = tuple(
            (values[i], values[min(i + size, len(values)) - 1]) for i in range(0, len(values), size)
        )
    return tuple(
        Band(low, high, tuple(c for c in choices if low <= c.value <= high)) for low, high in cuts
    )


def plan(reply: Reply, *, at_once: int, per_step: int, steps: int = 1) -> ChoicePlan:
    """How to offer a reply's choices when one message holds `at_once` of them.

    `per_step` is what a first step holds (a channel's buttons), `steps` how many steps the
    channel allows. A scale too long for one message is split into bands when the channel
    allows two steps and every band fits; else no choices are offered.
    """
    choices = reply.choices
    if not choices:
        return ChoicePlan()
    if len(choices) <= at_once:
        return ChoicePlan(choices=choices)
    if steps < 2 or per_step < 2:
        return ChoicePlan()
    cut = bands(choices, min(per_step, 3))
    if len(cut) <= per_step and all(len(b.choices) <= at_once for b in cut):
        return ChoicePlan(bands=cut)
    return ChoicePlan()


def offered(reply: Reply, channel: ChannelSpec) -> tuple[Choice, ...]:
    """The choices to draw as buttons on this channel: all of them if they fit, else none.

    Text alone always suffices (the question names the scale), so a channel that cannot carry
    every point as a button sends none rather than a partial scale.
    """
    return plan(reply, at_once=channel.buttons, per_step=channel.buttons).choices


def face(flow: Flow | None, value: int) -> str | None:
    """The emoji a faces scale shows for this point, if it has one."""
    if flow is None:
        return None
    point = flow.scale.point(value)
    return point.emoji[0] if point is not None and point.emoji else None
