"""Flags beyond chance and the league table, against independent computations, on both DBs."""

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
from scoring.reports.filters import ReportConfig
from scoring.reports.service import ReportService
from tests.integration.answer_rows import T0, Row, contact, insert

FLOWS = {"nps": "nps", "csat": "csat", "ces": "ces", "ces-effort": "ces"}
NORMAL = statistics.NormalDist()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    upgrade(built)
    contact(built)
    yield built
    built.dispose()


def groups(engine: Engine, **params: object) -> dict[str | None, dict[str, Any]]:
    reports = ReportService(engine, ReportConfig(), FLOWS)
    data = reports.metrics(reports.view(params)).as_dict()
    return {g["key"]: g for g in data["groups"]}


def week(n: int) -> timedelta:
    return timedelta(days=7 * n)


def test_an_nps_drop_beyond_chance_is_flagged_against_the_previous_week(engine: Engine) -> None:
    """Week 2 falls from +50 to -10: flagged lower, with the trinomial z of a hand computation."""
    first = [10] * 30 + [8] * 10 + [3] * 10  # +40 ... promoters 30, detractors 10 of 50
    second = [10] * 15 + [8] * 15 + [3] * 20  # -10
    insert(engine, [Row(v, at=T0) for v in first] + [Row(v, at=T0 + week(1)) for v in second])
    by_week = groups(engine, flow="nps", group_by="week")
    later = by_week[max(k for k in by_week if k)]
    flag = later["comparison"]
    z = _nps_z(second, first)
    assert flag["against"] == "previous"
    assert flag["test"] == "nps"
    assert flag["statistic"] == pytest.approx(z, abs=1e-3)
    assert flag["p"] == pytest.approx(2 * (1 - NORMAL.cdf(abs(z))), abs=1e-4)
    assert (flag["significant"], flag["direction"]) == (True, -1)
    assert by_week[min(k for k in by_week if k)]["comparison"] is None  # nothing before it


def _nps_z(a: list[int], b: list[int]) -> float:
    def parts(xs: list[int]) -> tuple[float, float]:
        p = sum(x >= 9 for x in xs) / len(xs)
        d = sum(x <= 6 for x in xs) / len(xs)
        return p - d, (p + d - (p - d) ** 2) / len(xs)

    (na, va), (nb, vb) = parts(a), parts(b)
    return (na - nb) / math.sqrt(va + vb)


def test_a_week_within_chance_is_not_flagged(engine: Engine) -> None:
    """+40 then +30 on 50 answers each: the difference is noise, no flag."""
    first = [10] * 25 + [8] * 20 + [3] * 5
    second = [10] * 22 + [8] * 21 + [3] * 7
    insert(engine, [Row(v, at=T0) for v in first] + [Row(v, at=T0 + week(1)) for v in second])
    later = groups(engine, flow="nps", group_by="week")
    flags = [g["comparison"] for g in later.values() if g["comparison"]]
    assert len(flags) == 1
    assert (flags[0]["significant"], flags[0]["direction"]) == (False, 0)


@pytest.mark.parametrize("seed", [3, 4])
def test_csat_agents_are_tested_against_the_rest_with_two_proportions(
    engine: Engine, seed: int
) -> None:
    """Each agent's CSAT against everyone else's: the pooled two-proportion z, recomputed."""
    rnd = random.Random(seed)
    rows = []
    for agent, good in (("a", 0.9), ("b", 0.75), ("c", 0.5)):
        rows += [
            Row(
                rnd.choice([4, 5]) if rnd.random() < good else rnd.randint(1, 3),
                flow="csat",
                agent=agent,
            )
            for _ in range(rnd.randint(30, 80))
        ]
    insert(engine, rows)
    found = groups(engine, flow="csat", group_by="agent")
    for agent in ("a", "b", "c"):
        mine = [r.value for r in rows if r.agent == agent]
        rest = [r.value for r in rows if r.agent != agent]
        x1, n1 = sum(v >= 4 for v in mine if v), len(mine)
        x2, n2 = sum(v >= 4 for v in rest if v), len(rest)
        pooled = (x1 + x2) / (n1 + n2)
        z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        flag = found[agent]["comparison"]
        assert flag["against"] == "rest"
        assert flag["statistic"] == pytest.approx(z, abs=1e-3)
        assert flag["significant"] == (2 * (1 - NORMAL.cdf(abs(z))) < 0.05)


