"""Alembic environment: runs against the engine the caller passes in, or the configured URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import scoring.auth_state
import scoring.cases
import scoring.connector_tables
import scoring.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from scoring.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
