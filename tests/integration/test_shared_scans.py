"""A page's shared scans (`Reads`) give exactly the figures each query gives alone, on both DBs.

The overview sums coarser groupings from finer scans (weeks from local days, agents and teams
from one (flow, agent, team, channel) scan, the funnel from a per-channel one); every figure
must equal the query of its own on the same rows, whatever order a page asks in.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from scoring.db import make_engine
from scoring.migrate import upgrade
from scoring.reports import queries
from scoring.reports.filters import Attribution, Dimension, Filters, ReportConfig
from scoring.reports.league import agent_teams
from scoring.reports.reads import Reads, agent_team_counts
from scoring.reports.service import OPTION_DIMENSIONS, ReportService
from scoring.tables import Comment
from tests.integration.answer_rows import SCALES, Row, contact, insert

# Across the spring and autumn clock changes, so that local days and weeks are tested at both.
START = datetime(2026, 3, 20, tzinfo=UTC)
SPAN = timedelta(days=230)
GROUPINGS = [
    None,
    Dimension.DAY,
    Dimension.WEEK,
    Dimension.MONTH,
    Dimension.DOW,
    Dimension.AGENT,
    Dimension.TEAM,
    Dimension.CHANNEL,
    Dimension.FLOW,
    Dimension.TAG,
]
VIEWS = [
    Filters(),
    Filters(flows=("nps",)),
    Filters(flows=("ces", "ces-effort")),
    Filters(channels=("sms", "whatsapp")),
    Filters(agents=("a1", "a2")),
    Filters(tags=("vip",)),
    Filters(start=START + timedelta(days=40), end=START + timedelta(days=200), flows=("csat",)),
    Filters(attribution=Attribution.FIRST),
]
CONFIG = ReportConfig(min_n=3)
METRICS = ["nps", "csat", "ces", "fcr"]


def generated(seed: int, n: int) -> list[Row]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        flow = rng.choice(sorted(SCALES))
        lo, hi = SCALES[flow]
        rows.append(
            Row(
                None if rng.random() < 0.2 else rng.randint(lo, hi),
                flow=flow,
                at=START + timedelta(seconds=rng.randrange(int(SPAN.total_seconds()))),
                agent=rng.choice([None, "a1", "a2", "a3", "a4"]),
                team=rng.choice([None, "t1", "t2"]),
                channel=rng.choice(["sms", "whatsapp", "telegram"]),
                sent=rng.random() < 0.9,
                answer_delay=timedelta(seconds=rng.randrange(1, 90_000)),
                tags=rng.choice([[], [], ["vip"], ["vip", "repeat"]]),
            )
        )
    return rows


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return generated(7, 600)


@pytest.fixture
def engine(database_url: str, rows: list[Row]) -> Iterator[Engine]:
    built = make_engine(database_url)
    upgrade(built)
    contact(built)
    insert(built, rows)
    with built.begin() as conn:  # a follow-up comment on some answers, for the funnel's step
        ids = conn.execute(sa.text("SELECT id FROM response WHERE id % 7 = 0")).scalars().all()
        conn.execute(
            sa.insert(Comment.__table__),  # type: ignore[attr-defined]
            [{"response_id": i, "text": "ok", "created_at": START} for i in ids],
        )
    yield built
    built.dispose()


@pytest.mark.parametrize("view", VIEWS, ids=range(len(VIEWS)))
def test_every_grouping_equals_its_own_query_in_either_order(engine: Engine, view: Filters) -> None:
    with engine.connect() as conn:
        for metric in METRICS:
            alone = {g: queries.scores(conn, metric, view, g, CONFIG) for g in GROUPINGS}
            for order in (GROUPINGS, GROUPINGS[::-1]):
                reads = Reads(conn, shared=True)
                shared = {g: reads.scores(metric, view, g, CONFIG) for g in order}
                assert shared == alone, (metric, order[0])
            assert sum(s.n for s in alone[Dimension.WEEK]) == alone[None][0].n


@pytest.mark.parametrize("view", VIEWS, ids=range(len(VIEWS)))
def test_funnels_and_agent_teams_equal_their_own_queries(engine: Engine, view: Filters) -> None:
    with engine.connect() as conn:
        reads = Reads(conn, shared=True)
        for group_by in (Dimension.CHANNEL, None, Dimension.AGENT):
            assert reads.funnel(view, group_by, CONFIG) == queries.funnel(
                conn, view, group_by, CONFIG
            )
        for metric in METRICS:
            reads = Reads(conn, shared=True)
            reads.scores(metric, view, Dimension.AGENT, CONFIG)  # the scan it sums from
            assert agent_teams(reads.agent_teams(metric, view)) == agent_teams(
                agent_team_counts(conn, metric, view)
            )


def test_agent_teams_count_only_the_tagged_answers_under_a_tag_filter(engine: Engine) -> None:
    """Each agent's team follows the filters, the tag filter (on the invitation) included."""
    with engine.connect() as conn:
        tagged = agent_team_counts(conn, "nps", Filters(tags=("vip",)))
        raw = conn.execute(
            sa.text(
                "SELECT r.agent, r.team, count(*) FROM response r "
                "JOIN invitation i ON i.id = r.invitation_id "
                "WHERE r.metric = 'nps' AND r.is_test = :no AND CAST(i.tags AS TEXT) LIKE :vip "
                "GROUP BY r.agent, r.team"
            ),
            {"no": False, "vip": '%"vip"%'},
        ).all()
    assert sorted(tagged, key=str) == sorted(((a, t, int(n)) for a, t, n in raw), key=str)


def test_the_overview_page_equals_each_report_computed_alone(engine: Engine) -> None:
    flows = {"nps": "nps", "csat": "csat", "ces": "ces", "ces-effort": "ces", "resolved": "fcr"}
    reports = ReportService(engine, CONFIG, flows)
    for params in ({"metric": "nps", "flow": "nps"}, {"metric": "ces", "pool": "true"}):
        v = reports.view(params)
        metric = str(params["metric"])
        page = reports.overview_page(v, metric, Dimension.WEEK, Dimension.AGENT, "en")
        filters, _ = reports.resolve(v, metric)
        with engine.connect() as conn:
            assert page.overview.trend == queries.scores(
                conn, metric, filters, Dimension.WEEK, CONFIG
            )
            assert page.overview.groups == queries.scores(
                conn, metric, filters, Dimension.AGENT, CONFIG
            )
            for m, card in page.overview.cards.items():
                own, _ = reports.resolve(v, m)
                assert card == queries.scores(conn, m, own, None, CONFIG)[0]
            assert page.overview.funnel.invited == queries.funnel(conn, v.filters)[0].invited
        assert page.effects.as_dict() == reports.time_effects(v, "en").as_dict()
        assert page.bias.as_dict() == reports.response_bias(v, Dimension.CHANNEL).as_dict()


def test_the_filter_lists_found_in_one_scan_equal_each_list_alone(engine: Engine) -> None:
    dimensions = list(OPTION_DIMENSIONS)
    with engine.connect() as conn:
        known = queries.known_values(conn, dimensions)
        assert known == {d.value: queries.distinct_values(conn, d) for d in dimensions}
        assert known["agent"] == ["a1", "a2", "a3", "a4"]
        assert known["tag"] == ["repeat", "vip"]
        assert queries.known_values(conn, dimensions, limit=2)["agent"] == ["a1", "a2"]
