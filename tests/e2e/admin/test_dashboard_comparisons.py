"""The dashboard's flags, league table and intervals in headless Chromium, equal to the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from bots.container import Container
from tests.conftest import LiveServer, viewer_headers
from tests.e2e.admin.test_dashboard_browser import ARTIFACTS, _sign_in, page  # noqa: F401
from tests.integration.answer_rows import T0, Row, contact, insert

PERIOD = "from=2026-03-01&to=2026-03-31"


def _seed(container: Container) -> None:
    """Two teams; week two falls; Eva is far below the rest; Nina is new with a lucky dozen."""
    contact(container.db.engine)
    rows = [Row(10, agent="Nina", team="blauw", at=T0) for _ in range(12)]
    for agent, team, answers in (
        ("Anna", "blauw", [10] * 8 + [8] * 2),
        ("Bram", "blauw", [10] * 6 + [8] * 3 + [3] * 1),
        ("Cem", "blauw", [10] * 5 + [8] * 4 + [3] * 1),
        ("Daan", "blauw", [10] * 5 + [8] * 3 + [3] * 2),
        ("Dirk", "rood", [10] * 5 + [8] * 3 + [2] * 2),
        ("Eva", "rood", [10] * 4 + [8] * 3 + [1] * 3),
    ):
        for week in range(3):
            # The second week is worse for everyone (two promoters in ten turn detractor).
            shifted = [3, 3, *answers[2:]] if week == 1 else answers
            at = T0 + timedelta(days=7 * week)
            rows += [Row(v, agent=agent, team=team, at=at) for v in shifted * 6]
    rows += [Row(v, agent="Fred", team="rood", at=T0) for v in (9, 9, 3)]  # too few to rank
    insert(container.db.engine, rows)


def _api(base: str, path: str, **params: str) -> dict[str, Any]:
    reply = httpx.get(f"{base}{path}", params=params, headers=viewer_headers())
    assert reply.status_code == 200, reply.text
    data: dict[str, Any] = reply.json()
    return data


def test_flags_and_the_league_table_match_the_api_and_are_screenshotted(
    page: Any,  # noqa: F811
    live_server: LiveServer,
    container: Container,
    database_url: str,
) -> None:
    """▼ beside Eva and on week two; the league ranks by the shrunken score, Nina not first."""
    _seed(container)
    base = live_server.url
    period = {"from": "2026-03-01", "to": "2026-03-31"}
    backend = "postgres" if database_url.startswith("postgres") else "sqlite"
    ARTIFACTS.mkdir(exist_ok=True)
    for lang in ("en", "nl"):
        _sign_in(page, base, f"/admin?{PERIOD}&lang={lang}&metric=nps&by=agent&bucket=week")
        by_agent = _api(base, "/api/v1/metrics", flow="nps", group_by="agent", **period)
        expected = {
            g["key"]: (g["comparison"] or {}).get("direction", 0) for g in by_agent["groups"]
        }
        assert expected["Eva"] == -1
        shown = page.locator("[data-testid=breakdown] tbody tr")
        for i in range(shown.count()):
            row = shown.nth(i)
            mark = row.locator("[data-col=flag]").inner_text().strip()
            want = {1: "▲", -1: "▼", 0: ""}[expected[row.get_attribute("data-key")]]
            assert mark == want, row.get_attribute("data-key")

        league = _api(base, "/api/v1/league", flow="nps", **period)
        ranked = [r["agent"] for r in league["rows"]]
        assert ranked[0] != "Nina"
        assert "Fred" not in ranked
        assert league["unranked"] == 1
        rows = page.locator("[data-testid=league] tbody tr")
        assert [rows.nth(i).get_attribute("data-agent") for i in range(rows.count())] == ranked
        first = league["rows"][0]
        digits_shrunk = f"{first['shrunk']:.1f}".replace(".", "," if lang == "nl" else ".")
        assert rows.nth(0).locator("[data-col=shrunk]").inner_text() == digits_shrunk

        weekly = _api(base, "/api/v1/metrics", flow="nps", group_by="week", **period)
        dips = [
            g["key"] for g in weekly["groups"] if (g["comparison"] or {}).get("direction") == -1
        ]
        assert dips == ["2026-03-09"]
        # The trend is drawn twice (wide and phone); each draws every flag.
        assert page.locator("svg text.flag").count() == 2 * sum(
            1 for g in weekly["groups"] if (g["comparison"] or {}).get("direction")
        )
        page.screenshot(
            path=str(ARTIFACTS / f"admin-flags-league-{lang}-{backend}.png"), full_page=True
        )
        page.locator("[data-testid=league-card]").screenshot(
            path=str(ARTIFACTS / f"admin-league-{lang}-{backend}.png")
        )
        page.context.clear_cookies()
