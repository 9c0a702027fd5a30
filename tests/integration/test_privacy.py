"""Erasure and retention on real SQLite and real PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from bots.container import Container
from scoring.cases import AlertCase
from scoring.channels import Channel
from scoring.privacy import (
    ERASED,
    erase_address,
    infer_channel,
    mask_numbers,
    purge_expired_personal_data,
)
from scoring.reports import queries
from scoring.reports.filters import ReportConfig
from scoring.storage import Pseudonymiser
from scoring.tables import (
    Comment,
    Contact,
    InboundEvent,
    Invitation,
    InvitationStatus,
    LateAnswerRecord,
    OptOutRecord,
    Response,
    SendJob,
)

PHONE = "+31612345678"
OTHER = "+31687654321"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Seeded:
    contact_id: int
    invitation_id: int
    response_id: int | None


def seed(
    container: Container,
    channel: str,
    address: str,
    *,
    at: datetime = NOW,
    value: int | None = 4,
    comment: str | None = "Bel me op +31612345678, Piet",
    status: str = InvitationStatus.COMPLETED,
) -> Seeded:
    """One invitation of `address` with (optionally) its score, comment, late answer and event."""
    pseudonym = Pseudonymiser(container.settings.secret())(channel, address)
    with Session(container.db.engine, expire_on_commit=False) as session:
        contact = session.exec(
            select(Contact).where(Contact.channel == channel, Contact.address == address)
        ).first() or Contact(channel=channel, address=address, pseudonym=pseudonym, created_at=at)
        session.add(contact)
        session.flush()
        assert contact.id is not None
        invitation = Invitation(
            public_id=str(uuid.uuid4()),
            flow_id="nps",
            channel=channel,
            contact_id=contact.id,
            locale="nl",
            agent="anna",
            team="blue",
            status=status,
            status_reason=f"Twilio: the 'To' number {address} is not reachable",
            created_at=at,
            sent_at=at,
        )
        session.add(invitation)
        session.flush()
        assert invitation.id is not None
        response_id = None
        if value is not None:
            response = _response(invitation, value, at)
            session.add(response)
            session.flush()
            response_id = response.id
            assert response_id is not None
            if comment is not None:
                session.add(Comment(response_id=response_id, text=comment, created_at=at))
            session.add(_case(response_id, value, at))
        session.add(
            LateAnswerRecord(invitation_id=invitation.id, raw_text="nog een 8", received_at=at)
        )
        session.add(_event(invitation.id, at))
        session.commit()
        return Seeded(contact.id, invitation.id, response_id)


def _response(invitation: Invitation, value: int, at: datetime) -> Response:
    assert invitation.id is not None
    return Response(
        invitation_id=invitation.id,
        flow_id="nps",
        metric="nps",
        value=value,
        scale_min=0,
        scale_max=10,
        raw_text=f"{value}, bel me terug",
        normaliser_version="1",
        channel=invitation.channel,
        locale="nl",
        agent="anna",
        team="blue",
        answered_at=at,
    )


def _case(response_id: int, value: int, at: datetime) -> AlertCase:
    return AlertCase(
        response_id=response_id,
        flow_id="nps",
        value=value,
        note="called Piet back on his mobile",
        created_at=at,
        due_at=at + timedelta(hours=48),
        updated_at=at,
    )


def _event(invitation_id: int, at: datetime) -> InboundEvent:
    return InboundEvent(
        provider="twilio",
        event_key=f"SM{uuid.uuid4().hex}",
        invitation_id=invitation_id,
        outcome="score",
        reply=[{"kind": "thanks", "text": "Bedankt Piet!"}],
        received_at=at,
    )


def rows(container: Container, model: type[SQLModel]) -> list:  # type: ignore[type-arg]
    with Session(container.db.engine) as session:
        return list(session.exec(select(model)).all())


def erase(container: Container, address: str, channel: str | None = None):
    return erase_address(
        container.db.engine, Pseudonymiser(container.settings.secret()), address, NOW, channel
    )


def nps_n(container: Container) -> int:
    config = ReportConfig(min_n=0)
    with container.db.engine.connect() as conn:
        [score] = queries.scores(conn, "nps", config=config)
    return score.n


def test_erase_keeps_the_score_but_removes_the_number_and_the_comment(
    container: Container,
) -> None:
    """Address and free text go; the value, its metadata and the report's n stay."""
    seeded = seed(container, Channel.SMS, PHONE)
    counts = erase(container, PHONE)
    assert counts is not None
    assert (counts.contacts, counts.responses, counts.comments) == (1, 1, 1)
    assert (counts.late_answers, counts.inbound_events, counts.case_notes) == (1, 1, 1)
    [contact] = rows(container, Contact)
    assert (contact.address, contact.erased_at) == (None, NOW)
    [response] = rows(container, Response)
    assert (response.value, response.agent, response.team, response.raw_text) == (
        4,
        "anna",
        "blue",
        ERASED,
    )
    assert response.id == seeded.response_id
    assert rows(container, Comment) == []
    assert rows(container, LateAnswerRecord) == []
    assert [e.reply for e in rows(container, InboundEvent)] == [[]]
    assert [c.note for c in rows(container, AlertCase)] == [None]
    [invitation] = rows(container, Invitation)
    assert PHONE not in (invitation.status_reason or "")
    assert nps_n(container) == 1


def test_erasing_a_whatsapp_number_also_erases_the_sms_and_voice_contacts(
    container: Container,
) -> None:
    """One phone number is one person on every phone channel; another number is left alone."""
    seed(container, Channel.SMS, PHONE)
    seed(container, Channel.VOICE, PHONE, value=9, comment=None)
    seed(container, Channel.SMS, OTHER, comment="prima")
    counts = erase(container, "whatsapp:" + PHONE)
    assert counts is not None
    assert counts.contacts == 2
    addresses = {(c.channel, c.address) for c in rows(container, Contact)}
    assert addresses == {(Channel.SMS, None), (Channel.VOICE, None), (Channel.SMS, OTHER)}
    assert [c.text for c in rows(container, Comment)] == ["prima"]
    assert len(rows(container, Response)) == 3


