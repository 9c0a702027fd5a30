"""Dispatch rules: who may be asked, and when. Pure; the service applies them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flows.models import Flow
from flows.schedule import SendWindow, next_send_time, zones_for


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    """Fatigue rules, quiet hours, reminders and retries. The defaults allow everything."""

    cooldown: timedelta = timedelta(0)
    sample_percent: float = 100.0
    one_open_survey: bool = False
    send_delay: timedelta = timedelta(0)
    window: SendWindow | None = None
    default_timezone: str = "Europe/Amsterdam"
    reminder_after: timedelta | None = None
    attempts: int = 3
    retry_base: timedelta = timedelta(seconds=30)

    def for_flow(self, flow: Flow) -> DispatchPolicy:
        """The flow's own `[dispatch]` settings win over the global ones."""
        rules = flow.dispatch
        if rules is None:
            return self
        changes: dict[str, object] = {}
        if rules.cooldown_days is not None:
            changes["cooldown"] = timedelta(days=rules.cooldown_days)
        if rules.sample_percent is not None:
            changes["sample_percent"] = rules.sample_percent
        if rules.send_delay_minutes is not None:
            changes["send_delay"] = timedelta(minutes=rules.send_delay_minutes)
        if rules.reminder_hours is not None:
            changes["reminder_after"] = (
                timedelta(hours=rules.reminder_hours) if rules.reminder_hours > 0 else None
            )
        return replace(self, **changes)  # type: ignore[arg-type]

    def sampled_in(self, invitation_key: str) -> bool:
        """A stable draw per invitation, so a retried request gets the same answer."""
        if self.sample_percent >= 100:
            return True
        draw = int(hashlib.sha256(invitation_key.encode()).hexdigest()[:8], 16) % 10_000
        return draw < self.sample_percent * 100

    def send_time(self, now: datetime, address: str, timezone: str | None) -> datetime:
        """When a message created now may go out: after the delay, inside the window."""
        zones = zones_for(address, timezone, self.default_timezone)
        return next_send_time(now + self.send_delay, zones, self.window)

    def window_time(self, moment: datetime, address: str, timezone: str | None) -> datetime:
        """`moment`, or the next opening of the send window after it."""
        return next_send_time(
            moment, zones_for(address, timezone, self.default_timezone), self.window
        )

    def retry_time(self, now: datetime, attempts: int) -> datetime:
        """Exponential backoff: 30 s, 1 min, 2 min, ..."""
        return now + self.retry_base * int(2 ** max(attempts - 1, 0))
