"""The offer audit over real HTTP: counts per agent and team, and the cherry-picking flag.

The flag is checked against an independent computation: the one-sided p-value of the agent's
offer rate against the rest of the team, from the normal distribution, below 0.05.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from statistics import NormalDist

import httpx
import pytest

from bots.settings import Settings
from flows.ports import Sender
from tests.conftest import LiveServer, admin_headers, make_settings, viewer_headers
from tests.fakes import RecordingSender

# The share of eligible contacts each agent skips by hand: bram cherry-picks.
SKIP_RATE = {"anna": 0.05, "bram": 0.5, "cees": 0.1, "dirk": 0.05}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, min_group_n=10)


@pytest.fixture
def senders() -> dict[str, Sender]:
    return {"sms": RecordingSender(), "voice": RecordingSender()}


def one_sided_p(x1: int, n1: int, x2: int, n2: int) -> float:
    p = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return NormalDist().cdf(z)


def test_counts_match_a_hand_count_and_only_the_cherry_picker_is_flagged(
    live_server: LiveServer,
) -> None:
    rng = random.Random(11)
    tally: Counter[tuple[str, str]] = Counter()
    n = 0
    for agent, rate in SKIP_RATE.items():
        for _ in range(40):
            n += 1
            channel = "voice" if n % 4 == 0 else "sms"
            body: dict[str, object] = {
                "channel": channel,
                "address": f"+316123{n:05d}",
                "flow": "nps",
                "agent": agent,
                "team": "billing",
                "interaction_id": f"c-{n}",
            }
            if rng.random() < 0.1:
                body["bot_only"] = True  # ineligible: counts as a contact, not as eligible
                tally[agent, "ineligible"] += 1
            elif rng.random() < rate:
                body["no_survey"] = True
                tally[agent, "skipped"] += 1
                tally[agent, f"{channel} eligible"] += 1
            else:
                tally[agent, "sent"] += 1
                tally[agent, f"{channel} eligible"] += 1
                tally[agent, f"{channel} sent"] += 1
            response = httpx.post(
                f"{live_server.url}/api/v1/invitations",
                json=body,
                headers=admin_headers(),
                timeout=10,
            )
            assert response.status_code == 201, response.text
    audit = httpx.get(
        f"{live_server.url}/api/v1/offers", headers=viewer_headers(), timeout=10
    ).json()
    rows = {a["agent"]: a for a in audit["agents"]}
    [team] = audit["teams"]
    assert team["contacts"] == 160
    for agent in SKIP_RATE:
        eligible = 40 - tally[agent, "ineligible"]
        row = rows[agent]
        assert (row["contacts"], row["eligible"]) == (40, eligible)
        assert row["skipped_by_hand"] == tally[agent, "skipped"]
        assert row["sent"] == tally[agent, "sent"]
        assert row["skipped_pct"] == pytest.approx(100 * tally[agent, "skipped"] / eligible, 0.01)
        assert row["voice_eligible"] == tally[agent, "voice eligible"]
        assert row["voice_transferred"] == tally[agent, "voice sent"]
        offered = eligible - tally[agent, "skipped"]
        rest_eligible = team["eligible"] - eligible
        rest_offered = rest_eligible - (team["skipped_by_hand"] - tally[agent, "skipped"])
        p = one_sided_p(offered, eligible, rest_offered, rest_eligible)
        assert (row["flag"] == "skips") == (p < 0.05), (agent, p, row)
    assert rows["bram"]["flag"] == "skips"
    assert [a for a, r in rows.items() if r["flag"]] == ["bram"]


def test_a_small_agent_is_never_flagged_on_a_handful_of_contacts(live_server: LiveServer) -> None:
    """Below SURVEYBOT_MIN_GROUP_N eligible contacts there is no evidence either way."""
    for n in range(30):
        agent = "eva" if n < 4 else "anna"
        body = {
            "channel": "sms",
            "address": f"+316124{n:05d}",
            "flow": "nps",
            "agent": agent,
            "team": "sales",
            "no_survey": agent == "eva",
            "interaction_id": f"s-{n}",
        }
        httpx.post(
            f"{live_server.url}/api/v1/invitations", json=body, headers=admin_headers(), timeout=10
        )
    audit = httpx.get(f"{live_server.url}/api/v1/offers", headers=viewer_headers()).json()
    [eva] = [a for a in audit["agents"] if a["agent"] == "eva"]
    assert (eva["skipped_pct"], eva["flag"]) == (100.0, None)
