"""Eligibility and the agent's no-survey over real HTTP: every skip stored with its reason."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from bots.container import Container, build
from bots.settings import Settings
from flows.ports import Sender
from flows.service import Inbound
from scoring.channels import Channel
from tests.conftest import LiveServer, admin_headers, make_settings, viewer_headers
from tests.e2e.test_operations import samples, value
from tests.fakes import RecordingSender

PHONE = "+31612345678"
AGENT_PHONE = "+31687654321"
RULES = {
    "exclude_queues": "Intern, test",
    "exclude_dispositions": "spam",
    "min_handle_seconds": 30,
    "skip_outbound": True,
    "agent_numbers": AGENT_PHONE,
}


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def senders(sender: RecordingSender) -> dict[str, Sender]:
    return {"sms": sender}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, min_group_n=0, **RULES)


def post(server: LiveServer, **body: object) -> dict[str, object]:
    full = {"channel": "sms", "address": PHONE, "flow": "nps", **body}
    response = httpx.post(
        f"{server.url}/api/v1/invitations", json=full, headers=admin_headers(), timeout=10
    )
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"queue": "intern"}, "ineligible_queue"),
        ({"disposition": "SPAM"}, "ineligible_disposition"),
        ({"bot_only": True}, "ineligible_bot_only"),
        ({"auto_closed": True}, "ineligible_auto_closed"),
        ({"handle_time_seconds": 12}, "ineligible_short_contact"),
        ({"direction": "outbound"}, "ineligible_outbound"),
        ({"address": AGENT_PHONE}, "ineligible_agent_number"),
    ],
)
def test_each_eligibility_rule_skips_with_its_reason_and_sends_nothing(
    sender: RecordingSender, live_server: LiveServer, body: dict[str, object], reason: str
) -> None:
    """The invitation is stored as ineligible with the rule's code; the customer gets nothing."""
    created = post(live_server, interaction_id=f"crm-{reason}", **body)
    assert (created["status"], created["status_reason"]) == ("ineligible", reason)
    assert sender.sent == []
    why = httpx.get(
        f"{live_server.url}/api/v1/interactions/crm-{reason}", headers=viewer_headers()
    ).json()
    [steps] = [i["steps"] for i in why["invitations"]]
    assert steps[-1] == {
        "rule": "eligibility",
        "outcome": "excluded",
        "at": steps[-1]["at"],
        "detail": reason,
    }


def test_a_contact_that_passes_every_rule_is_surveyed(
    sender: RecordingSender, live_server: LiveServer
) -> None:
    """Another queue, a long enough inbound contact with a person: the question goes out."""
    created = post(
        live_server, queue="billing", handle_time_seconds=31, direction="inbound", agent="anna"
    )
    assert created["status"] == "open"
    assert len(sender.sent) == 1


def test_a_flow_file_can_set_its_own_eligibility(database_url: str, tmp_path: Path) -> None:
    """[eligibility] in nps.toml excludes a queue for NPS only; CSAT still asks it."""
    bundled = Path(__file__).parents[2] / "flows" / "bundled" / "nps.toml"
    (tmp_path / "nps.toml").write_text(
        bundled.read_text(encoding="utf-8")
        + '\n[eligibility]\nexclude_queues = ["retention"]\nskip_bot_only = false\n',
        encoding="utf-8",
    )
    sender = RecordingSender()
    container = build(make_settings(database_url, flows_dir=tmp_path), senders={"sms": sender})
    try:
        with LiveServer(container) as server:
            nps = post(server, queue="retention", interaction_id="a")
            csat = post(server, queue="retention", flow="csat", interaction_id="b")
            bot = post(server, bot_only=True, interaction_id="c", address="+31612345679")
    finally:
        container.close()
    assert (nps["status"], nps["status_reason"]) == ("ineligible", "ineligible_queue")
    assert csat["status"] == "open"
    # The flow turned the global bot-only rule off.
    assert bot["status"] == "open"


def test_no_survey_from_the_desktop_is_honoured_logged_and_counted_per_agent(
    sender: RecordingSender, live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Skipped with no_survey_by_agent; the log names the agent, never the number or reason."""
    with caplog.at_level(logging.INFO):
        skipped = post(
            live_server,
            agent="bram",
            team="billing",
            no_survey=True,
            no_survey_reason="klant belt terug op +31611112222",
            interaction_id="crm-1",
        )
    assert (skipped["status"], skipped["status_reason"]) == ("skipped", "no_survey_by_agent")
    assert skipped["no_survey_reason"] == "klant belt terug op +31611112222"
    assert sender.sent == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "no survey by agent bram" in logged
    assert PHONE not in logged
    assert "+31611112222" not in logged
    post(live_server, agent="bram", team="billing", interaction_id="crm-2", address="+31612000002")
    audit = httpx.get(f"{live_server.url}/api/v1/offers", headers=viewer_headers()).json()
    [bram] = [a for a in audit["agents"] if a["agent"] == "bram"]
    assert (bram["eligible"], bram["skipped_by_hand"], bram["sent"]) == (2, 1, 1)
    assert bram["skipped_pct"] == 50.0


def test_metrics_count_responses_that_name_no_agent(
    container: Container, live_server: LiveServer
) -> None:
    """A broken integration (no agent) shows on /metrics; answers with an agent do not count."""
    post(live_server, interaction_id="x1")
    container.service.receive(Inbound(Channel.SMS, PHONE, "9"))
    post(live_server, interaction_id="x2", address="+31612000003", agents=["anna"])
    container.service.receive(Inbound(Channel.SMS, "+31612000003", "7"))
    found = samples(live_server.url)
    assert value(found, "surveybot_responses_without_agent_total", flow="nps", channel="sms") == 1
    assert value(found, "surveybot_responses_total", flow="nps", channel="sms") == 2
