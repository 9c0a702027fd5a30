"""Scores, buckets and the funnel computed by SQLite and PostgreSQL on hand-made rows."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from scoring.db import make_engine
from scoring.migrate import upgrade
from scoring.reports import queries
from scoring.reports import responses as report_rows
from scoring.reports.csv_format import CsvFormat, Separator, csv_lines, response_cells
from scoring.reports.filters import Dimension, Filters, ReportConfig
from scoring.reports.formulas import nps_margin
from scoring.reports.service import ReportService
from scoring.tables import Comment, Contact, Invitation, Response

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
_ids = itertools.count(1)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    upgrade(built)
    with built.begin() as conn:
        conn.execute(
            sa.insert(Contact.__table__),  # type: ignore[attr-defined]
            {"id": 1, "channel": "sms", "pseudonym": "p", "created_at": T0},
        )
    yield built
    built.dispose()


def add(
    engine: Engine,
    value: int | None,
    *,
    flow: str = "nps",
    metric: str = "nps",
    scale: tuple[int, int] = (0, 10),
    lower_is_better: bool = False,
    at: datetime = T0,
    sent: bool = True,
    delivered: bool = True,
    comment: str | None = None,
    tags: tuple[str, ...] = (),
    **dims: str,
) -> None:
    """One invitation, and its response when `value` is given."""
    iid = next(_ids)
    invitation = {
        "id": iid,
        "public_id": f"inv-{iid}",
        "flow_id": flow,
        "channel": dims.get("channel", "sms"),
        "contact_id": 1,
        "locale": dims.get("locale", "nl"),
        "agent": dims.get("agent"),
        "team": dims.get("team"),
        "queue": dims.get("queue"),
        "journey_stage": dims.get("journey_stage"),
        "tags": list(tags),
        "status": "completed" if value is not None else "open",
        "created_at": at,
        "sent_at": at if sent else None,
        "delivery_status": "delivered" if delivered else ("sent" if sent else None),
        "answered_at": at if value is not None else None,
    }
    with engine.begin() as conn:
        conn.execute(sa.insert(Invitation.__table__), invitation)  # type: ignore[attr-defined]
        if value is None:
            return
        conn.execute(
            sa.insert(Response.__table__),  # type: ignore[attr-defined]
            {
                "id": iid,
                "invitation_id": iid,
                "flow_id": flow,
                "metric": metric,
                "value": value,
                "scale_min": scale[0],
                "scale_max": scale[1],
                "lower_is_better": lower_is_better,
                "raw_text": str(value),
                "normaliser_version": "t",
                "channel": invitation["channel"],
                "locale": invitation["locale"],
                "agent": invitation["agent"],
                "team": invitation["team"],
                "queue": invitation["queue"],
                "journey_stage": invitation["journey_stage"],
                "answered_at": at,
            },
        )
        if comment:
            conn.execute(
                sa.insert(Comment.__table__),  # type: ignore[attr-defined]
                {"response_id": iid, "text": comment, "created_at": at},
            )


NPS_TEN = [10, 9, 9, 8, 7, 6, 0, 3, 10, 10]  # 5 promoters, 2 passives, 3 detractors


def test_nps_overall_matches_the_hand_computed_figure(engine: Engine) -> None:
    """+20 with the adjusted-Wald margin, the category counts and the distribution."""
    for v in NPS_TEN:
        add(engine, v)
    with engine.connect() as conn:
        [score] = queries.scores(conn, "nps")
    assert (score.n, score.score) == (10, pytest.approx(20.0))
    assert score.margin == pytest.approx(nps_margin(5, 3, 10))
    assert score.categories == {"detractors": 3, "passives": 2, "promoters": 5}
    assert score.distribution == {0: 1, 3: 1, 6: 1, 7: 1, 8: 1, 9: 2, 10: 3}


def test_no_data_gives_n_zero_and_no_score(engine: Engine) -> None:
    """An empty period is n=0 with no score, not an error and not 0."""
    with engine.connect() as conn:
        [score] = queries.scores(conn, "nps")
        [funnel] = queries.funnel(conn)
    assert (score.n, score.score, score.margin) == (0, None, None)
    assert funnel.as_dict()["response_rate"] is None


def test_group_below_minimum_hides_its_score_but_not_its_n(engine: Engine) -> None:
    """anna has 10 answers (shown), bob 3 (n only)."""
    for v in NPS_TEN:
        add(engine, v, agent="anna")
    for v in (10, 10, 10):
        add(engine, v, agent="bob")
    with engine.connect() as conn:
        anna, bob = queries.scores(conn, "nps", group_by=Dimension.AGENT)
    assert (anna.key, anna.score) == ("anna", pytest.approx(20.0))
    assert (bob.key, bob.n, bob.hidden, bob.score) == ("bob", 3, True, None)


def test_lower_is_better_answers_are_flipped_before_scoring(engine: Engine) -> None:
    """ces-effort 1 ('very low effort') counts as 7 on the agreement scale."""
    for v in (1, 1, 2, 7):
        add(engine, v, flow="ces-effort", metric="ces", scale=(1, 7), lower_is_better=True)
    with engine.connect() as conn:
        [score] = queries.scores(conn, "ces", config=ReportConfig(min_n=1))
    assert score.mean == pytest.approx((7 + 7 + 6 + 1) / 4)
    assert score.top_box == pytest.approx(75.0)
    assert score.distribution == {7: 2, 6: 1, 1: 1}


def test_csat_is_top_two_box_on_a_five_point_scale(engine: Engine) -> None:
    """4s and 5s count; 8 of 10 is 80%."""
    for v in (5, 5, 4, 4, 4, 5, 4, 5, 3, 1):
        add(engine, v, flow="csat", metric="csat", scale=(1, 5))
    with engine.connect() as conn:
        [score] = queries.scores(conn, "csat")
    assert score.score == pytest.approx(80.0)
    assert score.categories == {"dissatisfied": 1, "neutral": 1, "satisfied": 8}


def test_weeks_and_days_are_local_amsterdam_time(engine: Engine) -> None:
    """Sunday 23:30 UTC in summer is Monday 01:30 in Amsterdam: next day, next week."""
    sunday_late = datetime(2026, 6, 7, 23, 30, tzinfo=UTC)  # Monday 8 June 01:30 CEST
    add(engine, 10, at=sunday_late)
    add(engine, 0, at=datetime(2026, 6, 7, 12, 0, tzinfo=UTC))  # Sunday afternoon
    config = ReportConfig(timezone=ZoneInfo("Europe/Amsterdam"), min_n=1)
    with engine.connect() as conn:
        days = queries.scores(conn, "nps", group_by=Dimension.DAY, config=config)
        weeks = queries.scores(conn, "nps", group_by=Dimension.WEEK, config=config)
        dows = queries.scores(conn, "nps", group_by=Dimension.DOW, config=config)
        months = queries.scores(conn, "nps", group_by=Dimension.MONTH, config=config)
    assert [(d.key, d.score) for d in days] == [("2026-06-07", -100.0), ("2026-06-08", 100.0)]
    assert [w.key for w in weeks] == ["2026-06-01", "2026-06-08"]
    assert [d.key for d in dows] == ["1", "7"]
    assert [(m.key, m.n) for m in months] == [("2026-06-01", 2)]


def test_buckets_follow_the_dst_change(engine: Engine) -> None:
    """22:30 UTC is 23:30 local in winter but 00:30 the next day in summer."""
    add(engine, 9, at=datetime(2026, 3, 27, 22, 30, tzinfo=UTC))  # Fri 23:30 CET
    add(engine, 9, at=datetime(2026, 3, 30, 22, 30, tzinfo=UTC))  # Wed 31st 00:30 CEST
    config = ReportConfig(timezone=ZoneInfo("Europe/Amsterdam"), min_n=1)
    with engine.connect() as conn:
        days = queries.scores(conn, "nps", group_by=Dimension.DAY, config=config)
    assert [d.key for d in days] == ["2026-03-27", "2026-03-31"]


def test_period_and_dimension_filters_narrow_the_responses(engine: Engine) -> None:
    """Only sms answers by anna in the period count."""
    add(engine, 10, agent="anna", channel="sms")
    add(engine, 0, agent="anna", channel="whatsapp")
    add(engine, 0, agent="bob", channel="sms")
    add(engine, 0, agent="anna", channel="sms", at=T0 - timedelta(days=40))
    filters = Filters(start=T0 - timedelta(days=1), agents=("anna",), channels=("sms",))
    with engine.connect() as conn:
        [score] = queries.scores(conn, "nps", filters, config=ReportConfig(min_n=1))
    assert (score.n, score.score) == (1, 100.0)


def test_tag_filter_and_tag_grouping_use_the_invitation_tags(engine: Engine) -> None:
    """A tag filter keeps responses carrying every tag; grouping counts each tag."""
    add(engine, 10, tags=("vip", "repeat"))
    add(engine, 0, tags=("vip",))
    add(engine, 5)
    config = ReportConfig(min_n=1)
    with engine.connect() as conn:
        [both] = queries.scores(conn, "nps", Filters(tags=("vip", "repeat")), config=config)
        groups = queries.scores(conn, "nps", group_by=Dimension.TAG, config=config)
    assert (both.n, both.score) == (1, 100.0)
    assert [(g.key, g.n) for g in groups] == [("repeat", 1), ("vip", 2)]


def test_funnel_denominators_respect_every_filter(engine: Engine) -> None:
    """anna: 4 invited, 3 sent, 2 delivered, 2 answered, 1 comment; bob's never count."""
    add(engine, 9, agent="anna", comment="great")
    add(engine, 3, agent="anna")
    add(engine, None, agent="anna", delivered=False)
    add(engine, None, agent="anna", sent=False, delivered=False)
    for _ in range(5):
        add(engine, None, agent="bob")
    with engine.connect() as conn:
        [anna] = queries.funnel(conn, Filters(agents=("anna",)))
        groups = queries.funnel(conn, group_by=Dimension.AGENT)
    assert (anna.invited, anna.sent, anna.delivered, anna.answered, anna.commented) == (
        4,
        3,
        2,
        2,
        1,
    )
    assert anna.response_rate == pytest.approx(100 * 2 / 3)
    assert [(g.key, g.invited, g.answered) for g in groups] == [("anna", 4, 2), ("bob", 5, 0)]


