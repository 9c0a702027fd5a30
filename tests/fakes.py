"""Small test doubles for ports (never for the code under test)."""

from __future__ import annotations

import uuid

from flows.ports import Outbound, Sender, SendError, SendResult


class RecordingSender:
    """A Sender that records what it would deliver, and can be told to fail."""

    def __init__(self, fail_with: SendError | None = None) -> None:
        self.sent: list[Outbound] = []
        self.fail_with = fail_with

    async def send(self, message: Outbound) -> SendResult:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)
        return SendResult(f"SM{uuid.uuid4().hex}", "queued")


def recording_senders() -> dict[str, Sender]:
    """Stand-ins for the phone channels, for build(settings, senders=...)."""
    return {"sms": RecordingSender(), "whatsapp": RecordingSender()}
