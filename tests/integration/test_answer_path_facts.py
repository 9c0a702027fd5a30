"""An answer through the real answer path stores what reports read of its invitation.

The SMS answer's statements (scoring.storage.SurveyTransaction) store the delay, the chain's
first agent and team and the effort drivers on the response, and the answer's values in the
dashboard's filter lists; a test answer reaches no filter list.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from bots.container import Container
from bots.dispatch import deliver
from flows.ports import Sender
from flows.service import Inbound, NewInvitation
from scoring.channels import Channel
from scoring.privacy import erase_address
from scoring.rehearsals import purge_test_answers
from scoring.reports import queries
from scoring.reports.filters import Attribution, Dimension, Filters
from scoring.reports.response_bias import answer_delays
from scoring.reports.service import OPTION_DIMENSIONS
from scoring.storage import Pseudonymiser
from scoring.tables import Response
from tests.fakes import recording_senders
from tests.integration.test_answer_facts import joined_counts, joined_delays, stored_counts

PHONE = "+31612345678"
OTHER = "+31612345679"


@pytest.fixture
def senders() -> dict[str, Sender]:
    return recording_senders()


def answer(container: Container, address: str, text: str, **invitation: object) -> None:
    new = NewInvitation(Channel.SMS, address, flow_id="nps", **invitation)  # type: ignore[arg-type]
    created = container.service.create_invitation(new)
    asyncio.run(deliver(container, created.public_id))
    container.service.receive(Inbound(Channel.SMS, address, text))


def test_the_answer_stores_its_facts_and_its_filter_values(container: Container) -> None:
    answer(
        container,
        PHONE,
        "9",
        agents=("bea", "anna", "bea"),
        teams=("red", "blue", "red"),
        transfers=2,
        channel_switches=0,
        queue="billing",
        journey_stage="onboarding",
    )
    answer(container, OTHER, "3", agent="tess", team="trial", queue="rehearsal", test=True)
    with Session(container.db.engine) as session:
        real = session.exec(select(Response).where(Response.is_test == False)).one()  # noqa: E712
    assert (real.first_agent, real.first_team) == ("bea", "red")
    assert (real.transfers, real.channel_switches, real.teams_involved) == (2, 0, 2)
    assert real.answer_delay_seconds is not None
    assert 0 <= real.answer_delay_seconds < 60
    with container.db.engine.connect() as conn:
        known = queries.known_values(conn, OPTION_DIMENSIONS)
        assert known == {d.value: queries.distinct_values(conn, d) for d in OPTION_DIMENSIONS}
        assert sorted(answer_delays(conn, "nps", Filters())) == joined_delays(
            conn, "nps", Filters()
        )
    assert known["agent"] == ["bea"]  # the answer's own (last) agent; the test one is not listed
    assert known["queue"] == ["billing"]
    assert (known["channel"], known["locale"]) == (["sms"], [real.locale])
    assert known[Dimension.JOURNEY_STAGE.value] == ["onboarding"]


def test_a_persons_erasure_and_the_test_purge_leave_the_stored_figures_exact(
    container: Container,
) -> None:
    answer(container, PHONE, "9", agents=("bea", "anna"), teams=("red",), transfers=1)
    answer(container, OTHER, "3", agent="tess", test=True)
    erase_address(
        container.db.engine,
        Pseudonymiser(container.settings.secret()),
        PHONE,
        datetime.now(UTC),
        None,
    )
    purge_test_answers(container.db.engine)
    with container.db.engine.connect() as conn:
        known = queries.known_values(conn, OPTION_DIMENSIONS)
        assert known == {d.value: queries.distinct_values(conn, d) for d in OPTION_DIMENSIONS}
        assert known["agent"] == ["anna"]
        assert sorted(answer_delays(conn, "nps", Filters())) == joined_delays(
            conn, "nps", Filters()
        )
        first = Filters(attribution=Attribution.FIRST)
        assert stored_counts(conn, first, Dimension.AGENT) == joined_counts(
            conn, first, Dimension.AGENT
        )
        [(key, *_)] = stored_counts(conn, first, Dimension.AGENT)
        assert key == "bea"
