"""Invitations that never went out, and why: the funnel's missing step made visible.

A skipped or refused invitation (a WhatsApp template that is missing or not approved, no
consent, an opt-out, a fatigue rule, a failed send) has no `sent_at`; its `status_reason` says
why, as a code such as `whatsapp_template_missing` or as the provider's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from scoring.reports.filters import Filters
from scoring.reports.sql import INVITATION, conditions

NOT_SENT_STATUSES = ("failed", "throttled", "opted_out", "ineligible", "skipped")
# Sent, but not on the channel asked for: a number without WhatsApp got the question by SMS.
REROUTED_REASONS = ("whatsapp_not_a_user_sent_by_sms",)


@dataclass(frozen=True, slots=True)
class NotSent:
    channel: str
    reason: str
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "reason": self.reason, "count": self.count}


def not_sent(conn: sa.Connection, filters: Filters = Filters(), limit: int = 50) -> list[NotSent]:
    """Unsent invitations under the funnel's filters, by channel and reason, most first."""
    inv = INVITATION.c
    where = [
        *conditions(INVITATION, "created_at", filters, conn.dialect.name),
        sa.or_(
            sa.and_(inv.sent_at.is_(None), inv.status.in_(NOT_SENT_STATUSES)),
            inv.status_reason.in_(REROUTED_REASONS),
        ),
    ]
    reason = sa.func.coalesce(inv.status_reason, inv.status)
    found = conn.execute(
        sa.select(inv.channel, reason, sa.func.count())
        .where(*where)
        .group_by(inv.channel, reason)
        .order_by(sa.func.count().desc(), inv.channel, reason)
        .limit(limit)
    ).all()
    return [NotSent(str(channel), str(why), int(n)) for channel, why, n in found]
