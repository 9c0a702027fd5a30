"""The answer path: a durable table of deferred provider calls, and fewer index writes.

Every answer writes each index on `response`. The (flow_id, agent) and (flow_id, team) ones
served no query the covering report index does not (it groups by agent and team, and reports
filter on the metric); they go. The covering report indexes gain `is_test` (and the response
one `flow_id`), which every report filters on: without it each row was a table lookup. They
replace the old ones, so an answer writes no more for them. (flow_id, answered_at) becomes
(answered_at, id): exports read in that order, a batch at a time from where the last one ended,
and the responses page newest first; a flow filter is one condition along the way.

Revision ID: 0011_answer_path
Revises: 0010_flow_version
Create Date: 2026-12-01 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import scoring.tables

revision: str = "0011_answer_path"
down_revision: str | None = "0010_flow_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Index name -> (table, columns before, columns after).
_SCORE = ["metric", "answered_at", "value", "scale_min", "scale_max", "lower_is_better"]
COVERING = {
    "ix_response_report": (
        "response",
        [*_SCORE, "agent", "team", "channel"],
        [*_SCORE, "is_test", "agent", "team", "channel", "flow_id"],
    ),
    "ix_invitation_funnel": (
        "invitation",
        ["created_at", "flow_id", "agent", "team", "sent_at", "delivery_status", "answered_at"],
        [
            "created_at",
            "is_test",
            "flow_id",
            "agent",
            "team",
            "sent_at",
            "delivery_status",
            "answered_at",
        ],
    ),
}
DROPPED = {"ix_response_agent": ["flow_id", "agent"], "ix_response_team": ["flow_id", "team"]}
REPLACED = ("ix_response_flow_answered", ["flow_id", "answered_at"])
ADDED = ("ix_response_answered", ["answered_at", "id"])


def upgrade() -> None:
    for name in [*DROPPED, REPLACED[0]]:
        op.drop_index(name, table_name="response")
    op.create_index(ADDED[0], "response", ADDED[1])
    for name, (table, _before, after) in COVERING.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, after)
    op.create_table(
        "deferred_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", scoring.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", scoring.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deferred_call", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deferred_call_address", ["channel", "address", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("deferred_call", schema=None) as batch_op:
        batch_op.drop_index("ix_deferred_call_address")
    op.drop_table("deferred_call")
    for name, (table, before, _after) in COVERING.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, before)
    op.drop_index(ADDED[0], table_name="response")
    for name, columns in [*DROPPED.items(), REPLACED]:
        op.create_index(name, "response", columns)
