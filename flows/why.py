"""Why a customer was (not) surveyed: every rule that applied to an invitation, with its time.

Pure: it reads what storage kept (`scoring.interactions`) and names the rules in the order the
service applies them (eligibility, the agent's no-survey, opt-out, the fatigue rules, the send
delay and quiet hours, the WhatsApp window, the send itself), then what became of the survey.
A rule that stopped the survey is the last rule step; the ones before it passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flows.waiting import QUIET_HOURS
from scoring.interactions import InvitationRecord
from scoring.tables import InvitationStatus

_SLACK = timedelta(seconds=1)
# The fatigue rules, by the words the service stores when one skips an invitation.
FATIGUE = (
    ("one_open_survey", "another survey is still open"),
    ("cooldown", "surveyed within"),
    ("sampling", "not in the"),
)
FAILED_MESSAGE = frozenset({"failed", "undelivered"})


@dataclass(frozen=True, slots=True)
class Step:
    """One rule or event: `outcome` is passed, excluded, skipped, waited, waiting, sent, ..."""

    rule: str
    outcome: str
    at: datetime
    detail: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "outcome": self.outcome,
            "at": self.at.isoformat(),
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    """One invitation of the interaction and the steps that decided its fate."""

    invitation_id: str
    flow: str
    channel: str
    status: str
    status_reason: str | None
    agent: str | None
    surveyed: bool  # the question reached the customer's channel
    steps: list[Step] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "invitation_id": self.invitation_id,
            "flow": self.flow,
            "channel": self.channel,
            "status": self.status,
            "status_reason": self.status_reason,
            "agent": self.agent,
            "surveyed": self.surveyed,
            "steps": [s.as_dict() for s in self.steps],
        }


def explain_record(record: InvitationRecord, send_delay: timedelta) -> Explanation:
    """The steps of one invitation; `send_delay` is the flow's (or the global) delay."""
    inv = record.invitation
    steps = _arrival(record)
    stopped = steps[-1].outcome in {"excluded", "skipped"}
    if not stopped:
        steps.extend(_sending(record, send_delay))
        steps.extend(_afterwards(record))
    return Explanation(
        invitation_id=inv.public_id,
        flow=inv.flow_id,
        channel=inv.channel,
        status=inv.status,
        status_reason=inv.status_reason,
        agent=inv.agent,
        surveyed=inv.sent_at is not None,
        steps=steps,
    )


def _arrival(record: InvitationRecord) -> list[Step]:
    """The rules checked when the invitation arrived, up to the one that stopped it."""
    inv = record.invitation
    t0, status, reason = inv.created_at, inv.status, inv.status_reason
    if status == InvitationStatus.INELIGIBLE:
        return [Step("eligibility", "excluded", t0, reason)]
    steps = [Step("eligibility", "passed", t0)]
    if status == InvitationStatus.SKIPPED:
        return [*steps, Step("no_survey", "skipped", t0, inv.no_survey_reason)]
    if status == InvitationStatus.OPTED_OUT and inv.sent_at is None:
        # At arrival, or when a Telegram deep link was opened by an opted-out chat.
        return [*steps, Step("opt_out", "skipped", inv.closed_at or t0, reason)]
    steps.append(Step("opt_out", "passed", t0))
    live = not any(j.kind == "invite" for j in record.jobs) and inv.delivery_status == "live"
    if live:
        return [*steps, Step("fatigue_rules", "not_applied", t0, "the customer was on the line")]
    for rule, words in FATIGUE:
        if status == InvitationStatus.THROTTLED and reason and reason.startswith(words):
            return [*steps, Step(rule, "skipped", t0, reason)]
        steps.append(Step(rule, "passed", t0))
    if reason and reason.startswith("whatsapp_") and inv.sent_at is None:
        return [*steps, Step("whatsapp_window", "skipped", inv.closed_at or t0, reason)]
    return steps


def _sending(record: InvitationRecord, send_delay: timedelta) -> list[Step]:
    inv = record.invitation
    t0 = inv.created_at
    steps: list[Step] = []
    job = next((j for j in record.jobs if j.kind == "invite"), None)
    if job is not None:
        pending = inv.sent_at is None and inv.status == InvitationStatus.PENDING
        outcome = "waiting" if pending else "waited"
        if send_delay > timedelta(0):
            steps.append(Step("send_delay", outcome, t0, f"until {(t0 + send_delay).isoformat()}"))
        if job.last_error == QUIET_HOURS or job.due_at > t0 + send_delay + _SLACK:
            steps.append(Step("quiet_hours", outcome, t0, f"until {job.due_at.isoformat()}"))
        if job.attempts > 1 or (job.last_error and job.last_error != QUIET_HOURS):
            detail = f"{job.attempts} attempt(s); last error: {job.last_error or '-'}"
            steps.append(Step("send", "retried", job.updated_at, detail))
    failed = [m for m in record.messages if m.kind == "question" and m.status in FAILED_MESSAGE]
    if inv.status == InvitationStatus.FAILED or failed:
        at = failed[-1].updated_at if failed else (inv.closed_at or t0)
        code = failed[-1].error_code if failed else None
        detail = "; ".join(x for x in (inv.status_reason, f"code {code}" if code else None) if x)
        if inv.status_reason and inv.status_reason.startswith("whatsapp_"):
            steps.append(Step("whatsapp_window", "failed", at, detail or None))
        else:
            steps.append(Step("send", "failed", at, detail or None))
    if inv.sent_at is not None:
        steps.append(Step("send", "sent", inv.sent_at, inv.delivery_status))
    return steps


def _afterwards(record: InvitationRecord) -> list[Step]:
    inv = record.invitation
    steps: list[Step] = []
    if record.answered_at is not None:
        steps.append(Step("answer", "answered", record.answered_at, f"score {record.value}"))
    closed = inv.closed_at or inv.created_at
    match inv.status:
        case InvitationStatus.EXPIRED:
            steps.append(Step("answer", "expired", closed))
        case InvitationStatus.UNANSWERED:
            steps.append(Step("answer", "unanswered", closed, inv.status_reason))
        case InvitationStatus.OPTED_OUT if inv.sent_at is not None:
            steps.append(Step("opt_out", "opted_out", closed, inv.status_reason))
        case _:
            pass
    return steps
