"""Numbers that don't mislead: intervals, one question per figure, exports, funnel, on both DBs."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from scoring.db import make_engine
from scoring.migrate import upgrade
from scoring.reports.csv_format import RESPONSE_HEADER, response_cells
from scoring.reports.filters import ReportConfig
from scoring.reports.service import ReportService
from tests.integration.answer_rows import T0, Row, contact, insert

FLOWS = {"nps": "nps", "csat": "csat", "ces": "ces", "ces-effort": "ces"}
Z = statistics.NormalDist().inv_cdf(0.975)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    upgrade(built)
    contact(built)
    yield built
    built.dispose()


def service(engine: Engine) -> ReportService:
    return ReportService(engine, ReportConfig(), FLOWS)


def report(engine: Engine, **params: object) -> dict[str, Any]:
    reports = service(engine)
    return reports.metrics(reports.view(params)).as_dict()


def test_a_perfect_nps_has_an_interval_that_stops_at_100(engine: Engine) -> None:
    """10 promoters: score 100, interval [lo, 100] with lo the adjusted-Wald lower bound."""
    insert(engine, [Row(10) for _ in range(10)])
    overall = report(engine, flow="nps")["overall"]
    assert overall["score"] == 100.0
    # Independently: add 3/4 to promoters and detractors, n + 3 (Rocks' adjusted Wald).
    pro, det, n = 10.75 / 13, 0.75 / 13, 13
    centre = 100 * (pro - det)
    half = 100 * Z * math.sqrt((pro + det - (pro - det) ** 2) / n)
    lo, hi = overall["interval"]
    assert lo == pytest.approx(centre - half, abs=0.01)
    assert hi == 100.0  # never past the top of the scale, where "100 ± 29" would run


def test_a_zero_csat_has_an_interval_that_starts_at_0(engine: Engine) -> None:
    """No satisfied answer out of 10: [0, hi], never a negative share."""
    insert(engine, [Row(2, flow="csat") for _ in range(10)])
    overall = report(engine, flow="csat")["overall"]
    n_adj = 10 + Z**2
    p = (Z**2 / 2) / n_adj
    assert overall["score"] == 0.0
    assert overall["interval"][0] == 0.0
    assert overall["interval"][1] == pytest.approx(
        100 * (p + Z * math.sqrt(p * (1 - p) / n_adj)), abs=0.01
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_intervals_match_an_independent_computation_on_generated_answers(
    engine: Engine, seed: int
) -> None:
    """NPS, CSAT and the CES mean: each group's interval equals a from-scratch computation."""
    rnd = random.Random(seed)
    rows = []
    for agent in ("a", "b", "c"):
        rows += [Row(rnd.randint(0, 10), agent=agent) for _ in range(rnd.randint(12, 60))]
        rows += [Row(rnd.randint(1, 5), flow="csat", agent=agent) for _ in range(30)]
        rows += [Row(rnd.randint(1, 7), flow="ces", agent=agent) for _ in range(25)]
    insert(engine, rows)
    for flow in ("nps", "csat", "ces"):
        groups = {g["key"]: g for g in report(engine, flow=flow, group_by="agent")["groups"]}
        for agent in ("a", "b", "c"):
            values = [r.value for r in rows if r.flow == flow and r.agent == agent]
            assert groups[agent]["interval"] == pytest.approx(_interval(flow, values), abs=0.01)


def _interval(flow: str, values: list[int | None]) -> list[float]:
    xs = [v for v in values if v is not None]
    n = len(xs)
    if flow == "nps":
        pro = (sum(v >= 9 for v in xs) + 0.75) / (n + 3)
        det = (sum(v <= 6 for v in xs) + 0.75) / (n + 3)
        half = 100 * Z * math.sqrt((pro + det - (pro - det) ** 2) / (n + 3))
        return [max(-100, 100 * (pro - det) - half), min(100, 100 * (pro - det) + half)]
    if flow == "csat":
        n_adj = n + Z**2
        p = (sum(v >= 4 for v in xs) + Z**2 / 2) / n_adj
        half = Z * math.sqrt(p * (1 - p) / n_adj)
        return [max(0, 100 * (p - half)), min(100, 100 * (p + half))]
    mean, sd = statistics.fmean(xs), statistics.stdev(xs)
    t = _t975(n - 1)
    return [max(1, mean - t * sd / math.sqrt(n)), min(7, mean + t * sd / math.sqrt(n))]


