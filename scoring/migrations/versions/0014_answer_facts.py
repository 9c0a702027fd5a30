"""What reports read of the invitation, stored on the response; the delay in the report index.

Response bias (the delay from send to answer), `first` attribution (the chain's first agent
and team) and the effort drivers joined every response to its invitation. The answer's INSERT
now stores them (scoring.answer_facts); existing rows are filled in here. The covering report
index gains the delay, which response bias reads beside the score (rebuilt: still one index
written per answer); the others are read from the table, as the plain GROUP BY reads it.

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
REPORT_INDEX = "ix_response_report"
_SCORE = ["metric", "answered_at", "value", "scale_min", "scale_max", "lower_is_better"]
BEFORE = [*_SCORE, "is_test", "agent", "team", "channel", "flow_id"]
AFTER = [*BEFORE, "answer_delay_seconds"]


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
    op.drop_index(REPORT_INDEX, table_name="response")
    op.create_index(REPORT_INDEX, "response", AFTER)


def downgrade() -> None:
    op.drop_table("known_value")
    op.drop_index(REPORT_INDEX, table_name="response")
    op.create_index(REPORT_INDEX, "response", BEFORE)
    for name, _kind in reversed(COLUMNS):
        op.drop_column("response", name)
