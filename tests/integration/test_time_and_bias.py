"""Time effects (weekdays, weekend, holidays) and response bias, recomputed, on both DBs."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import holidays
import httpx
import pytest
from sqlalchemy.engine import Engine

from bots.container import Container
from scoring.db import make_engine
from scoring.migrate import upgrade
from scoring.reports.filters import Dimension, ReportConfig
from scoring.reports.service import ReportService
from tests.conftest import LiveServer, viewer_headers
from tests.integration.answer_rows import Row, contact, insert

FLOWS = {"nps": "nps", "csat": "csat", "ces": "ces"}
NORMAL = statistics.NormalDist()
# Noon in Amsterdam on a Wednesday, a Saturday and two public holidays of 2026.
WEDNESDAY = datetime(2026, 12, 16, 11, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 12, 19, 11, 0, tzinfo=UTC)
CHRISTMAS = datetime(2026, 12, 25, 11, 0, tzinfo=UTC)
BOXING_DAY = datetime(2026, 12, 26, 11, 0, tzinfo=UTC)  # a Saturday, but a holiday first


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    upgrade(built)
    contact(built)
    yield built
    built.dispose()


def service(engine: Engine) -> ReportService:
    return ReportService(engine, ReportConfig(), FLOWS)


def test_a_dip_at_christmas_is_named_as_the_holidays(engine: Engine) -> None:
    """CSAT on the two Christmas days is its own segment, named, and flagged below the rest."""
    weekday = [5, 4, 4, 5, 4, 4, 3, 5, 4, 4] * 4  # 36 of 40 satisfied
    weekend = [5, 4, 3, 4, 4, 2, 4, 5, 4, 4] * 2
    holiday = [2, 1, 3, 4, 2, 3, 2, 4, 1, 2]
    insert(engine, [Row(v, flow="csat", at=WEDNESDAY) for v in weekday])
    insert(engine, [Row(v, flow="csat", at=SATURDAY) for v in weekend])
    insert(engine, [Row(v, flow="csat", at=CHRISTMAS) for v in holiday[:6]])
    insert(engine, [Row(v, flow="csat", at=BOXING_DAY) for v in holiday[6:]])
    reports = service(engine)
    found = reports.time_effects(reports.view({"flow": "csat"}), "nl").as_dict()
    segments = {s["key"]: s for s in found["segments"]}
    assert {k: s["n"] for k, s in segments.items()} == {"weekday": 40, "weekend": 20, "holiday": 10}
    assert segments["holiday"]["score"] == pytest.approx(20.0)
    names = {h["name"]: h["dates"] for h in found["holidays"]}
    expected = holidays.country_holidays("NL", years=[2026], language="nl")
    assert names == {
        expected[CHRISTMAS.date()]: ["2026-12-25"],
        expected[BOXING_DAY.date()]: ["2026-12-26"],
    }
    flag = segments["holiday"]["comparison"]
    x1, n1, x2, n2 = 2, 10, 36 + 16, 60
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    assert flag["statistic"] == pytest.approx(z, abs=1e-3)
    assert (flag["significant"], flag["direction"]) == (True, -1)


def test_segments_add_up_to_the_overall_figure(engine: Engine) -> None:
    """Every answer lands in exactly one segment, even on days below the minimum n."""
    insert(engine, [Row(9, at=WEDNESDAY + timedelta(days=d)) for d in range(14) for _ in range(3)])
    reports = service(engine)
    found = reports.time_effects(reports.view({"flow": "nps"})).as_dict()
    assert sum(s["n"] for s in found["segments"]) == 42


def test_response_rate_stands_beside_each_segments_score(engine: Engine) -> None:
    """SMS: 20 sent, 10 answered; voice: 20 sent, 18 answered; each with its score."""
    rows = [Row(9, channel="sms") for _ in range(10)] + [
        Row(None, channel="sms") for _ in range(10)
    ]
    rows += [Row(7, channel="voice") for _ in range(18)] + [
        Row(None, channel="voice") for _ in range(2)
    ]
    rows += [Row(None, channel="sms", sent=False, status="throttled")]  # never sent: no rate
    insert(engine, rows)
    reports = service(engine)
    found = reports.response_bias(reports.view({"flow": "nps"}), by=Dimension.CHANNEL).as_dict()
    groups = {g["key"]: g for g in found["groups"]}
    assert (groups["sms"]["sent"], groups["sms"]["answered"], groups["sms"]["response_rate"]) == (
        20,
        10,
        50.0,
    )
    assert groups["voice"]["response_rate"] == 90.0
    assert (groups["sms"]["score"]["score"], groups["voice"]["score"]["score"]) == (100.0, 0.0)
    lo, hi = groups["sms"]["response_rate_interval"]
    assert lo < 50.0 < hi


def test_late_responders_scoring_lower_is_shown_as_a_bias_warning(engine: Engine) -> None:
    """The slower half (after the median delay) scores lower: Welch's t says beyond chance."""
    fast = [7, 6, 7, 6, 5, 7, 6, 7, 6, 7, 6, 5]
    slow = [4, 3, 5, 2, 4, 3, 4, 5, 3, 2, 4, 3]
    rows = [Row(v, flow="ces", answer_delay=timedelta(minutes=2 + i)) for i, v in enumerate(fast)]
    rows += [Row(v, flow="ces", answer_delay=timedelta(hours=20 + i)) for i, v in enumerate(slow)]
    insert(engine, rows)
    reports = service(engine)
    found = reports.response_bias(reports.view({"flow": "ces"}), by=Dimension.CHANNEL).as_dict()
    split = found["early_late"]
    assert (split["early"]["n"], split["late"]["n"]) == (12, 12)
    assert split["early"]["score"] == pytest.approx(statistics.fmean(fast))
    assert split["late"]["score"] == pytest.approx(statistics.fmean(slow))
    assert split["median_delay_seconds"] == pytest.approx((13 * 60 + 20 * 3600) / 2)
    va, vb = statistics.variance(slow) / 12, statistics.variance(fast) / 12
    t = (statistics.fmean(slow) - statistics.fmean(fast)) / math.sqrt(va + vb)
    assert split["comparison"]["statistic"] == pytest.approx(t, abs=1e-3)
    assert split["comparison"]["direction"] == -1