def _t975(df: int) -> float:
    """The t quantile by bisection on the t CDF, integrated numerically (no table)."""

    def density(x: float) -> float:
        c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
        return float(c * (1 + x * x / df) ** (-(df + 1) / 2))

    def cdf(x: float) -> float:
        steps = 4000
        h = x / steps
        inner = sum(density(i * h) for i in range(1, steps))
        return 0.5 + h * (density(0) / 2 + inner + density(x) / 2)

    lo, hi = 1.0, 15.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < 0.975 else (lo, mid)
    return lo


def test_ces_does_not_pool_the_effort_question_unless_asked(engine: Engine) -> None:
    """metric=ces counts the 'made it easy' flow only and names the effort flow as separate."""
    easy = [Row(v, flow="ces") for v in (7, 6, 6, 5, 7, 6, 5, 7, 6, 6)]
    effort = [Row(v, flow="ces-effort") for v in (6, 7, 5, 6, 7, 6, 5, 6, 7, 6)]  # hard: 2 flipped
    insert(engine, easy + effort)
    alone = report(engine, metric="ces")
    assert alone["overall"]["n"] == 10
    assert alone["overall"]["score"] == pytest.approx(statistics.fmean(r.value for r in easy))  # type: ignore[misc]
    assert (alone["flows"], alone["pooled"], alone["separate"]) == (["ces"], False, ["ces-effort"])
    effort_only = report(engine, flow="ces-effort")
    flipped = [8 - r.value for r in effort if r.value is not None]
    assert effort_only["overall"]["score"] == pytest.approx(statistics.fmean(flipped))
    pooled = report(engine, metric="ces", pool="true")
    assert (pooled["flows"], pooled["pooled"]) == (["ces", "ces-effort"], True)
    both = [r.value for r in easy if r.value is not None] + flipped
    assert pooled["overall"]["score"] == pytest.approx(statistics.fmean(both))


def test_the_export_carries_the_raw_value_its_direction_and_the_report_value(
    engine: Engine,
) -> None:
    """An effort answer of 6 exports value 6, lower_is_better and report_value 2."""
    insert(engine, [Row(6, flow="ces-effort"), Row(6, flow="ces")])
    reports = service(engine)
    rows = reports.response_batch(reports.view({}), None, 10)
    cells = {r.flow: dict(zip(RESPONSE_HEADER, response_cells(r), strict=True)) for r in rows}
    assert {
        k: cells["ces-effort"][k] for k in ("metric", "value", "direction", "report_value")
    } == {
        "metric": "ces",
        "value": 6,
        "direction": "lower_is_better",
        "report_value": 2,
    }
    assert (cells["ces"]["direction"], cells["ces"]["report_value"]) == ("higher_is_better", 6)


def test_the_funnel_shows_never_sent_invitations_as_their_own_steps(engine: Engine) -> None:
    """Throttled and opted-out invitations count as invited but never as sent."""
    insert(
        engine,
        [Row(9), Row(None), Row(None, sent=False, status="throttled")]
        + [Row(None, sent=False, status="opted_out") for _ in range(2)]
        + [Row(None, sent=False, status="pending", at=T0 + timedelta(hours=1))],
    )
    reports = service(engine)
    funnel = reports.funnel(reports.view({})).as_dict()["overall"]
    assert (funnel["invited"], funnel["sent"], funnel["answered"]) == (6, 2, 1)
    assert funnel["not_sent"] == {"opted_out": 2, "pending": 1, "throttled": 1}
    assert funnel["invited"] == funnel["sent"] + sum(funnel["not_sent"].values())
    assert funnel["counted_by"] == "invitation_created_at"
