"""`GET /api/v1/interactions/{id}` and `surveybot why`: every rule that applied, with its time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bots.container import Container, build
from flows.ports import SendError
from flows.service import Inbound
from scoring.channels import Channel
from tests.conftest import LiveServer, admin_headers, make_settings, viewer_headers
from tests.e2e.test_cli import run
from tests.e2e.test_cli_invite import SMS_ON
from tests.fakes import RecordingSender

PHONE = "+31612345678"
# Wednesday 25 November 2026, 10:00 in Amsterdam.
MORNING = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
# The same day, 23:00 in Amsterdam: outside the 09:00-21:00 window.
NIGHT = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Server:
    """The real app over HTTP on a fixed clock, with a recording (or failing) SMS sender."""

    def __init__(self, database_url: str, now: datetime, **settings: Any) -> None:
        self.clock = Clock(now)
        self.sender = RecordingSender(settings.pop("fail_with", None))
        self.container: Container = build(
            make_settings(database_url, **settings),
            senders={"sms": self.sender},
            clock=self.clock,
        )
        self.live = LiveServer(self.container)

    def invite(self, interaction: str, **body: object) -> dict[str, Any]:
        full = {"channel": "sms", "address": PHONE, "flow": "nps", "interaction_id": interaction}
        response = httpx.post(
            f"{self.live.url}/api/v1/invitations",
            json=full | body,
            headers=admin_headers(),
            timeout=10,
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def why(self, interaction: str) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{self.live.url}/api/v1/interactions/{interaction}",
            headers=viewer_headers(),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        [invitation] = response.json()["invitations"]
        steps: list[dict[str, Any]] = invitation["steps"]
        return steps

    def answer(self, text: str) -> None:
        self.container.service.receive(Inbound(Channel.SMS, PHONE, text))


@pytest.fixture
def server_factory(database_url: str) -> Iterator[Any]:
    made: list[Server] = []

    def make(now: datetime = MORNING, **settings: Any) -> Server:
        server = Server(database_url, now, **settings)
        server.live.__enter__()
        made.append(server)
        return server

    yield make
    for server in made:
        server.live.__exit__()
        server.container.close()


def rules(steps: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(s["rule"], s["outcome"]) for s in steps]


def test_an_answered_survey_shows_every_rule_it_passed_then_the_send_and_the_answer(
    server_factory: Any,
) -> None:
    """Eligibility, opt-out, the fatigue rules passed at arrival; sent; answered, with times."""
    server = server_factory()
    server.invite("crm-1")
    server.clock.now = MORNING + timedelta(minutes=3)
    server.answer("9")
    steps = server.why("crm-1")
    assert rules(steps) == [
        ("eligibility", "passed"),
        ("opt_out", "passed"),
        ("one_open_survey", "passed"),
        ("cooldown", "passed"),
        ("sampling", "passed"),
        ("send", "sent"),
        ("answer", "answered"),
    ]
    assert steps[0]["at"] == MORNING.isoformat()
    assert steps[-1] == {
        "rule": "answer",
        "outcome": "answered",
        "at": (MORNING + timedelta(minutes=3)).isoformat(),
        "detail": "score 9",
    }


def test_cooldown_names_itself_as_the_rule_that_skipped_the_second_survey(
    server_factory: Any,
) -> None:
    server = server_factory(cooldown_days=30)
    server.invite("crm-1")
    server.answer("9")
    server.clock.now = MORNING + timedelta(days=2)
    assert server.invite("crm-2")["status"] == "throttled"
    steps = server.why("crm-2")
    assert rules(steps)[-1] == ("cooldown", "skipped")
    assert steps[-1]["detail"] == "surveyed within the last 30 days"
    assert steps[-1]["at"] == (MORNING + timedelta(days=2)).isoformat()


def test_one_open_survey_names_itself_when_a_second_contact_comes_in(
    server_factory: Any,
) -> None:
    server = server_factory(one_open_survey=True)
    server.invite("crm-1")
    assert server.invite("crm-2")["status"] == "throttled"
    assert rules(server.why("crm-2"))[-1] == ("one_open_survey", "skipped")


def test_sampling_names_itself_when_the_draw_leaves_an_invitation_out(
    server_factory: Any,
) -> None:
    """At a 1 % sample nearly every draw is out; the lookup says it was the sample."""
    server = server_factory(sample_percent=1)
    statuses = {
        f"s-{n}": server.invite(f"s-{n}", address=f"+3161230{n:04d}")["status"] for n in range(10)
    }
    out = next(i for i, status in statuses.items() if status == "throttled")
    steps = server.why(out)
    assert rules(steps)[-1] == ("sampling", "skipped")
    assert steps[-1]["detail"] == "not in the 1% sample"


def test_an_opted_out_customer_shows_the_opt_out(server_factory: Any) -> None:
    server = server_factory()
    server.answer("STOP")
    assert server.invite("crm-1")["status"] == "opted_out"
    assert rules(server.why("crm-1")) == [("eligibility", "passed"), ("opt_out", "skipped")]


def test_quiet_hours_show_when_the_question_will_go(server_factory: Any) -> None:
    """At 23:00 local the send waits for 09:00: the lookup says so, with that time."""
    server = server_factory(NIGHT, send_window="09:00-21:00")
    assert server.invite("crm-1")["status"] == "pending"
    steps = server.why("crm-1")
    [quiet] = [s for s in steps if s["rule"] == "quiet_hours"]
    assert quiet["outcome"] == "waiting"
    assert quiet["detail"] == "until 2026-11-26T08:00:00+00:00"
    assert quiet["at"] == NIGHT.isoformat()


def test_a_send_failure_shows_the_providers_reason_and_code(server_factory: Any) -> None:
    server = server_factory(
        fail_with=SendError("the number is not a mobile", code="21614", permanent=True)
    )
    assert server.invite("crm-1")["status"] == "failed"
    steps = server.why("crm-1")
    assert rules(steps)[-1] == ("send", "failed")
    assert steps[-1]["detail"] == "the number is not a mobile; code 21614"


def test_the_agents_no_survey_shows_with_the_agents_reason(server_factory: Any) -> None:
    server = server_factory()
    server.invite("crm-1", agent="bram", no_survey=True, no_survey_reason="klacht loopt nog")
    steps = server.why("crm-1")
    assert rules(steps) == [("eligibility", "passed"), ("no_survey", "skipped")]
    assert steps[-1]["detail"] == "klacht loopt nog"


def test_an_unknown_interaction_is_404_and_the_lookup_needs_a_token(server_factory: Any) -> None:
    server = server_factory()
    url = f"{server.live.url}/api/v1/interactions/nope"
    assert httpx.get(url, headers=viewer_headers()).status_code == 404
    assert httpx.get(url).status_code == 401


def test_surveybot_why_prints_each_rule_in_dutch_and_english(tmp_path: Path) -> None:
    """A CSV import with a bot-only row: `surveybot why` names the rule; unknown ids exit 1."""
    (tmp_path / "contacts.csv").write_text(
        "address,agents,teams,interaction_id,bot_only\n"
        "+31612345001,anna;bram,billing;tech,crm-1,false\n"
        "+31612345002,,,crm-2,true\n",
        encoding="utf-8",
    )
    env = {**SMS_ON, "SURVEYBOT_SEND_WINDOW": "off"}
    imported = run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path, **env)
    assert imported.returncode == 0, imported.stderr
    assert "1 ineligible, 1 pending" in imported.stdout
    dutch = run(["why", "crm-2"], tmp_path, **env)
    assert dutch.returncode == 0, dutch.stderr
    assert "ineligible (ineligible_bot_only)" in dutch.stdout
    assert "geschiktheid" in dutch.stdout
    assert "uitgesloten  ineligible_bot_only" in dutch.stdout
    english = run(["why", "crm-1", "--lang", "en"], tmp_path, **env)
    assert "cooldown" in english.stdout
    assert "passed" in english.stdout
    missing = run(["why", "crm-9"], tmp_path, **env)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: no invitation for interaction 'crm-9'"
    assert "Traceback" not in missing.stderr
