"""Connectors: the platform events taken, and the outbox of responses pushed back.

Revision ID: 0009_connectors
Revises: 0008_whatsapp_content
Create Date: 2026-12-01 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import scoring.tables

revision: str = "0009_connectors"
down_revision: str | None = "0008_whatsapp_content"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connector_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connector", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("event_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("external_ref", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("received_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("connector", "event_key", name="uq_connector_event"),
    )
    with op.batch_alter_table("connector_event", schema=None) as batch_op:
        batch_op.create_index("ix_connector_event_invitation", ["invitation_id"], unique=False)

    op.create_table(
        "response_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", scoring.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("created_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", scoring.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["response_id"], ["response.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id", "target", name="uq_response_push_target"),
    )
    with op.batch_alter_table("response_push", schema=None) as batch_op:
        batch_op.create_index("ix_response_push_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("response_push", schema=None) as batch_op:
        batch_op.drop_index("ix_response_push_due")
    op.drop_table("response_push")
    with op.batch_alter_table("connector_event", schema=None) as batch_op:
        batch_op.drop_index("ix_connector_event_invitation")
    op.drop_table("connector_event")
