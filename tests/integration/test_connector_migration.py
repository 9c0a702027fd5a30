"""The connectors migration on a database that already holds surveys, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from scoring.db import make_engine
from scoring.migrate import alembic_config, upgrade
from tests.conftest import PG_ADMIN_URL, postgres_problem

_NOW = "2026-12-01 12:00:00"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of either kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    if (problem := postgres_problem()) is not None:
        pytest.skip(problem)
    name = f"surveybot_mig_{tmp_path.name[-8:].lower().replace('-', '_')}"
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_upgrade_keeps_every_score_and_adds_empty_connector_tables(fresh_url: str) -> None:
    """Scores from before stay; nothing is queued for them (they were never to be pushed)."""
    engine = make_engine(fresh_url)
    upgrade(engine, "0007_normaliser_reason")
    _seed_one_score(engine)

    upgrade(engine)

    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT value FROM response")).scalars().all() == [9]
        assert conn.execute(sa.text("SELECT count(*) FROM response_push")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM connector_event")).scalar() == 0
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007_normaliser_reason")
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert "response" in tables
    assert not {"response_push", "connector_event"} & tables


def test_a_downgrade_past_the_added_columns_keeps_every_score(fresh_url: str) -> None:
    """Dropping a column must not rebuild a table others point at (SQLite's FK check would fail)."""
    engine = make_engine(fresh_url)
    upgrade(engine)
    _seed_one_score(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT value FROM response")).scalars().all() == [9]
    upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT value FROM response")).scalars().all() == [9]
    engine.dispose()


def _seed_one_score(engine: sa.Engine) -> None:
    """One contact, one completed invitation and its NPS 9, in the columns every revision has."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO contact (id, channel, address, pseudonym, created_at) "
                "VALUES (1, 'sms', '+31612345678', 'p1', :now)"
            ),
            {"now": _NOW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO invitation (id, public_id, flow_id, channel, contact_id, locale, "
                "tags, status, created_at, is_test) VALUES (1, "
                "'00000000-0000-0000-0000-000000000001', 'nps', 'sms', 1, 'nl', '[]', "
                "'completed', :now, false)"
            ),
            {"now": _NOW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO response (invitation_id, flow_id, metric, value, scale_min, "
                "scale_max, lower_is_better, raw_text, normaliser_version, channel, locale, "
                "answered_at, is_test) VALUES (1, 'nps', 'nps', 9, 0, 10, false, '9', 'v', "
                "'sms', 'nl', :now, false)"
            ),
            {"now": _NOW},
        )
