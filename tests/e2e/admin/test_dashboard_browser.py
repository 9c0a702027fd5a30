"""The dashboard in real headless Chromium: sign in, read the figures, drill down, act."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bots.cli.admin import seed_demo
from bots.console import run_console_survey
from bots.container import Container
from flows.service import NewInvitation
from scoring import queue
from scoring.cases import AlertCase
from scoring.channels import Channel
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
        lo, hi = overall["interval"]
        shown = f"[{_fig(lo, digits)}, {_fig(hi, digits)}]"
        assert page.inner_text(f"[data-testid=interval-{metric}]") == shown

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


def _pending_invitations(container: Container) -> None:
    """One waiting for the morning (as the worker leaves it), a Telegram link, a test answer."""
    now = datetime.now(UTC)
    evening = container.service.create_invitation(
        NewInvitation(Channel.SMS, "+31612345678", flow_id="csat", agent="Anna")
    )
    assert evening.id is not None
    job = queue.job_for(container.db.engine, evening.id)
    assert job is not None
    queue.reschedule(
        container.db.engine, job, now + timedelta(hours=11), now, "quiet hours", refund=True
    )
    container.service.create_invitation(NewInvitation(Channel.TELEGRAM, "", flow_id="nps"))
    answers, out = io.StringIO("2\nJust testing the flow\n"), io.StringIO()
    assert (
        run_console_survey(container.service, "nps", locale="en", who="t", inp=answers, out=out)
        == 0
    )


def _a_case_response(container: Container) -> int:
    with container.db.session() as session:
        case = session.exec(sa.select(AlertCase)).scalars().first()  # type: ignore[call-overload]
        assert case is not None
        return int(case.response_id)


@pytest.mark.parametrize("width", [390, 1400])
def test_dashboard_fits_the_screen_in_both_languages_and_saves_screenshots(
    page: Any, live_server: LiveServer, container: Container, width: int
) -> None:
    """No page scrolls sideways at 390 px or 1400 px; screenshots land in test-artifacts/."""
    seed_demo(container.db.engine, responses=800, days=60, seed=13, now=datetime.now(UTC))
    _pending_invitations(container)
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    for lang, browser_locale in (("nl", "nl-NL"), ("en", "en-GB")):
        context = page.context.browser.new_context(
            locale=browser_locale, viewport={"width": width, "height": 900}
        )
        tab = context.new_page()
        tab.goto(f"{base}/admin/login?lang={lang}")
        tab.screenshot(path=str(ARTIFACTS / f"admin-login-{lang}-{width}.png"), full_page=True)
        _sign_in(tab, base, f"/admin?lang={lang}")
        for name, path in (
            ("overview", f"/admin?lang={lang}"),
            ("responses", f"/admin/responses?lang={lang}"),
            ("cases", f"/admin/cases?lang={lang}"),
            ("invitations", f"/admin/invitations?lang={lang}"),
            ("test-answers", f"/admin/responses?lang={lang}&test=only"),
            ("response", f"/admin/responses/{_a_case_response(container)}?lang={lang}"),
        ):
            tab.goto(base + path)
            overflow = tab.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} is {overflow}px too wide at {width}px"
            shot = ARTIFACTS / f"admin-{name}-{lang}-{width}.png"
            tab.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        context.close()


def test_several_channels_can_be_chosen_on_a_phone(
    page: Any, live_server: LiveServer, container: Container
) -> None:
    """At 390 px: open the channel filter, tick two, apply; both stay chosen and count."""
    seed_demo(container.db.engine, responses=300, days=30, seed=2, now=datetime.now(UTC))
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, base, "/admin?lang=en")
    page.goto(f"{base}/admin/responses?lang=en")
    page.click("details[data-filter=channel] summary")
    page.check("input[name=channel][value=sms]")
    page.check("input[name=channel][value=whatsapp]")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**channel=whatsapp**")
    assert page.inner_text("[data-testid=chosen-channel]") == "sms, whatsapp"
    shown = set(page.locator("[data-testid=responses] tbody td:nth-child(6)").all_inner_texts())
    assert shown == {"sms", "whatsapp"}
    page.screenshot(path=str(ARTIFACTS / "admin-filters-en-390.png"), full_page=True)
