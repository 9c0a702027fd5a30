"""SQLite with a second writer on the same file (the Telegram poller beside `serve`)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bots.container import Container, build
from flows.service import Inbound
from scoring.channels import Channel
from scoring.tables import Response
from tests.conftest import make_settings
from tests.fakes import recording_senders
from tests.integration.test_survey_service import PHONE, open_invitation, rows


@pytest.fixture
def sqlite_container(tmp_path: Path) -> Iterator[Container]:
    settings = make_settings(f"sqlite:///{tmp_path / 'surveybot.db'}")
    built = build(settings, senders=recording_senders())
    yield built
    built.close()


def test_an_answer_waits_for_another_process_write_and_then_lands(
    sqlite_container: Container, tmp_path: Path
) -> None:
    """Another writer holds the lock when the answer comes in: it waits its turn, no error."""
    open_invitation(sqlite_container)
    other = sqlite3.connect(
        tmp_path / "surveybot.db", isolation_level=None, timeout=5, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")  # another process's transaction, holding the write lock
    other.execute(
        "INSERT INTO optout (pseudonym, channel, opted_out_at) "
        "VALUES ('someone-else', 'sms', '2026-11-25 12:00:00.000000')"
    )
    releases = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    releases.start()
    try:
        outcome = sqlite_container.service.receive(
            Inbound(Channel.SMS, PHONE, "9", provider="twilio", event_key="SM-wait")
        )
    finally:
        releases.join()
        other.close()

    assert [r.kind.value for r in outcome.replies] == ["thanks"]
    assert [r.value for r in rows(sqlite_container, Response)] == [9]
