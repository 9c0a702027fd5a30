"""The ports the survey core needs from the outside world, as small Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from flows.render import Reply


class Clock(Protocol):
    def __call__(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Outbound:
    """What a channel needs to deliver the opening question of one invitation."""

    invitation_id: str
    channel: str
    address: str
    locale: str
    flow_id: str
    reply: Reply
    deep_link_token: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_message_id: str | None
    status: str = "sent"
    # The message carries answer buttons that keep working until the channel takes them away.
    buttons_live: bool = False


class SendError(Exception):
    """A send failed. `permanent` ones are not retried; `opted_out` ones add an opt-out."""

    def __init__(
        self,
        reason: str,
        *,
        code: str | None = None,
        permanent: bool = False,
        opted_out: bool = False,
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.permanent = permanent
        self.opted_out = opted_out


class Sender(Protocol):
    """One channel's outbound side: deliver an invitation's question."""

    async def send(self, message: Outbound) -> SendResult: ...


@runtime_checkable
class ButtonRemover(Protocol):
    """A sender whose messages carry answer buttons it can take away again."""

    async def remove_buttons(self, address: str, provider_message_ids: Sequence[str]) -> None: ...


@runtime_checkable
class SentLookup(Protocol):
    """A sender that can tell whether a message went out, for recovery after a crash."""

    async def find_sent(self, message: Outbound, since: datetime) -> SendResult | None: ...
