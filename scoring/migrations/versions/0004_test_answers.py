"""Test answers: a flag on invitations and responses, so `surveybot try` stays out of reports.

Revision ID: 0004_test_answers
Revises: 0003
Create Date: 2026-12-01 09:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_test_answers"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("invitation", "response"):
        # A plain ADD COLUMN (no batch copy): SQLite adds a column with a constant default in
        # place, without rebuilding a table other tables point at.
        op.add_column(
            table, sa.Column("is_test", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Every console survey so far came from `surveybot try`: mark them, and drop the alert
    # cases they opened (they were never a customer's).
    op.execute("UPDATE invitation SET is_test = true WHERE channel = 'console'")
    op.execute(
        "UPDATE response SET is_test = true WHERE invitation_id IN "
        "(SELECT id FROM invitation WHERE is_test)"
    )
    op.execute(
        "DELETE FROM alert_delivery WHERE event_id IN (SELECT e.id FROM alert_event e "
        "JOIN alert_case a ON a.id = e.case_id JOIN response r ON r.id = a.response_id "
        "WHERE r.is_test)"
    )
    op.execute(
        "DELETE FROM alert_event WHERE case_id IN (SELECT a.id FROM alert_case a "
        "JOIN response r ON r.id = a.response_id WHERE r.is_test)"
    )
    op.execute(
        "DELETE FROM alert_case WHERE response_id IN (SELECT id FROM response WHERE is_test)"
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy, which drops the table rows point at.
    for table in ("response", "invitation"):
        op.drop_column(table, "is_test")
