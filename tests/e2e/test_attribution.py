"""The agent chain over real HTTP: stored as sent, attributed when read, on SQLite and PostgreSQL.

Every figure is checked against a plain-Python computation on the same generated contacts.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import httpx
import pytest

from bots.container import Container
from bots.settings import Settings
from flows.ports import Sender
from flows.service import Inbound
from scoring.channels import Channel
from tests.conftest import LiveServer, admin_headers, make_settings, viewer_headers
from tests.fakes import RecordingSender

AGENTS = ("anna", "bram", "cees", "dirk")
TEAMS = ("billing", "support", "tech")


@dataclass(frozen=True)
class Contact:
    phone: str
    agents: tuple[str, ...]
    teams: tuple[str, ...]
    transfers: int
    previous: tuple[str, ...]
    nps: int
    ces: int


def generated(count: int, seed: int) -> list[Contact]:
    rng = random.Random(seed)
    contacts = []
    for n in range(count):
        hops = rng.choice((1, 1, 2, 3, 4))
        # Repeats are allowed: a contact can come back to the agent who took it first.
        agents = tuple(rng.choice(AGENTS) for _ in range(hops))
        teams = tuple(rng.choice(TEAMS) for _ in range(hops))
        previous = tuple(rng.choice(("chat", "email", "sms")) for _ in range(rng.randint(0, 3)))
        contacts.append(
            Contact(
                f"+3161200{n:04d}",
                agents,
                teams,
                hops - 1,
                previous,
                rng.randint(0, 10),
                rng.randint(1, 7),
            )
        )
    return contacts


def nps(values: Iterable[int]) -> float:
    values = list(values)
    promoters = sum(v >= 9 for v in values)
    detractors = sum(v <= 6 for v in values)
    return 100.0 * (promoters - detractors) / len(values)


def expected_by(contacts: list[Contact], pick: str, field: str = "agents") -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for contact in contacts:
        chain = getattr(contact, field)
        members = {"last": [chain[-1]], "first": [chain[0]], "all": sorted(set(chain))}[pick]
        for member in members:
            groups[member].append(contact.nps)
    return groups


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Every group shown: the test compares each one's score.
    return make_settings(database_url, min_group_n=0)


@pytest.fixture
def senders() -> dict[str, Sender]:
    return {"sms": RecordingSender()}


def invite(server: LiveServer, contact: Contact, flow: str) -> dict[str, object]:
    body = {
        "channel": "sms",
        "address": contact.phone,
        "flow": flow,
        "interaction_id": f"crm-{contact.phone}",
        "agents": list(contact.agents),
        "teams": list(contact.teams),
        "transfers": contact.transfers,
        "previous_channels": list(contact.previous),
    }
    response = httpx.post(
        f"{server.url}/api/v1/invitations", json=body, headers=admin_headers(), timeout=10
    )
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def survey(container: Container, server: LiveServer, contacts: list[Contact], flow: str) -> None:
    for contact in contacts:
        invite(server, contact, flow)
        answer = contact.nps if flow == "nps" else contact.ces
        container.service.receive(Inbound(Channel.SMS, contact.phone, str(answer)))


def groups(server: LiveServer, query: str) -> dict[str | None, dict[str, object]]:
    response = httpx.get(
        f"{server.url}/api/v1/metrics?{query}", headers=viewer_headers(), timeout=10
    )
    assert response.status_code == 200, response.text
    return {g["key"]: g for g in response.json()["groups"]}


def test_attribution_switch_rereads_the_same_stored_chains(
    container: Container, live_server: LiveServer
) -> None:
    """last, first and all give each agent and team the scores a hand count gives."""
    contacts = generated(40, seed=17)
    survey(container, live_server, contacts, "nps")
    for pick in ("last", "first", "all"):
        for dimension, field in (("agent", "agents"), ("team", "teams")):
            shown = groups(live_server, f"flow=nps&group_by={dimension}&attribution={pick}")
            expected = expected_by(contacts, pick, field)
            assert set(shown) == set(expected), (pick, dimension)
            for key, values in expected.items():
                assert shown[key]["n"] == len(values), (pick, key)
                assert shown[key]["score"] == pytest.approx(nps(values), abs=0.01), (pick, key)
    # The data holds the case "all" must get right: one agent twice in a chain, counted once.
    assert any(len(set(c.agents)) < len(c.agents) for c in contacts)


def test_agent_filter_follows_the_attribution_so_a_row_drills_down_to_its_own_answers(
    container: Container, live_server: LiveServer
) -> None:
    """?agent=anna under first counts the contacts anna took first, as the anna row does."""
    contacts = generated(30, seed=5)
    survey(container, live_server, contacts, "nps")
    for pick in ("last", "first", "all"):
        overall = httpx.get(
            f"{live_server.url}/api/v1/metrics?flow=nps&agent=anna&attribution={pick}",
            headers=viewer_headers(),
            timeout=10,
        ).json()["overall"]
        assert overall["n"] == len(expected_by(contacts, pick)["anna"]), pick


def test_chain_is_stored_as_sent_and_shown_on_the_invitation(
    container: Container, live_server: LiveServer
) -> None:
    """agents and teams come back in order, agent and team are their last, switches counted."""
    contact = Contact(
        "+31612009999", ("anna", "bram", "anna"), ("billing", "tech"), 2, ("chat",), 9, 7
    )
    created = invite(live_server, contact, "nps")
    assert created["agents"] == ["anna", "bram", "anna"]
    assert (created["agent"], created["team"]) == ("anna", "tech")
    assert (created["transfers"], created["channel_switches"]) == (2, 1)
    assert created["previous_channels"] == ["chat"]


def test_a_single_agent_is_a_chain_of_one(container: Container, live_server: LiveServer) -> None:
    """An integration that sends only `agent` gets the same report under every attribution."""
    body = {"channel": "sms", "address": "+31612000001", "flow": "nps", "agent": "eva"}
    created = httpx.post(
        f"{live_server.url}/api/v1/invitations", json=body, headers=admin_headers(), timeout=10
    ).json()
    assert created["agents"] == ["eva"]
    container.service.receive(Inbound(Channel.SMS, "+31612000001", "10"))
    for pick in ("last", "first", "all"):
        assert groups(live_server, f"flow=nps&group_by=agent&attribution={pick}")["eva"]["n"] == 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"agent": "anna", "agents": ["anna", "bram"]}, "is not the last of agents"),
        ({"team": "x", "teams": ["y"]}, "is not the last of teams"),
        ({"channel_switches": 2, "previous_channels": ["chat"]}, "does not match"),
        ({"transfers": -1}, "greater than or equal to 0"),
        ({"direction": "sideways"}, "'inbound' or 'outbound'"),
    ],
)
def test_a_chain_that_contradicts_itself_is_refused_and_nothing_is_stored(
    live_server: LiveServer, body: dict[str, object], words: str
) -> None:
    """422 with words that say what to change; the list of invitations stays empty."""
    full = {"channel": "sms", "address": "+31612000002", "flow": "nps", **body}
    response = httpx.post(
        f"{live_server.url}/api/v1/invitations", json=full, headers=admin_headers(), timeout=10
    )
    assert response.status_code == 422
    assert words in response.text
    listed = httpx.get(
        f"{live_server.url}/api/v1/invitations", headers=viewer_headers(), timeout=10
    ).json()
    assert listed == []


def test_unknown_attribution_is_a_422_naming_the_choices(live_server: LiveServer) -> None:
    response = httpx.get(
        f"{live_server.url}/api/v1/metrics?flow=nps&attribution=middle",
        headers=viewer_headers(),
        timeout=10,
    )
    assert response.status_code == 422
    assert "'last', 'first' or 'all'" in response.text


def test_ces_by_effort_drivers_matches_a_hand_count(
    container: Container, live_server: LiveServer
) -> None:
    """CES mean per number of transfers, channel switches and distinct teams."""
    contacts = generated(40, seed=23)
    survey(container, live_server, contacts, "ces")

    def bucket(count: int) -> str | None:
        return None if count < 0 else ("3+" if count >= 3 else str(count))

    drivers = {
        "transfers": lambda c: bucket(c.transfers),
        "channel_switches": lambda c: bucket(len(c.previous)),
        "teams_involved": lambda c: bucket(len(set(c.teams))),
    }
    for dimension, key_of in drivers.items():
        expected: dict[str | None, list[int]] = defaultdict(list)
        for contact in contacts:
            expected[key_of(contact)].append(contact.ces)
        shown = groups(live_server, f"flow=ces&group_by={dimension}")
        assert set(shown) == set(expected), dimension
        for key, values in expected.items():
            assert shown[key]["n"] == len(values), (dimension, key)
            assert shown[key]["mean"] == pytest.approx(statistics.fmean(values), abs=0.001)
