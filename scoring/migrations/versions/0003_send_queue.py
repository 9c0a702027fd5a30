"""The outbound send queue and late answers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:51:39
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import scoring.tables

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lateanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("raw_text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("received_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lateanswer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lateanswer_invitation_id"), ["invitation_id"], unique=False
        )

    op.create_table(
        "sendjob",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", scoring.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("created_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", scoring.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invitation_id", "kind", name="uq_sendjob_invitation_kind"),
    )
    with op.batch_alter_table("sendjob", schema=None) as batch_op:
        batch_op.create_index("ix_sendjob_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sendjob", schema=None) as batch_op:
        batch_op.drop_index("ix_sendjob_due")

    op.drop_table("sendjob")
    with op.batch_alter_table("lateanswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lateanswer_invitation_id"))

    op.drop_table("lateanswer")
