"""WhatsApp's pair rate kept in the database: one row per person and sender.

Revision ID: 0013_whatsapp_pace
Revises: 0012_agent_chain
Create Date: 2026-12-01 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0013_whatsapp_pace"
down_revision: str | None = "0012_agent_chain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_pace",
        sa.Column("pseudonym", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", "sender"),
    )


def downgrade() -> None:
    op.drop_table("whatsapp_pace")