def test_ces_days_are_compared_with_welchs_t(engine: Engine) -> None:
    """CES means: Welch's t, its degrees of freedom and p equal a from-scratch computation."""
    rnd = random.Random(9)
    monday = [rnd.randint(4, 7) for _ in range(40)]
    tuesday = [rnd.randint(1, 6) for _ in range(25)]
    insert(
        engine,
        [Row(v, flow="ces", at=T0) for v in monday]
        + [Row(v, flow="ces", at=T0 + timedelta(days=1)) for v in tuesday],
    )
    found = groups(engine, flow="ces", group_by="day")
    flag = found[max(k for k in found if k)]["comparison"]
    va, vb = statistics.variance(tuesday) / 25, statistics.variance(monday) / 40
    t = (statistics.fmean(tuesday) - statistics.fmean(monday)) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / 24 + vb**2 / 39)
    assert flag["test"] == "mean"
    assert flag["statistic"] == pytest.approx(t, abs=1e-3)
    assert flag["df"] == pytest.approx(df, abs=0.1)
    assert flag["p"] == pytest.approx(_t_p(t, df), abs=1e-3)


def _t_p(t: float, df: float) -> float:
    """Two-sided p of Student's t by Simpson's rule on the density (independent of the code)."""
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)

    def f(x: float) -> float:
        return float(c * (1 + x * x / df) ** (-(df + 1) / 2))

    steps, x = 20000, abs(t)
    h = x / steps
    area = f(0) + f(x) + sum((4 if i % 2 else 2) * f(i * h) for i in range(1, steps))
    return 2 * (0.5 - area * h / 3)


def test_a_new_agent_with_a_lucky_dozen_does_not_top_the_league(engine: Engine) -> None:
    """12 promoters (raw NPS 100) rank below the best agent with 100 answers at +60."""
    rows = [Row(10, agent="new", team="blue") for _ in range(12)]
    # Five agents of one team at +30 .. +60 on 100 answers each: a team's usual spread.
    for agent, promoters, detractors in (
        ("a", 45, 15),
        ("b", 50, 10),
        ("c", 55, 10),
        ("d", 60, 10),
        ("e", 70, 10),
    ):
        answers = [10] * promoters + [8] * (100 - promoters - detractors) + [3] * detractors
        rows += [Row(v, agent=agent, team="blue") for v in answers]
    for agent in ("p", "q"):
        rows += [Row([10, 8, 6, 3, 9][i % 5], agent=agent, team="red") for i in range(40)]
    insert(engine, rows)
    reports = ReportService(engine, ReportConfig(), FLOWS)
    table = reports.league(reports.view({"flow": "nps"})).as_dict()
    ranked = [r["agent"] for r in table["rows"]]
    raw = {r["agent"]: r["raw"]["score"] for r in table["rows"]}
    assert raw["new"] == max(raw.values()) == 100.0
    assert ranked[0] == "e"
    assert ranked.index("new") > 0
    expected = _shrunk(rows)
    for row in table["rows"]:
        centre, lo, hi = expected[row["agent"]]
        assert row["shrunk"] == pytest.approx(centre, abs=1e-2)
        assert row["shrunk_interval"] == pytest.approx([lo, hi], abs=1e-2)
        assert row["team"] == ("red" if row["agent"] in "pq" else "blue")


def _shrunk(rows: list[Row]) -> dict[str | None, tuple[float, float, float]]:
    """Empirical Bayes towards the team (DerSimonian-Laird spread), from the answers themselves."""

    def x(v: int | None) -> float:
        return 100.0 if v is not None and v >= 9 else -100.0 if v is not None and v <= 6 else 0.0

    teams = {r.team for r in rows}
    team_x = {t: [x(r.value) for r in rows if r.team == t] for t in teams}
    prior = {
        t: (statistics.fmean(xs), statistics.pvariance(xs), len(xs)) for t, xs in team_x.items()
    }
    agents = {r.agent: r.team for r in rows}
    own = {a: [x(r.value) for r in rows if r.agent == a] for a in agents}
    sampling = {a: prior[agents[a]][1] / len(xs) for a, xs in own.items()}
    settled = [a for a, xs in own.items() if len(xs) >= 30]  # the spread comes from these
    w = {a: 1 / sampling[a] for a in settled}
    q = sum(w[a] * (statistics.fmean(own[a]) - prior[agents[a]][0]) ** 2 for a in settled)
    big_w = sum(w.values())
    tau2 = max(0.0, (q - (len(w) - 1)) / (big_w - sum(v * v for v in w.values()) / big_w))
    z = NORMAL.inv_cdf(0.975)
    result = {}
    for a, xs in own.items():
        mu, s2, big_n = prior[agents[a]]
        v = sampling[a]
        b = tau2 / (tau2 + v)
        centre = mu + b * (statistics.fmean(xs) - mu)
        sd = math.sqrt(b * v + (1 - b) ** 2 * s2 / big_n)
        result[a] = (centre, max(-100.0, centre - z * sd), min(100.0, centre + z * sd))
    return result
