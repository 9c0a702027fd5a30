"""alert cases, their outbox, and the indexes the reports use

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import scoring.tables

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Reports filter on the metric (or flow) and a period, then group: covering indexes let both
# databases answer "NPS by week/agent/team/channel" and the funnel from the index alone
# (see benchmarks/metrics_queries.py).
REPORT_INDEXES = {
    "ix_response_report": (
        "response",
        [
            "metric",
            "answered_at",
            "value",
            "scale_min",
            "scale_max",
            "lower_is_better",
            "agent",
            "team",
            "channel",
        ],
    ),
    # The funnel counts invitations by creation time: covering, so no table lookups.
    "ix_invitation_funnel": (
        "invitation",
        ["created_at", "flow_id", "agent", "team", "sent_at", "delivery_status", "answered_at"],
    ),
}


def upgrade() -> None:
    op.create_table(
        "alert_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("agent", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("created_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", scoring.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["response_id"], ["response.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id"),
    )
    op.create_index("ix_alert_case_status_created", "alert_case", ["status", "created_at"])
    op.create_table(
        "alert_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["alert_case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_event_case_id", "alert_event", ["case_id"])
    op.create_index("ix_alert_event_created_at", "alert_event", ["created_at"])
    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("next_attempt_at", scoring.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", scoring.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["alert_event.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "target", name="uq_alert_delivery_event_target"),
    )
    op.create_index("ix_alert_delivery_due", "alert_delivery", ["status", "next_attempt_at"])
    for name, (table, columns) in REPORT_INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in REPORT_INDEXES.items():
        op.drop_index(name, table_name=table)
    op.drop_index("ix_alert_delivery_due", table_name="alert_delivery")
    op.drop_table("alert_delivery")
    op.drop_index("ix_alert_event_created_at", table_name="alert_event")
    op.drop_index("ix_alert_event_case_id", table_name="alert_event")
    op.drop_table("alert_event")
    op.drop_index("ix_alert_case_status_created", table_name="alert_case")
    op.drop_table("alert_case")