def test_erase_keeps_the_opt_out(container: Container) -> None:
    """An opt-out holds only the pseudonym and must survive, or we would message them again."""
    seed(container, Channel.SMS, PHONE)
    pseudonym = Pseudonymiser(container.settings.secret())(Channel.SMS, PHONE)
    with Session(container.db.engine) as session:
        session.add(OptOutRecord(pseudonym=pseudonym, channel=Channel.SMS, opted_out_at=NOW))
        session.commit()
    erase(container, PHONE)
    assert [o.pseudonym for o in rows(container, OptOutRecord)] == [pseudonym]


def test_erase_of_an_unknown_address_returns_none(container: Container) -> None:
    """Nobody with that number: None (the API's 404), and nothing is touched."""
    seed(container, Channel.SMS, OTHER)
    assert erase(container, PHONE) is None
    assert [c.address for c in rows(container, Contact)] == [OTHER]


def test_erasing_twice_changes_nothing_the_second_time(container: Container) -> None:
    """Erasure is idempotent: the second call finds the person and reports zero changes."""
    seed(container, Channel.SMS, PHONE)
    erase(container, PHONE)
    again = erase(container, PHONE)
    assert again is not None
    assert again.total == 0


def test_erase_closes_open_surveys_and_cancels_queued_sends(container: Container) -> None:
    """With no address left, an open survey cannot be answered nor a reminder sent."""
    seeded = seed(container, Channel.SMS, PHONE, value=None, status=InvitationStatus.OPEN)
    with Session(container.db.engine) as session:
        session.add(
            SendJob(
                invitation_id=seeded.invitation_id,
                kind="reminder",
                due_at=NOW + timedelta(days=1),
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.commit()
    counts = erase(container, PHONE)
    assert counts is not None
    assert (counts.invitations_closed, counts.send_jobs_cancelled) == (1, 1)
    [invitation] = rows(container, Invitation)
    assert (invitation.status, invitation.closed_at) == (InvitationStatus.EXPIRED, NOW)
    assert [j.status for j in rows(container, SendJob)] == ["cancelled"]


def test_a_bare_chat_id_is_erased_as_a_telegram_contact(container: Container) -> None:
    """Without --channel, digits without + are a Telegram chat id."""
    seed(container, Channel.TELEGRAM, "123456789")
    counts = erase(container, "123456789")
    assert counts is not None
    assert counts.contacts == 1
    assert infer_channel("+31612345678") is Channel.SMS


def test_retention_purges_only_data_older_than_the_cutoff(container: Container) -> None:
    """A contact last invited 400 days ago is erased; one invited last week keeps everything."""
    old = NOW - timedelta(days=400)
    seed(container, Channel.SMS, PHONE, at=old)
    seed(container, Channel.SMS, OTHER, at=NOW - timedelta(days=7), comment="recent")
    counts = purge_expired_personal_data(container.db.engine, NOW, 365)
    assert counts.contacts == 1
    assert {c.address for c in rows(container, Contact)} == {None, OTHER}
    assert [c.text for c in rows(container, Comment)] == ["recent"]
    assert len(rows(container, LateAnswerRecord)) == 1
    assert sorted(r.raw_text for r in rows(container, Response)) == ["4, bel me terug", ERASED]
    assert len(rows(container, Response)) == 2
    assert purge_expired_personal_data(container.db.engine, NOW, 365).total == 0


def test_retention_erases_old_free_text_of_a_contact_invited_again(
    container: Container,
) -> None:
    """A returning customer keeps their number, but last year's comment still goes."""
    seed(container, Channel.SMS, PHONE, at=NOW - timedelta(days=400), comment="old text")
    seed(container, Channel.SMS, PHONE, at=NOW - timedelta(days=3), comment="new text")
    counts = purge_expired_personal_data(container.db.engine, NOW, 365)
    assert (counts.contacts, counts.comments, counts.late_answers) == (0, 1, 1)
    assert [c.address for c in rows(container, Contact)] == [PHONE]
    assert [c.text for c in rows(container, Comment)] == ["new text"]
    replies = sorted(len(e.reply) for e in rows(container, InboundEvent))
    assert replies == [0, 1]


def test_retention_refuses_zero_days(container: Container) -> None:
    """Zero days would erase everything just written: refused."""
    with pytest.raises(ValueError, match="at least one day"):
        purge_expired_personal_data(container.db.engine, NOW, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("to +31612345678 now", "to ***78 now"),
        ("whatsapp:+31 6 1234 5678", "whatsapp:***78"),
        ("From=%2B31612345678&Body=9", "From=***78&Body=9"),
        ("chat -1001234567890 said", "chat ***90 said"),
        ("id 550e8400-e29b-41d4-a716-446655440000 at 2026-11-20", None),
        ("took 0.1234567 s, port 8000", None),
    ],
)
def test_mask_numbers_hides_numbers_and_chat_ids_only(text: str, expected: str | None) -> None:
    """Numbers and chat ids are masked; UUIDs, dates, decimals and ports are not."""
    assert mask_numbers(text) == (expected if expected is not None else text)


def test_erasure_uses_the_sqlalchemy_tables_of_the_migrated_schema(container: Container) -> None:
    """Every table erasure writes to exists in the migrated database."""
    names = set(sa.inspect(container.db.engine).get_table_names())
    assert {"contact", "comment", "lateanswer", "inboundevent", "sendjob", "alert_case"} <= names
