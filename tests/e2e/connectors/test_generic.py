"""The generic connector: any CRM posts the README's JSON, signed like our own webhooks."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bots.container import Container, build
from bots.settings import Settings
from tests.conftest import LiveServer
from tests.e2e.connectors.conftest import (
    connector_events,
    connector_settings,
    invitations,
    post_generic,
)
from tests.e2e.twilio.fake_twilio import FakeTwilioServer

CUSTOMER = "+31612345678"


def event(**changes: object) -> dict[str, object]:
    """The README's example event."""
    body: dict[str, object] = {
        "event_id": "crm-evt-20261201-0001",
        "channel": "sms",
        "address": CUSTOMER,
        "interaction_id": "case-1001",
        "agents": ["anna", "bram"],
        "teams": ["eerste-lijn", "billing"],
        "queue": "billing",
        "journey_stage": "complaint",
        "locale": "nl",
        "transfers": 1,
        "disposition": "resolved",
    }
    body.update(changes)
    return body


def test_a_signed_event_sends_the_survey_to_the_customer(
    http: httpx.Client, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """One event: one invitation, its question texted to the customer at once."""
    answer = post_generic(http, event())

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "invited"
    [invitation] = invitations(container)
    assert invitation.public_id == answer.json()["invitation_id"]
    assert (invitation.interaction_id, invitation.queue) == ("case-1001", "billing")
    assert invitation.flow_id == "ces"  # the journey stage's flow
    [sms] = fake_twilio.fake.of_kind("Messages")
    assert sms.one("To") == CUSTOMER


def test_the_last_agent_and_team_of_the_chain_go_on_the_invitation(
    http: httpx.Client, container: Container
) -> None:
    """agents/teams are the chain in order; the invitation's agent and team are the last."""
    post_generic(http, event())

    [invitation] = invitations(container)
    assert (invitation.agent, invitation.team) == ("bram", "billing")
    assert (invitation.agents, invitation.teams) == (["anna", "bram"], ["eerste-lijn", "billing"])
    assert (invitation.transfers, invitation.disposition) == (1, "resolved")


def test_an_agents_no_survey_from_the_crm_is_skipped_with_its_reason(
    http: httpx.Client, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """no_survey reaches the eligibility rules like the API's: skipped, counted, not sent."""
    answer = post_generic(http, event(no_survey=True, no_survey_reason="klant was boos"))

    assert answer.json()["outcome"] == "skipped"
    assert answer.json()["reason"] == "no_survey_by_agent"
    assert fake_twilio.fake.of_kind("Messages") == []


def test_a_bot_only_contact_is_ineligible(http: httpx.Client, container: Container) -> None:
    answer = post_generic(http, event(bot_only=True))

    assert (answer.json()["outcome"], answer.json()["reason"]) == (
        "skipped",
        "ineligible_bot_only",
    )


def test_a_forged_signature_is_refused_and_nothing_is_stored(
    http: httpx.Client, container: Container
) -> None:
    """Signed with another secret: 403, no invitation, no event."""
    answer = post_generic(http, event(), secret="not-the-secret-at-all-123456")

    assert answer.status_code == 403
    assert invitations(container) == []
    assert connector_events(container) == []


def test_an_old_signed_request_is_refused(http: httpx.Client, container: Container) -> None:
    """A timestamp older than five minutes is a replay: 403."""
    body = b'{"event_id": "e1", "channel": "sms", "address": "+31612345678"}'
    headers = {"X-Surveybot-Timestamp": "1700000000", "X-Surveybot-Signature": "sha256=00"}
    answer = http.post("/webhooks/connectors/generic", content=body, headers=headers)

    assert answer.status_code == 403
    assert invitations(container) == []


def test_the_same_event_twice_makes_one_invitation(
    http: httpx.Client, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """A retried event gets the first answer again, marked as a duplicate; one SMS."""
    first = post_generic(http, event()).json()
    second = post_generic(http, event()).json()

    assert second["invitation_id"] == first["invitation_id"]
    assert (first["duplicate"], second["duplicate"]) == (False, True)
    assert len(invitations(container)) == 1
    assert len(fake_twilio.fake.of_kind("Messages")) == 1


def test_an_event_without_an_address_is_kept_with_its_reason(
    http: httpx.Client, container: Container
) -> None:
    """Unmappable: 2xx (so the CRM does not retry for ever) with the reason, which is stored."""
    answer = post_generic(http, event(address=None))

    assert answer.status_code == 200
    assert answer.json()["outcome"] == "unmapped"
    assert "no customer address" in answer.json()["reason"]
    assert invitations(container) == []
    [stored] = connector_events(container)
    assert (stored.outcome, stored.reason) == ("unmapped", answer.json()["reason"])


def test_an_address_that_does_not_fit_the_channel_says_so(
    http: httpx.Client, container: Container
) -> None:
    """The invitation API's own check gives the reason."""
    answer = post_generic(http, event(address="0612"))

    assert answer.json()["outcome"] == "unmapped"
    assert "address" in answer.json()["reason"]
    assert invitations(container) == []


def test_an_opted_out_customer_is_skipped_with_the_reason(
    http: httpx.Client, container: Container, fake_twilio: FakeTwilioServer
) -> None:
    """Eligibility rules apply as on the API: stored as opted_out, nothing sent."""
    with container.service.store.invitations() as tx:
        tx.opt_out(tx.pseudonymise("sms", CUSTOMER), "sms", container.service.clock())

    answer = post_generic(http, event())

    assert answer.json()["outcome"] == "skipped"
    assert answer.json()["reason"] == "contact opted out"
    [invitation] = invitations(container)
    assert invitation.status == "opted_out"
    assert fake_twilio.fake.of_kind("Messages") == []


def test_a_channel_this_server_cannot_send_on_is_unmapped(
    http: httpx.Client, container: Container
) -> None:
    """Telegram is not configured here: the API's 422 wording becomes the reason."""
    answer = post_generic(http, event(channel="telegram", address="123456789"))

    assert answer.json()["outcome"] == "unmapped"
    assert "not configured on this server" in answer.json()["reason"]


def test_the_mapping_file_moves_a_field(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilioServer
) -> None:
    """A [generic.fields] entry reads the address from where this CRM puts it."""
    mapping = tmp_path / "connectors.toml"
    mapping.write_text('[generic.fields]\naddress = ["customer.mobile"]\n', encoding="utf-8")
    settings = connector_settings(database_url, fake_twilio.url, connectors_file=mapping)
    container = build(settings)
    with LiveServer(container) as server, httpx.Client(base_url=server.url) as client:
        answer = post_generic(client, event(address=None, customer={"mobile": "+31 6-1234 5678"}))
    assert answer.json()["outcome"] == "invited", answer.json()
    [sms] = fake_twilio.fake.of_kind("Messages")
    assert sms.one("To") == CUSTOMER


def test_a_broken_mapping_file_stops_the_start_with_one_clear_line(
    tmp_path: Path, settings: Settings
) -> None:
    """An unknown field name is named, with the known ones."""
    from bots.app import create_app  # noqa: PLC0415
    from flows.contact_mapping import MappingFileError  # noqa: PLC0415

    mapping = tmp_path / "connectors.toml"
    mapping.write_text('[zendesk.fields]\nadress = "requester_phone"\n', encoding="utf-8")
    container = build(settings.model_copy(update={"connectors_file": mapping}))
    try:
        with pytest.raises(MappingFileError, match=r"unknown field 'adress'; known fields: chan"):
            create_app(container=container)
    finally:
        container.close()
