"""A voice redirect carries the agent chain and the contact; an ineligible call just ends."""

from __future__ import annotations

from bots.container import Container
from scoring.tables import Invitation
from tests.e2e.twilio.conftest import Twilio, rows, sid

CHAIN = (
    "/webhooks/twilio/voice?flow=nps&interaction=call-77&agents=anna,bram&teams=billing,tech"
    "&transfers=1&previous_channels=chat,email&handle_time=340&direction=inbound"
)


def test_redirect_stores_the_whole_chain_as_sent(twilio: Twilio, container: Container) -> None:
    """agents=anna,bram: the chain in order, bram as the agent, two channels before this call."""
    root = twilio.twiml(twilio.post(CHAIN, twilio.call_params(sid("CA"))))
    assert root.find("Gather") is not None
    [invitation] = rows(container, Invitation)
    assert (invitation.agents, invitation.teams) == (["anna", "bram"], ["billing", "tech"])
    assert (invitation.agent, invitation.team) == ("bram", "tech")
    assert (invitation.transfers, invitation.channel_switches) == (1, 2)
    assert (invitation.handle_time_seconds, invitation.direction) == (340, "inbound")


def test_a_bot_only_call_is_not_surveyed_and_says_why(twilio: Twilio, container: Container) -> None:
    """bot_only=true: no question, the call hangs up, the invitation says ineligible_bot_only."""
    root = twilio.twiml(twilio.post(CHAIN + "&bot_only=true", twilio.call_params(sid("CA"))))
    assert root.find("Gather") is None
    assert root.find("Say") is None
    assert root.find("Hangup") is not None
    [invitation] = rows(container, Invitation)
    assert (invitation.status, invitation.status_reason) == ("ineligible", "ineligible_bot_only")
    assert invitation.sent_at is None
