"""SQLite's group commit beside the other transactions of the event loop's thread.

While answers share an open transaction it holds SQLite's write lock; any other transaction
the loop's thread begins in that turn must commit the group first, or it would wait out
busy_timeout for a lock its own thread holds and fail with "database is locked".
SQLite only: on PostgreSQL the message path runs on threads and each answer commits alone.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bots.container import Container
from flows.ports import Sender
from flows.service import Inbound
from scoring import deferred
from scoring.channels import Channel
from scoring.tables import Invitation, Response
from tests.fakes import recording_senders
from tests.integration.test_survey_service import PHONE, open_invitation


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'surveybot.db'}"


@pytest.fixture
def senders() -> dict[str, Sender]:
    return recording_senders()


def answer(text: str, key: str) -> Inbound:
    return Inbound(Channel.SMS, PHONE, text, provider="twilio", event_key=key)


def test_an_outbox_claim_in_the_same_turn_as_an_answer_commits_the_answer_first(
    container: Container,
) -> None:
    open_invitation(container)
    db, clock = container.db, container.service.clock

    async def same_turn() -> list[deferred.ClaimedCall]:
        db.start_group_commit()  # as the server's start-up does, on this loop's thread
        answering = asyncio.ensure_future(db.run(container.service.receive, answer("9", "SM1")))
        claiming = asyncio.ensure_future(
            db.run(
                deferred.claim,
                db.engine,
                "telegram",
                worker="test",
                now=clock(),
                lease=timedelta(seconds=30),
                limit=10,
            )
        )
        outcome, claimed = await asyncio.gather(answering, claiming)
        assert outcome.outcome in ("answer", "completed")
        return claimed

    assert asyncio.run(same_turn()) == []
    with Session(db.engine) as session:
        assert [r.value for r in session.exec(select(Response))] == [9]


def test_an_orm_transaction_in_the_same_turn_sees_the_answer(container: Container) -> None:
    invitation = open_invitation(container)
    db = container.db

    def status() -> str:
        with Session(db.engine) as session:
            row = session.exec(select(Invitation).where(Invitation.id == invitation.id)).one()
            return str(row.status)

    async def same_turn() -> str:
        db.start_group_commit()
        answering = asyncio.ensure_future(db.run(container.service.receive, answer("10", "SM2")))
        reading = asyncio.ensure_future(db.run(status))
        await answering
        return await reading

    assert asyncio.run(same_turn()) != "open"  # the answer was committed before the read began


def test_answers_that_reach_the_store_in_one_turn_share_one_commit(container: Container) -> None:
    phones = [f"+3161200{i:04d}" for i in range(10)]
    for phone in phones:
        open_invitation(container, address=phone)
    db, group = container.db, container.db.group
    assert group is not None
    before = (group.commits, group.answers)

    async def together() -> list[str]:
        db.start_group_commit()
        runs = [
            db.run(container.service.receive, Inbound(Channel.SMS, p, "8", event_key=f"SM{i}"))
            for i, p in enumerate(phones)
        ]
        return [outcome.outcome for outcome in await asyncio.gather(*runs)]

    outcomes = asyncio.run(together())

    assert len(outcomes) == 10
    assert (group.commits - before[0], group.answers - before[1]) == (1, 10)
    with Session(db.engine) as session:
        assert [r.value for r in session.exec(select(Response))] == [8] * 10


def test_a_loop_that_was_not_bound_commits_each_answer_alone(container: Container) -> None:
    """The CLI, a test's own loop or a second loop in one process: no group, as before."""
    phones = [f"+3161300{i:04d}" for i in range(3)]
    for phone in phones:
        open_invitation(container, address=phone)
    db, group = container.db, container.db.group
    assert group is not None
    before = (group.commits, group.answers)

    async def together() -> None:
        runs = [
            db.run(container.service.receive, Inbound(Channel.SMS, p, "7", event_key=f"SX{i}"))
            for i, p in enumerate(phones)
        ]
        await asyncio.gather(*runs)

    asyncio.run(together())

    assert (group.commits, group.answers) == before
    with Session(db.engine) as session:
        assert [r.value for r in session.exec(select(Response))] == [7, 7, 7]
