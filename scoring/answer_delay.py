"""The answer delay (seconds from the question's send to the answer), stored on the response.

The response-bias report splits answers at the median delay. Computed when read it joined every
response to its invitation; stored, the report reads the response's covering index alone. It is
written by the answer's own INSERT (a subquery on the invitation, no extra statement) and
filled in for rows written straight into the table (the migration, the demo data) by
`fill_answer_delays`, with the very expression the report used to compute.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def delay_sql(answered_at: str, sent_at: str, *, postgres: bool) -> str:
    """Whole seconds from `sent_at` to `answered_at` as SQL; NULL when never sent.

    PostgreSQL floors the exact interval. SQLite stores UTC text that julianday() reads as a
    float in days: rounded to the second, as 13 minutes would otherwise read 12.99999.
    """
    if postgres:
        return f"CAST(floor(extract(epoch FROM ({answered_at} - {sent_at}))) AS INTEGER)"
    return f"CAST((julianday({answered_at}) - julianday({sent_at})) * 86400 + 0.5 AS INTEGER)"


def fill_answer_delays(conn: Connection) -> int:
    """Store the delay of every response that has none and whose invitation was sent."""
    postgres = conn.dialect.name == "postgresql"
    delay = delay_sql("response.answered_at", "invitation.sent_at", postgres=postgres)
    if postgres:
        sql = (
            f"UPDATE response SET answer_delay_seconds = {delay} FROM invitation "  # noqa: S608
            "WHERE invitation.id = response.invitation_id AND invitation.sent_at IS NOT NULL "
            "AND response.answer_delay_seconds IS NULL"
        )
    else:
        sql = (
            f"UPDATE response SET answer_delay_seconds = (SELECT {delay} FROM invitation "  # noqa: S608
            "WHERE invitation.id = response.invitation_id) "
            "WHERE answer_delay_seconds IS NULL AND invitation_id IN "
            "(SELECT id FROM invitation WHERE sent_at IS NOT NULL)"
        )
    return int(conn.execute(sa.text(sql)).rowcount)
