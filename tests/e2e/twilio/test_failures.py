"""When the database fails under a webhook, Twilio still gets valid TwiML, never a 500."""

from __future__ import annotations

import sqlalchemy as sa

from bots.container import Container
from tests.e2e.twilio.conftest import CUSTOMER, Twilio, create_invitation


def test_database_failure_during_an_answer_is_answered_with_empty_twiml(
    twilio: Twilio, container: Container
) -> None:
    """A broken response table (a real failure, not a stub) gives 200 and valid TwiML."""
    create_invitation(twilio, channel="sms", address=CUSTOMER, flow="nps", locale="nl")
    with container.db.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE response RENAME TO response_gone"))
    try:
        reply = twilio.post("/webhooks/twilio/messaging", twilio.message_params("9"))
        root = twilio.twiml(reply)
        assert list(root) == []
    finally:
        with container.db.engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE response_gone RENAME TO response"))
    # Nothing half-stored: the answer can still be given, and counts once.
    again = twilio.twiml(twilio.post("/webhooks/twilio/messaging", twilio.message_params("9")))
    assert "Bedankt" in "".join(again.itertext())
