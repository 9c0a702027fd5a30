"""Strict small groups: a viewer cannot list or export the responses of fewer than min n."""

from __future__ import annotations

import httpx
import pytest

from bots.container import Container
from bots.settings import Settings
from tests.conftest import LiveServer, admin_headers, make_settings, viewer_headers
from tests.integration.answer_rows import Row, contact, insert


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, small_groups_strict=True)


@pytest.fixture
def answers(container: Container) -> Container:
    """Anna has 12 answers, Bram 3: Bram's score is hidden, and so are his responses."""
    contact(container.db.engine)
    insert(container.db.engine, [Row(9, agent="Anna") for _ in range(12)])
    insert(container.db.engine, [Row(2, agent="Bram") for _ in range(3)])
    return container


def test_a_viewer_gets_no_drill_down_or_export_of_a_hidden_agent(
    live_server: LiveServer, answers: Container
) -> None:
    """Bram (n=3): 403 for the viewer on the list and the export; Anna (n=12) is readable."""
    base = live_server.url
    for path in ("/api/v1/responses", "/api/v1/export.csv"):
        small = httpx.get(base + path, params={"agent": "Bram"}, headers=viewer_headers())
        assert small.status_code == 403
        assert "fewer than 10 answers" in small.json()["detail"]
        large = httpx.get(base + path, params={"agent": "Anna"}, headers=viewer_headers())
        assert large.status_code == 200
    listed = httpx.get(
        base + "/api/v1/responses", params={"agent": "Anna"}, headers=viewer_headers()
    )
    assert listed.json()["total"] == 12


def test_an_admin_still_reads_a_hidden_agents_responses(
    live_server: LiveServer, answers: Container
) -> None:
    """The setting limits viewers only: the admin lists and exports Bram's three answers."""
    reply = httpx.get(
        live_server.url + "/api/v1/responses", params={"agent": "Bram"}, headers=admin_headers()
    )
    assert (reply.status_code, reply.json()["total"]) == (200, 3)


def test_the_metrics_still_show_the_hidden_agents_n_only(
    live_server: LiveServer, answers: Container
) -> None:
    """The breakdown keeps n for Bram, no score and no interval."""
    reply = httpx.get(
        live_server.url + "/api/v1/metrics",
        params={"flow": "nps", "group_by": "agent"},
        headers=viewer_headers(),
    ).json()
    bram = next(g for g in reply["groups"] if g["key"] == "Bram")
    assert (bram["n"], bram["hidden"], bram["score"], bram["interval"]) == (3, True, None, None)
