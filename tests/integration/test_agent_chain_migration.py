"""The agent-chain migration on a database that already holds invitations, on both databases."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from scoring.db import make_engine
from scoring.migrate import upgrade

_NOW = "2026-11-30 12:00:00"


@pytest.fixture
def fresh_url(database_url: str) -> str:
    """An empty database: the PostgreSQL one has its tables dropped, SQLite starts new."""
    if database_url.startswith("postgresql"):
        engine = make_engine(database_url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    return database_url


def test_an_older_invitation_gets_its_single_agent_and_team_as_its_chain(fresh_url: str) -> None:
    """Before: agent anna, team billing. After: agents [anna], teams [billing]; none stays []."""
    engine = make_engine(fresh_url)
    upgrade(engine, "0007_normaliser_reason")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO contact (id, channel, address, pseudonym, created_at) "
                "VALUES (1, 'sms', '+31612345678', 'p', :now)"
            ),
            {"now": _NOW},
        )
        for n, agent, team in ((1, "anna", "billing"), (2, None, None)):
            conn.execute(
                sa.text(
                    "INSERT INTO invitation (id, public_id, flow_id, channel, contact_id, locale, "
                    "tags, status, created_at, agent, team) VALUES "
                    "(:n, :pid, 'nps', 'sms', 1, 'nl', '[]', 'open', :now, :agent, :team)"
                ),
                {"n": n, "pid": f"p-{n}", "now": _NOW, "agent": agent, "team": team},
            )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT agents, teams, bot_only, no_survey, transfers FROM invitation ORDER BY id"
            )
        ).all()
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    # SQLite hands back JSON text, PostgreSQL the decoded list.
    decoded = [tuple(json.loads(v) if isinstance(v, str) else v for v in row[:2]) for row in rows]
    assert decoded == [(["anna"], ["billing"]), ([], [])]
    assert [tuple(bool(v) for v in row[2:4]) for row in rows] == [(False, False)] * 2
    assert [row[4] for row in rows] == [None, None]
    # The new columns as the tables declare them: no column missing or extra either way.
    added = [d for d in diff if d[0] in {"add_column", "remove_column"}]
    assert [d for d in added if d[2] == "invitation"] == []
