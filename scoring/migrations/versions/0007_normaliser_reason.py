"""Every stored score keeps the normaliser's reason beside its raw text and version.

Revision ID: 0007_normaliser_reason
Revises: 0006_telegram_message_keys
Create Date: 2026-12-01 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007_normaliser_reason"
down_revision: str | None = "0006_telegram_message_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: scores stored before this revision were read without a recorded reason.
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy, which drops the table rows point at.
    op.drop_column("response", "decision")
