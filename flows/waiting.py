"""Why a pending invitation has not gone out yet, and when it will. Pure; reads no storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from scoring.queue import QueuedSend

# What the worker writes on a job it put back until the send window opens.
QUIET_HOURS = "quiet hours"
_SLACK = timedelta(seconds=1)


class WaitReason(StrEnum):
    SEND_WINDOW = "send_window"  # outside the recipient's local sending hours
    SEND_DELAY = "send_delay"  # SURVEYBOT_SEND_DELAY_MINUTES (or the flow's) after the contact
    RETRY = "retry"  # a send failed; the next attempt is scheduled
    DUE = "due"  # due now: the next worker round sends it
    SENDING = "sending"  # a worker has it in hand
    DEEP_LINK = "deep_link"  # a Telegram link: starts when the customer opens it


@dataclass(frozen=True, slots=True)
class Waiting:
    reason: WaitReason
    until: datetime | None  # when it goes; None when nobody knows (a deep link)
    attempts: int = 0  # failed sends so far (for a retry)
    detail: str | None = None  # the last failure

    def as_dict(self) -> dict[str, object]:
        return {
            "reason": self.reason.value,
            "until": self.until.isoformat() if self.until else None,
            "attempts": self.attempts,
            "detail": self.detail,
        }


def explain(
    *,
    created_at: datetime,
    job: QueuedSend | None,
    send_delay: timedelta,
    now: datetime,
    deep_link: bool,
) -> Waiting:
    """The reason a pending invitation waits, from its send job and the flow's delay."""
    if job is None:
        return Waiting(WaitReason.DEEP_LINK if deep_link else WaitReason.DUE, None)
    if job.status == "sending":
        return Waiting(WaitReason.SENDING, job.due_at, job.attempts)
    if job.last_error and job.last_error != QUIET_HOURS and job.attempts > 0:
        return Waiting(WaitReason.RETRY, job.due_at, job.attempts, job.last_error)
    if job.due_at <= now:
        return Waiting(WaitReason.DUE, job.due_at)
    if job.last_error == QUIET_HOURS or job.due_at > created_at + send_delay + _SLACK:
        return Waiting(WaitReason.SEND_WINDOW, job.due_at)
    return Waiting(WaitReason.SEND_DELAY, job.due_at)
