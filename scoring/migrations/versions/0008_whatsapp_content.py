"""WhatsApp: Content SIDs and approval per flow and locale, the 24-hour window, opt-in.

Invitations gain `last_customer_message_at` (the CRM's last inbound message, which opens the
window) and `whatsapp_opt_in`; new tables keep the Content resources, the window per person and
sender, and how each WhatsApp question went out (session content or template).

Revision ID: 0008_whatsapp_content
Revises: 0007_normaliser_reason
Create Date: 2026-12-01 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from scoring.tables import UTCDateTime

revision: str = "0008_whatsapp_content"
down_revision: str | None = "0007_normaliser_reason"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): rows elsewhere point at invitation, and SQLite adds a
    # nullable column or one with a constant default in place.
    op.add_column("invitation", sa.Column("last_customer_message_at", UTCDateTime(), nullable=True))
    op.add_column(
        "invitation",
        sa.Column("whatsapp_opt_in", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "whatsapp_content",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_id", _text(40), nullable=False),
        sa.Column("locale", _text(5), nullable=False),
        sa.Column("purpose", _text(16), nullable=False),
        sa.Column("content_sid", _text(34), nullable=False),
        sa.Column("definition_hash", _text(16), nullable=True),
        sa.Column("approval_status", _text(16), nullable=False),
        sa.Column("rejection_reason", _text(255), nullable=True),
        sa.Column("source", _text(8), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("flow_id", "locale", "purpose", name="uq_whatsapp_content_purpose"),
    )
    op.create_table(
        "whatsapp_window",
        sa.Column("pseudonym", _text(64), nullable=False),
        sa.Column("sender", _text(32), nullable=False),
        sa.Column("last_inbound_at", UTCDateTime(), nullable=False),
        sa.Column("opted_in_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("pseudonym", "sender"),
    )
    op.create_table(
        "whatsapp_send",
        sa.Column("provider_message_id", _text(64), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("mode", _text(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"]),
        sa.PrimaryKeyConstraint("provider_message_id"),
    )
    op.create_index("ix_whatsapp_send_invitation_id", "whatsapp_send", ["invitation_id"])


def downgrade() -> None:
    op.drop_index("ix_whatsapp_send_invitation_id", table_name="whatsapp_send")
    op.drop_table("whatsapp_send")
    op.drop_table("whatsapp_window")
    op.drop_table("whatsapp_content")
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy: dropping the copied table would break
    # the foreign keys of the rows that point at invitation.
    op.drop_column("invitation", "whatsapp_opt_in")
    op.drop_column("invitation", "last_customer_message_at")
