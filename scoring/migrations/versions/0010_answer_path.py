"""The answer path: a durable table of deferred provider calls.

Revision ID: 0010_answer_path
Revises: 0007_normaliser_reason
Create Date: 2026-12-01 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import scoring.tables

revision: str = "0010_answer_path"
down_revision: str | None = "0007_normaliser_reason"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
