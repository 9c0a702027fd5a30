"""The why-lookup and the offer audit in real headless Chromium, in Dutch and English."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bots.settings import Settings
from flows.ports import Sender
from tests.conftest import LiveServer, admin_headers, make_settings
from tests.e2e.admin.test_dashboard_browser import ARTIFACTS, _sign_in, page  # noqa: F401
from tests.fakes import RecordingSender


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, min_group_n=10)


@pytest.fixture
def senders() -> dict[str, Sender]:
    return {"sms": RecordingSender()}


def _invite(base: str, n: int, **body: object) -> None:
    full = {
        "channel": "sms",
        "address": f"+316125{n:05d}",
        "flow": "nps",
        "interaction_id": f"crm-{n}",
        **body,
    }
    reply = httpx.post(f"{base}/api/v1/invitations", json=full, headers=admin_headers())
    assert reply.status_code == 201, reply.text


def _shot(tab: Any, name: str, database_url: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    backend = "postgres" if database_url.startswith("postgres") else "sqlite"
    for width in (1400, 390):
        tab.set_viewport_size({"width": width, "height": 900})
        shot = ARTIFACTS / f"admin-{name}-{width}-{backend}.png"
        tab.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000


def test_why_page_lists_each_rule_and_offers_page_flags_the_cherry_picker(
    page: Any,  # noqa: F811
    live_server: LiveServer,
    database_url: str,
) -> None:
    """A bot-only contact shows the eligibility rule; bram, who skips half, is flagged."""
    base = live_server.url
    _invite(base, 1, agent="anna", team="billing", bot_only=True)
    n = 2
    for agent, skips in (("anna", 1), ("bram", 12), ("cees", 1)):
        for i in range(24):
            _invite(base, n, agent=agent, team="billing", no_survey=i < skips)
            n += 1

    _sign_in(page, base, "/admin?lang=en")
    page.goto(f"{base}/admin/why?interaction=crm-1&lang=en")
    step = page.locator("[data-testid=why-steps] tr[data-rule=eligibility]")
    assert step.get_attribute("data-outcome") == "excluded"
    assert "ineligible_bot_only" in step.inner_text()
    assert "Not surveyed" in page.inner_text("[data-testid=why-invitation]")
    _shot(page, "why-en", database_url)
    page.goto(f"{base}/admin/why?interaction=crm-2&lang=nl")
    assert "geschiktheid" in page.inner_text("[data-testid=why-steps]")
    assert "doorgelaten" in page.inner_text("[data-testid=why-steps]")
    _shot(page, "why-nl", database_url)
    page.goto(f"{base}/admin/why?interaction=nope&lang=en")
    assert page.inner_text("[data-testid=why-none]") == "No invitation carries this interaction id."

    page.goto(f"{base}/admin/offers?lang=en")
    flags = {
        row.get_attribute("data-agent"): row.locator("[data-testid=flag]").inner_text().strip()
        for row in page.locator("[data-testid=offers] tr[data-agent]").all()
    }
    assert flags["bram"] == "⚑ skips far more than the team"
    assert flags["anna"] == flags["cees"] == ""
    _shot(page, "offers-en", database_url)
    page.goto(f"{base}/admin/offers?lang=nl")
    assert "slaat veel vaker over" in page.inner_text("[data-testid=offers]")
    _shot(page, "offers-nl", database_url)
