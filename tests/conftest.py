"""Shared fixtures: real SQLite and real PostgreSQL, the real app over real HTTP."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn

from bots.app import create_app
from bots.channels import register_channels
from bots.container import Container, build
from bots.settings import Settings
from flows.ports import Sender
from scoring.db import make_engine
from scoring.migrate import upgrade

# What build() does for the app, done once for the tests that drive the core without it.
register_channels()

PG_ADMIN_URL = os.environ.get("SURVEYBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ADMIN_TOKEN = "adm-Kq7wZr9xPm4vLt2nBc8s"
VIEWER_TOKEN = "vwr-Hs3jNe6yQa1uFd5gRk0p"
SECRET_KEY = "key-Wb2mXc9tJv4hLq7zSe1nGf6rDa3kYu"


def postgres_problem(url: str = PG_ADMIN_URL) -> str | None:
    """Why the PostgreSQL tests cannot run against `url`, in one line; None when they can."""
    parts = sa.engine.make_url(url)
    where = f"{parts.host or '127.0.0.1'}:{parts.port or 5432}"
    try:
        with socket.create_connection((parts.host or "127.0.0.1", parts.port or 5432), timeout=1):
            pass
    except OSError:
        return f"PostgreSQL on {where} is not running"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if "role" in reason and "does not exist" in reason:
            hint = f"create it: createuser -h {parts.host} -s {parts.username}"
        elif "database" in reason and "does not exist" in reason:
            hint = f"create it: createdb -h {parts.host} -U {parts.username} {parts.database}"
        else:
            hint = "set SURVEYBOT_TEST_PG to a server URL the tests may use"
        return f"PostgreSQL on {where}: {reason.rsplit('FATAL:', 1)[-1].strip()} ({hint})"
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated, dropped at the end."""
    problem = postgres_problem()
    if problem is not None:
        if os.environ.get("SURVEYBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{problem}; required here (SURVEYBOT_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(problem)
    name = f"surveybot_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        if names:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that uses this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'surveybot.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    return url


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "admin_token": ADMIN_TOKEN,
        "viewer_token": VIEWER_TOKEN,
        "secret_key": SECRET_KEY,
        "company_name": "Acme",
        # Tests switch the dispatch rules on where they test them; elsewhere a second survey
        # to the same number, or a run at night, must not be throttled or deferred.
        "cooldown_days": 0,
        "one_open_survey": False,
        "send_window": "off",
        "reminder_hours": 0,
        "in_process_worker": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def senders() -> dict[str, Sender]:
    """Stand-in senders the `container` fixture is built with; override it to add some."""
    return {}


@pytest.fixture
def container(settings: Settings, senders: dict[str, Sender]) -> Iterator[Container]:
    built = build(settings, senders=senders)
    yield built
    built.close()


class LiveServer:
    """The real app under uvicorn on a free 127.0.0.1 port, in a background thread."""

    def __init__(self, container: Container, **uvicorn_options: Any) -> None:
        self.container = container
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        config = uvicorn.Config(
            create_app(container=container),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            **uvicorn_options,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(container: Container) -> Iterator[LiveServer]:
    with LiveServer(container) as server:
        yield server


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def viewer_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {VIEWER_TOKEN}"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc, arg-type]
