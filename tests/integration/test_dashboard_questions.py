"""The dashboard: one question per card, effort answers drawn as given, versions split."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from bots.container import Container
from tests.conftest import VIEWER_TOKEN, LiveServer
from tests.integration.answer_rows import Row, contact, insert


@pytest.fixture
def client(live_server: LiveServer, container: Container) -> Iterator[httpx.Client]:
    contact(container.db.engine)
    insert(
        container.db.engine, [Row(7, flow="ces", flow_version="aaaaaaaaaaaa") for _ in range(10)]
    )
    insert(container.db.engine, [Row(6, flow="ces-effort") for _ in range(10)])  # flipped: 2
    with httpx.Client(base_url=live_server.url) as signed_in:
        signed_in.post("/admin/login", data={"token": VIEWER_TOKEN, "next": "/admin"})
        yield signed_in


def _card(html: str) -> str:
    found = re.search(r'data-testid="score-ces">([^<]+)<', html)
    assert found is not None
    return found.group(1)


def test_the_ces_card_counts_one_question_unless_pooled(client: httpx.Client) -> None:
    """CES 7.00 from the 'easy' flow, the effort flow named apart; pooled: 4.50, said so."""
    alone = client.get("/admin?lang=en&metric=ces").text
    assert _card(alone) == "7.00"
    assert "reported on their own (another question): ces-effort" in alone
    pooled = client.get("/admin?lang=en&metric=ces&pool=true").text
    assert _card(pooled) == "4.50"
    assert "Pooled on purpose: ces, ces-effort" in pooled


def test_the_effort_distribution_is_labelled_with_the_answers_as_given(
    client: httpx.Client,
) -> None:
    """ces-effort answers of 6 show as a bar labelled 6 (not its flipped 2)."""
    page = client.get("/admin?lang=en&flow=ces-effort").text
    assert 'data-testid="dist-as-given"' in page
    assert "<title>6: 10</title>" in page
    assert "<title>2: 10</title>" not in page


def test_the_breakdown_splits_question_versions(client: httpx.Client) -> None:
    """by=flow_version lists the stored version beside its n."""
    page = client.get("/admin?lang=en&metric=ces&by=flow_version").text
    assert 'data-key="aaaaaaaaaaaa"' in page
