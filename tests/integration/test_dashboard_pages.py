"""Dashboard pages over real HTTP: repeated filters, Dutch numbers and dates, local times."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from bots.cli.admin import seed_demo
from bots.console import run_console_survey
from bots.container import Container
from scoring.reports import responses as report_rows
from scoring.reports.filters import Filters, Rehearsals
from tests.conftest import VIEWER_TOKEN, LiveServer

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(live_server: LiveServer, container: Container) -> Iterator[httpx.Client]:
    seed_demo(container.db.engine, responses=400, days=60, seed=3, now=NOW)
    with httpx.Client(base_url=live_server.url) as signed_in:
        signed_in.post("/admin/login", data={"token": VIEWER_TOKEN, "next": "/admin"})
        yield signed_in


def _checked(html: str, name: str) -> set[str]:
    return set(re.findall(rf'name="{name}" value="([^"]+)" checked', html))


def test_a_repeated_filter_keeps_and_shows_every_value(
    client: httpx.Client, container: Container
) -> None:
    """channel=sms&channel=whatsapp counts both channels and shows both as chosen."""
    page = client.get("/admin/responses?channel=sms&channel=whatsapp&lang=en").text
    with container.db.engine.connect() as conn:
        total, _ = report_rows.responses(conn, Filters(channels=("sms", "whatsapp")))
    assert f'data-testid="total">{total}<' in page
    assert _checked(page, "channel") == {"sms", "whatsapp"}
    assert 'data-testid="chosen-channel">sms, whatsapp<' in page
    overview = client.get("/admin?agent=Bram&agent=Eva&team=Team%20Zuid&lang=en").text
    assert _checked(overview, "agent") == {"Bram", "Eva"}
    assert _checked(overview, "team") == {"Team Zuid"}
    api = client.get(
        "/api/v1/responses?channel=sms&channel=whatsapp",
        headers={"Authorization": f"Bearer {VIEWER_TOKEN}"},
    ).json()
    assert api["total"] == total


def test_dutch_pages_write_decimal_commas_and_day_month_dates(client: httpx.Client) -> None:
    """nl: CES '5,83', axis '16 nov', table '20-11-2026 13:05'; en keeps '5.83' and 'Nov 16'."""
    dutch = client.get("/admin?lang=nl&metric=ces&bucket=week&from=2026-10-01&to=2026-11-20").text
    english = client.get("/admin?lang=en&metric=ces&bucket=week&from=2026-10-01&to=2026-11-20")
    ces_nl = re.search(r'data-testid="score-ces">([^<]+)<', dutch)
    ces_en = re.search(r'data-testid="score-ces">([^<]+)<', english.text)
    assert ces_nl
    assert ces_en
    assert re.fullmatch(r"\d,\d\d", ces_nl.group(1))
    assert ces_en.group(1) == ces_nl.group(1).replace(",", ".")
    assert re.search(r'class="tick">\d{1,2} (okt|nov)</text>', dutch)
    assert re.search(r'class="tick">(Oct|Nov) \d{1,2}</text>', english.text)
    rows = client.get("/admin/responses?lang=nl").text
    assert re.search(r">\d\d-\d\d-2026 \d\d:\d\d<", rows)
    assert "Europe/Amsterdam (UTC+01:00)" in rows or "Europe/Amsterdam (UTC+02:00)" in rows


def test_dashboard_times_are_in_the_report_time_zone(client: httpx.Client) -> None:
    """A response answered 12:00 UTC in November is shown as 13:00 on its page."""
    page = client.get("/admin/responses?lang=en").text
    first = re.search(r'href="/admin/responses/(\d+)">([^<]+)<', page)
    assert first is not None
    detail = client.get(f"/admin/responses/{first.group(1)}?lang=en").text
    with_utc = client.get(
        "/api/v1/responses?page_size=1", headers={"Authorization": f"Bearer {VIEWER_TOKEN}"}
    ).json()["items"][0]
    answered = datetime.fromisoformat(with_utc["answered_at"])
    local = answered.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert first.group(2) == local.strftime("%Y-%m-%d %H:%M")
    assert local.strftime("%Y-%m-%d %H:%M") in detail


def test_a_high_effort_answer_is_shown_red_not_green(
    client: httpx.Client, container: Container
) -> None:
    """ces-effort runs the other way: 7 ('very much effort') is the worst answer, so red."""
    out = io.StringIO()
    run_console_survey(
        container.service, "ces-effort", locale="en", who="t", inp=io.StringIO("7\nx\n"), out=out
    )
    with container.db.engine.connect() as conn:
        [row] = report_rows.responses(conn, Filters(test=Rehearsals.ONLY))[1]
    page = client.get(f"/admin/responses/{row.id}?lang=en").text
    assert '<span class="dot low"></span><strong data-testid="value">7</strong>' in page
