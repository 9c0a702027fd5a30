"""The answer delay stored on the response, and read from the covering report index.

Response bias splits answers at the median time from send to answer; it joined every response
to its invitation to compute it. The answer's INSERT now stores it (scoring.answer_delay);
existing rows are filled in here. The covering report index gains the column (rebuilt, still
one index written per answer).

Revision ID: 0014_answer_delay
Revises: 0013_whatsapp_pace
Create Date: 2026-12-01 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from scoring.answer_delay import fill_answer_delays

revision: str = "0014_answer_delay"
down_revision: str | None = "0013_whatsapp_pace"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPORT_INDEX = "ix_response_report"
_SCORE = ["metric", "answered_at", "value", "scale_min", "scale_max", "lower_is_better"]
BEFORE = [*_SCORE, "is_test", "agent", "team", "channel", "flow_id"]
AFTER = [*BEFORE, "answer_delay_seconds"]


def upgrade() -> None:
    op.add_column("response", sa.Column("answer_delay_seconds", sa.Integer(), nullable=True))
    fill_answer_delays(op.get_bind())
    op.drop_index(REPORT_INDEX, table_name="response")
    op.create_index(REPORT_INDEX, "response", AFTER)


def downgrade() -> None:
    op.drop_index(REPORT_INDEX, table_name="response")
    op.create_index(REPORT_INDEX, "response", BEFORE)
    op.drop_column("response", "answer_delay_seconds")
