"""Outbound messages keyed by chat and message id; answer buttons that are still live.

Telegram numbers messages inside each chat, so a message id alone is not unique: two
customers' questions often share one. A message is now unique per (channel, contact,
provider id). `buttons_live` marks a sent message whose answer buttons still work, so they
can be taken away once the question is answered or asked again.

Revision ID: 0006_telegram_message_keys
Revises: 0005_auth_state
Create Date: 2026-12-01 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_telegram_message_keys"
down_revision: str | None = "0005_auth_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0001 left the old unique key unnamed; on SQLite the batch copy names it by this convention.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_unique_name() -> str:
    if op.get_bind().dialect.name == "postgresql":
        return "outboundmessage_provider_message_id_key"
    return "uq_outboundmessage_provider_message_id"


def upgrade() -> None:
    with op.batch_alter_table("outboundmessage", naming_convention=_NAMING) as batch_op:
        batch_op.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("buttons_live", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.drop_constraint(_old_unique_name(), type_="unique")
        batch_op.create_foreign_key(
            "fk_outboundmessage_contact_id", "contact", ["contact_id"], ["id"]
        )
    op.execute(
        "UPDATE outboundmessage SET contact_id = "
        "(SELECT invitation.contact_id FROM invitation "
        "WHERE invitation.id = outboundmessage.invitation_id)"
    )
    with op.batch_alter_table("outboundmessage") as batch_op:
        batch_op.create_unique_constraint(
            "uq_outbound_provider_message", ["channel", "contact_id", "provider_message_id"]
        )
        batch_op.create_index(
            "ix_outboundmessage_provider_message_id", ["provider_message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outboundmessage") as batch_op:
        batch_op.drop_index("ix_outboundmessage_provider_message_id")
        batch_op.drop_constraint("uq_outbound_provider_message", type_="unique")
        batch_op.drop_constraint("fk_outboundmessage_contact_id", type_="foreignkey")
        batch_op.drop_column("buttons_live")
        batch_op.drop_column("contact_id")
        # The name the upgrade drops, so a downgrade can be upgraded again.
        batch_op.create_unique_constraint(_old_unique_name(), ["provider_message_id"])
