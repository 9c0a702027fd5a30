"""The dashboard in real headless Chromium: sign in, read the figures, drill down, act."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bots.cli.admin import seed_demo
from bots.container import Container
from scoring.cases import AlertCase
from tests.conftest import ADMIN_TOKEN, LiveServer, viewer_headers

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def page(live_server: LiveServer) -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is required in CI (apt-get install -y chromium)")
        pytest.skip("chromium is not installed")
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1440, "height": 900})
        tab.set_default_timeout(15_000)
        # Chromium reports each thing our Content-Security-Policy blocked on the console.
        blocked: list[str] = []
        tab.on(
            "console",
            lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
        )
        yield tab
        browser.close()
    assert blocked == []


def _sign_in(page: Any, base: str, next_path: str) -> None:
    page.goto(f"{base}{next_path}")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=card-nps]")


def _api(base: str, **params: str) -> dict[str, Any]:
    reply = httpx.get(f"{base}/api/v1/metrics", params=params, headers=viewer_headers())
    assert reply.status_code == 200
    data: dict[str, Any] = reply.json()
    return data


def _fig(value: float | None, digits: int = 1) -> str:
    return "\u2013" if value is None else f"{value:.{digits}f}"


def test_dashboard_figures_equal_the_api_and_drill_down_works(
    page: Any, live_server: LiveServer, container: Container, database_url: str
) -> None:
    """Cards and the agent table show the API's numbers; a row opens its own responses."""
    seed_demo(container.db.engine, responses=1500, days=90, seed=11, now=NOW)
    base = live_server.url
    period = {"from": "2026-09-01", "to": "2026-11-20"}
    query = "from=2026-09-01&to=2026-11-20"
    _sign_in(page, base, f"/admin?{query}&lang=en&metric=nps&by=agent&bucket=week")

    for metric, digits in (("nps", 1), ("csat", 1), ("ces", 2)):
        overall = _api(base, metric=metric, **period)["overall"]
        assert page.inner_text(f"[data-testid=n-{metric}]") == str(overall["n"])
        assert page.inner_text(f"[data-testid=score-{metric}]") == _fig(overall["score"], digits)
        assert page.inner_text(f"[data-testid=margin-{metric}]") == _fig(overall["margin"], digits)

    by_agent = {g["key"]: g for g in _api(base, metric="nps", group_by="agent", **period)["groups"]}
    rows = page.locator("[data-testid=breakdown] tbody tr")
    assert rows.count() == len(by_agent) == 12
    for i in range(rows.count()):
        row = rows.nth(i)
        group = by_agent[row.get_attribute("data-key")]
        assert row.locator("[data-col=n]").inner_text() == str(group["n"])
        assert row.locator("[data-col=score]").inner_text() == _fig(group["score"])
    assert page.locator("svg.chart").count() >= 3  # trend, distribution, funnel

    ARTIFACTS.mkdir(exist_ok=True)
    backend = "postgres" if database_url.startswith("postgres") else "sqlite"
    shot = ARTIFACTS / f"admin-dashboard-{backend}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000

    worst = rows.nth(0)
    worst_agent, worst_n = (
        worst.get_attribute("data-key"),
        worst.locator("[data-col=n]").inner_text(),
    )
    worst.locator("a").click()
    page.wait_for_selector("[data-testid=responses]")
    assert page.inner_text("[data-testid=total]") == worst_n
    agents = set(page.locator("[data-testid=responses] tbody td:nth-child(4)").all_inner_texts())
    assert agents == {worst_agent}


def test_case_status_changes_from_the_dashboard(
    page: Any, live_server: LiveServer, container: Container
) -> None:
    """An admin marks an open case 'contacted' with the form; the database follows."""
    seed_demo(container.db.engine, responses=300, days=10, seed=5, now=datetime.now(UTC))
    base = live_server.url
    _sign_in(page, base, "/admin?lang=nl")
    page.goto(f"{base}/admin/cases?status=open&lang=nl")
    row = page.locator("[data-testid=cases] tbody tr").first
    case_id = int(row.get_attribute("data-case"))
    row.locator("select[name=status]").select_option("contacted")
    row.locator("button[type=submit]").click()
    page.wait_for_url("**/admin/cases?status=open")
    assert page.locator(f"tr[data-case='{case_id}']").count() == 0
    with container.db.session() as session:
        case = session.get(AlertCase, case_id)
        assert case is not None
        assert case.status == "contacted"
