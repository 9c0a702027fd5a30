"""Invitations that were never sent (throttled, opted out, failed, skipped, still waiting).

The funnel's "invited" counts every invitation; these are the ones that never reached "sent",
by the status that stopped them, so an admin sees them as steps of their own.
"""

from __future__ import annotations

import sqlalchemy as sa

from scoring.reports.filters import Dimension, Filters, ReportConfig
from scoring.reports.sql import INVITATION, conditions, source

# What the funnel says about its period: invitations count by creation, scores by answer time.
TIME_BASIS = "invitation_created_at"


def unsent(
    conn: sa.Connection,
    filters: Filters = Filters(),
    group_by: Dimension | None = None,
    config: ReportConfig = ReportConfig(),
) -> dict[str | None, dict[str, int]]:
    """{group key: {status: count}} of invitations with no send, under the funnel's filters."""
    inv = INVITATION.c
    where = conditions(INVITATION, "created_at", filters, conn.dialect.name)
    src = source(
        conn,
        table=INVITATION,
        time_column="created_at",
        filters=filters,
        group_by=group_by,
        tz=config.timezone,
        where=where,
    )
    rows = (
        sa.select(src.key_column(), inv.status)
        .select_from(src.from_)
        .where(*where, inv.sent_at.is_(None))
        .subquery("rows")
    )
    found: dict[str | None, dict[str, int]] = {}
    for key, state, count in conn.execute(
        sa.select(rows.c.key, rows.c.status, sa.func.count()).group_by(rows.c.key, rows.c.status)
    ):
        found.setdefault(key, {})[str(state)] = int(count)
    return found