def test_the_api_serves_time_effects_league_and_response_bias(
    live_server: LiveServer, container: Container
) -> None:
    """The three reports answer over HTTP for a viewer; a bad segment is a 422."""
    contact(container.db.engine)
    insert(container.db.engine, [Row(9, at=WEDNESDAY, agent="Anna") for _ in range(12)])
    base, h = live_server.url, viewer_headers()
    effects = httpx.get(
        f"{base}/api/v1/time-effects", params={"flow": "nps", "lang": "nl"}, headers=h
    )
    assert (effects.status_code, effects.json()["country"]) == (200, "NL")
    bias = httpx.get(
        f"{base}/api/v1/response-bias", params={"flow": "nps", "by": "agent"}, headers=h
    )
    assert bias.json()["groups"][0]["response_rate"] == 100.0
    league = httpx.get(f"{base}/api/v1/league", params={"flow": "nps"}, headers=h)
    assert [r["agent"] for r in league.json()["rows"]] == ["Anna"]
    wrong = httpx.get(f"{base}/api/v1/response-bias", params={"flow": "nps", "by": "x"}, headers=h)
    assert wrong.status_code == 422


def test_the_overview_page_shows_the_same_cards_as_each_report_alone(engine: Engine) -> None:
    """One connection and shared scans give the figures the separate reports give."""
    insert(engine, [Row(v, flow="nps", at=WEDNESDAY) for v in [10, 9, 3, 7, 8, 10, 0, 9, 6, 10]])
    insert(engine, [Row(v, flow="nps", at=CHRISTMAS) for v in [2, 9, 10, 5, 8, 1, 9, 10, 4, 3]])
    reports = service(engine)
    v = reports.view({"metric": "nps"})
    page = reports.overview_page(v, "nps", Dimension.WEEK, Dimension.AGENT, "en")
    alone = reports.overview(v, "nps", Dimension.WEEK, Dimension.AGENT)
    assert page.overview.cards == alone.cards
    assert page.overview.league == alone.league
    assert (page.overview.trend, page.overview.groups) == (alone.trend, alone.groups)
    assert page.overview.cards["nps"].n == 20
    assert page.effects.as_dict() == reports.time_effects(v, "en").as_dict()
    assert page.bias.as_dict() == reports.response_bias(v, Dimension.CHANNEL).as_dict()
