"""Invitations carry the whole contact: every agent and team, transfers, and eligibility facts.

Revision ID: 0012_agent_chain
Revises: 0011_answer_path
Create Date: 2026-12-01 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_agent_chain"
down_revision: str | None = "0011_answer_path"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FLAGS = ("bot_only", "auto_closed", "no_survey")


def upgrade() -> None:
    # Plain ADD COLUMNs with constant defaults: SQLite adds them in place, without rebuilding
    # a table that other tables point at.
    # JSONB on PostgreSQL (see scoring.tables.CHAIN_JSON).
    chain_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    for name in ("agents", "teams"):
        op.add_column(
            "invitation",
            sa.Column(name, chain_type, nullable=False, server_default=sa.text("'[]'")),
        )
    op.add_column("invitation", sa.Column("transfers", sa.Integer(), nullable=True))
    op.add_column("invitation", sa.Column("channel_switches", sa.Integer(), nullable=True))
    op.add_column("invitation", sa.Column("previous_channels", sa.JSON(), nullable=True))
    op.add_column(
        "invitation",
        sa.Column("disposition", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    )
    op.add_column("invitation", sa.Column("handle_time_seconds", sa.Integer(), nullable=True))
    op.add_column(
        "invitation",
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    )
    for name in _FLAGS:
        op.add_column(
            "invitation",
            sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()),
        )
    op.add_column(
        "invitation",
        sa.Column("no_survey_reason", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    )
    # An invitation from before knew one agent and one team: that is its whole chain, so
    # "first" and "all" attribution read it as "last" does.
    array = "jsonb_build_array" if op.get_bind().dialect.name == "postgresql" else "json_array"
    for single, chain in (("agent", "agents"), ("team", "teams")):
        op.execute(
            f"UPDATE invitation SET {chain} = {array}({single}) "  # noqa: S608 (fixed names)
            f"WHERE {single} IS NOT NULL"
        )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy, which drops the table rows point at.
    for name in (
        "no_survey_reason",
        *reversed(_FLAGS),
        "direction",
        "handle_time_seconds",
        "disposition",
        "previous_channels",
        "channel_switches",
        "transfers",
        "teams",
        "agents",
    ):
        op.drop_column("invitation", name)
