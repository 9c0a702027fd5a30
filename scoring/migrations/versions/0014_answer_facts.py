"""What reports read of the invitation, stored on the response; wider covering report indexes.

Response bias (the delay from send to answer), `first` attribution (the chain's first agent
and team) and the effort drivers joined every response to its invitation. The answer's INSERT
now stores them (scoring.answer_facts); existing rows are filled in here. The covering report
index gains them, so those reports read it alone (rebuilt: still one index written per
answer). The covering funnel index gains the channel, which response bias groups the funnel by.

The dashboard's filter lists scanned every response per list: table `known_value` keeps each
value once, written with each real answer (one statement; see scoring.tables.KnownValue).

Revision ID: 0014_answer_facts
Revises: 0013_whatsapp_pace
Create Date: 2026-12-01 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from scoring.answer_facts import fill_answer_facts

revision: str = "0014_answer_facts"
down_revision: str | None = "0013_whatsapp_pace"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    ("answer_delay_seconds", sa.Integer()),
    ("first_agent", sqlmodel.sql.sqltypes.AutoString(length=128)),
    ("first_team", sqlmodel.sql.sqltypes.AutoString(length=128)),
    ("transfers", sa.Integer()),
    ("channel_switches", sa.Integer()),
    ("teams_involved", sa.Integer()),
]
# Index name -> (table, columns before, columns after). Each replaces an index of the same name,
# so an answer still writes one report index: a wider entry, not another index.
_SCORE = ["metric", "answered_at", "value", "scale_min", "scale_max", "lower_is_better"]
_FUNNEL = ["created_at", "is_test", "flow_id", "agent", "team", "sent_at", "delivery_status"]
COVERING = {
    "ix_response_report": (
        "response",
        [*_SCORE, "is_test", "agent", "team", "channel", "flow_id"],
        [*_SCORE, "is_test", "agent", "team", "channel", "flow_id", *(c for c, _ in COLUMNS)],
    ),
    # The funnel per channel over a period read every invitation row the period covers.
    "ix_invitation_funnel": (
        "invitation",
        [*_FUNNEL, "answered_at"],
        [*_FUNNEL, "answered_at", "channel"],
    ),
}


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("response", sa.Column(name, kind, nullable=True))
    op.create_table(
        "known_value",
        sa.Column("dimension", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.PrimaryKeyConstraint("dimension", "value"),
    )
    fill_answer_facts(op.get_bind())  # the known values too (fill_known_values)
    for name, (table, _before, after) in COVERING.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, after)


def downgrade() -> None:
    op.drop_table("known_value")
    for name, (table, before, _after) in COVERING.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, before)
    for name, _kind in reversed(COLUMNS):
        op.drop_column("response", name)
