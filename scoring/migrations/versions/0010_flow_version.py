"""Every stored score keeps the version of the question it answered (wording and scale).

Revision ID: 0010_flow_version
Revises: 0009_connectors
Create Date: 2026-12-01 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010_flow_version"
down_revision: str | None = "0009_connectors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: answers stored before this revision carry no version; reports show them as such.
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("flow_version", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy, which drops the table rows point at.
    op.drop_column("response", "flow_version")