def test_funnel_period_is_the_invitation_time(engine: Engine) -> None:
    """An invitation from before the period is not in the funnel, even if answered."""
    add(engine, 9, at=T0 - timedelta(days=10))
    add(engine, 9, at=T0)
    with engine.connect() as conn:
        [funnel] = queries.funnel(conn, Filters(start=T0 - timedelta(days=1)))
    assert (funnel.invited, funnel.answered) == (1, 1)


def test_responses_page_and_keyset_batches_cover_every_row_once(engine: Engine) -> None:
    """Pages newest first; export batches oldest first, without gaps or repeats."""
    for i in range(7):
        add(engine, i, at=T0 + timedelta(minutes=i), comment="c" if i == 3 else None)
    with engine.connect() as conn:
        total, page = report_rows.responses(conn, limit=3, offset=0)
        seen: list[int] = []
        after = None
        while batch := report_rows.responses_after(conn, after=after, limit=3):
            seen += [r.value for r in batch]
            after = (batch[-1].answered_at, batch[-1].id)
    assert total == 7
    assert [r.value for r in page] == [6, 5, 4]
    assert seen == list(range(7))


def test_the_fast_export_writes_the_same_csv_as_each_row_formatted_alone(engine: Engine) -> None:
    """Driver rows formatted in one pass: comments, tags, formulas, effort and empty cells."""
    add(engine, 9, at=T0, comment="=HYPERLINK(1)", tags=("vip", "-x"), agent="an", team="t1")
    add(engine, 2, at=T0 + timedelta(minutes=1), comment="goed;=1+1", queue="q", locale="en")
    add(
        engine,
        6,
        flow="ces-effort",
        metric="ces",
        scale=(1, 7),
        lower_is_better=True,
        at=T0 + timedelta(days=200),  # summer time: another offset
        agent="+31 6",
        journey_stage="@onboarding",
    )
    for i in range(5):
        add(engine, i, at=T0 + timedelta(hours=i, seconds=1), comment="ok", agent="an")
    reports = ReportService(engine, ReportConfig(), {"nps": "nps", "ces-effort": "ces"})
    v = reports.view({})
    for fmt in (CsvFormat(), CsvFormat(Separator.SEMICOLON, ZoneInfo("Europe/Amsterdam"))):
        with engine.connect() as conn:
            rows = report_rows.responses_after(conn, limit=100)
        expected = csv_lines((response_cells(r) for r in rows), fmt)
        written, after = "", None
        while True:
            lines, _, after = reports.response_csv_batch(v, after, 3, fmt)
            if after is None:
                break
            written += lines
        assert len(rows) == 8
        assert written == expected
        assert '"\'=HYPERLINK(1)"' in written  # defused, as every other export
        assert '"\'vip;-x"' in written
