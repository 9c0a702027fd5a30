"""What the response stores of its invitation gives the figures the join to it gave.

Answers go in both ways rows reach the table: through the answer path's own INSERT (which
stores the facts) and straight into the table then `fill_answer_facts` (the migration and the
demo data). The response-bias delays, `first` attribution and the effort drivers must equal
the old computation from the invitation, on both databases, under filters too, and after test
answers are deleted.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from scoring.answer_facts import COLUMNS
from scoring.db import make_engine
from scoring.migrate import upgrade
from scoring.raw_sql import STATEMENTS, RawSql
from scoring.rehearsals import purge_test_answers
from scoring.reports import chain, queries
from scoring.reports.filters import Attribution, Dimension, Filters, Rehearsals, ReportConfig
from scoring.reports.response_bias import answer_delays, early_late
from scoring.reports.sql import INVITATION, RESPONSE, conditions, goodness
from tests.integration.answer_rows import Row, contact, insert

CONFIG = ReportConfig()
T0 = datetime(2026, 3, 27, 23, 0, tzinfo=UTC)  # the night before the clocks change
VIEWS = [
    Filters(),
    Filters(channels=("sms",)),
    Filters(tags=("vip",)),
    Filters(start=T0 + timedelta(days=2), end=T0 + timedelta(days=9)),
    Filters(test=Rehearsals.INCLUDE),
    Filters(test=Rehearsals.ONLY),
]


def joined_delays(conn: Connection, metric: str, filters: Filters) -> list[tuple[Any, ...]]:
    """The delays as computed before they were stored: each response joined to its invitation."""
    r, inv = RESPONSE.c, INVITATION.c
    where = [
        r.metric == metric,
        inv.sent_at.is_not(None),
        *conditions(RESPONSE, "answered_at", filters, conn.dialect.name),
    ]
    minutes: sa.ColumnElement[Any]
    if conn.dialect.name == "postgresql":
        seconds = sa.extract("epoch", r.answered_at - inv.sent_at)
        minutes = sa.cast(sa.func.floor(seconds / 60), sa.Integer)
    else:
        days = sa.func.julianday(r.answered_at) - sa.func.julianday(inv.sent_at)
        minutes = sa.cast(days * 86400 + 0.5, sa.Integer) // 60
    rows = (
        sa.select(minutes.label("minutes"), goodness(), r.scale_min, r.scale_max)
        .select_from(RESPONSE.join(INVITATION, inv.id == r.invitation_id))
        .where(*where)
        .subquery("delays")
    )
    c = rows.c
    grouped = conn.execute(
        sa.select(c.minutes, c.g, c.scale_min, c.scale_max, sa.func.count()).group_by(
            c.minutes, c.g, c.scale_min, c.scale_max
        )
    ).all()
    return sorted(
        (60.0 * max(0, int(m or 0)), int(g), int(lo), int(hi), int(n))
        for m, g, lo, hi, n in grouped
    )


AGENTS = ["a1", "a2", "a3"]
TEAMS = ["t1", "t2", "t3"]


def chained(rng: random.Random, value: int | None) -> Row:
    """A row with a random chain: empty (an older row), repeats, and the single columns."""
    agents = [rng.choice(AGENTS) for _ in range(rng.choice([0, 1, 2, 3, 4]))]
    teams = [rng.choice(TEAMS) for _ in range(rng.choice([0, 1, 2, 3]))]
    return Row(
        value,
        at=T0 + timedelta(seconds=rng.randrange(10 * 86400)),
        agent=agents[-1] if agents else rng.choice([None, "a4"]),
        team=teams[-1] if teams else rng.choice([None, "t4"]),
        channel=rng.choice(["sms", "whatsapp"]),
        sent=rng.random() < 0.9,
        answer_delay=timedelta(seconds=rng.randrange(0, 90_000), microseconds=999_999),
        tags=rng.choice([[], ["vip"]]),
        agents=agents,
        teams=teams,
        transfers=rng.choice([None, 0, 1, 2, 3, 5]),
        channel_switches=rng.choice([None, 0, 1, 4]),
    )


def through_the_answer_path(engine: Engine, rng: random.Random, count: int) -> None:
    """Invitations written directly, their answers by the answer path's INSERT statement."""
    rows = [chained(rng, None) for _ in range(count)]
    insert(engine, rows)  # unanswered: invitations only
    with engine.begin() as conn:
        found = conn.execute(
            sa.select(
                INVITATION.c.id,
                INVITATION.c.channel,
                INVITATION.c.sent_at,
                INVITATION.c.agent,
                INVITATION.c.team,
            ).where(INVITATION.c.answered_at.is_(None))
        ).all()
        raw = RawSql(conn)
        for iid, channel, sent_at, agent, team in found:
            sent = sent_at or T0
            # Sub-second delays and whole minutes, where rounding would show.
            delay = rng.choice(
                [
                    timedelta(minutes=rng.randrange(1, 600)),
                    timedelta(seconds=rng.randrange(0, 90_000), microseconds=rng.randrange(10**6)),
                ]
            )
            value = rng.randint(0, 10)
            raw.execute(
                "insert_response",
                {
                    "invitation_id": iid,
                    "flow_id": "nps",
                    "metric": "nps",
                    "value": value,
                    "scale_min": 0,
                    "scale_max": 10,
                    "lower_is_better": False,
                    "raw_text": str(value),
                    "normaliser_version": "t",
                    "decision": None,
                    "flow_version": None,
                    "channel": channel,
                    "locale": "nl",
                    "agent": agent,
                    "team": team,
                    "queue": None,
                    "journey_stage": None,
                    "answered_at": sent + delay,
                    "is_test": rng.random() < 0.1,
                },
            )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    upgrade(built)
    contact(built)
    rng = random.Random(3)
    insert(built, [chained(rng, rng.randint(0, 10)) for _ in range(150)])
    through_the_answer_path(built, rng, 150)
    yield built
    built.dispose()


def test_stored_delays_equal_the_delays_from_the_invitation(engine: Engine) -> None:
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(sa.func.count()).where(RESPONSE.c.answer_delay_seconds.is_not(None))
        ).scalar_one()
        assert stored > 200  # both ways in; the never-sent have none
        for view in VIEWS:
            found = sorted(answer_delays(conn, "nps", view))
            assert found == joined_delays(conn, "nps", view), view
            assert early_late("nps", found, 5) == early_late(
                "nps", joined_delays(conn, "nps", view), 5
            )


def test_delays_follow_a_test_answer_delete(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            INVITATION.update()
            .where(
                INVITATION.c.id.in_(sa.select(RESPONSE.c.invitation_id).where(RESPONSE.c.is_test))
            )
            .values(is_test=True)
        )
    purge_test_answers(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(RESPONSE.c.is_test)).scalar_one() == 0
        for view in VIEWS:
            assert sorted(answer_delays(conn, "nps", view)) == joined_delays(conn, "nps", view)


def test_the_migration_fills_in_the_delay_of_existing_answers(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0013_whatsapp_pace")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO contact (id, channel, pseudonym, created_at) "
                "VALUES (1, 'sms', 'p', '2026-03-01 00:00:00.000000')"
            )
        )
        for n, sent, answered in [
            (1, "2026-03-28 23:59:30.250000", "2026-03-29 00:12:29.999999"),
            (2, None, "2026-03-29 10:00:00.000000"),
            (3, "2026-03-29 00:59:59.999999", "2026-03-29 03:00:00.000000"),
        ]:
            conn.execute(
                sa.text(
                    "INSERT INTO invitation (id, public_id, flow_id, channel, contact_id, locale, "
                    "tags, status, created_at, sent_at, answered_at) VALUES (:n, :pid, 'nps', "
                    "'sms', 1, 'nl', '[]', 'completed', :sent, :sent, :answered)"
                ),
                {"n": n, "pid": f"inv-{n}", "sent": sent or answered, "answered": answered},
            )
            if sent is None:
                conn.execute(
                    sa.text("UPDATE invitation SET sent_at = NULL WHERE id = :n"), {"n": n}
                )
            conn.execute(
                sa.text(
                    "INSERT INTO response (invitation_id, flow_id, metric, value, scale_min, "
                    "scale_max, lower_is_better, raw_text, normaliser_version, channel, locale, "
                    "answered_at, is_test) VALUES (:n, 'nps', 'nps', 9, 0, 10, 0, '9', 't', "
                    "'sms', 'nl', :answered, 0)"
                ),
                {"n": n, "answered": answered},
            )
    upgrade(engine)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT invitation_id, answer_delay_seconds FROM response ORDER BY 1")
        ).all()
        assert stored == [(1, 780), (2, None), (3, 7200)]
        assert sorted(answer_delays(conn, "nps", Filters())) == joined_delays(
            conn, "nps", Filters()
        )
    engine.dispose()


FIRST_VIEWS = [
    Filters(attribution=Attribution.FIRST),
    Filters(attribution=Attribution.FIRST, agents=("a1", "a4")),
    Filters(attribution=Attribution.FIRST, teams=("t2",), tags=("vip",)),
    Filters(attribution=Attribution.FIRST, test=Rehearsals.INCLUDE),
]
EFFORT = [Dimension.TRANSFERS, Dimension.CHANNEL_SWITCHES, Dimension.TEAMS_INVOLVED]


def joined_counts(
    conn: Connection, filters: Filters, group_by: Dimension | None
) -> list[tuple[Any, ...]]:
    """Answers per (key, score, scale) as computed before: from the invitation's chain."""
    r, inv = RESPONSE.c, INVITATION.c
    dialect = conn.dialect.name

    def first(dimension: Dimension) -> sa.ColumnElement[Any]:
        column = {Dimension.AGENT: "agents", Dimension.TEAM: "teams"}[dimension]
        single = {Dimension.AGENT: r.agent, Dimension.TEAM: r.team}[dimension]
        return sa.func.coalesce(inv[column][0].as_string(), single)

    plain = replace(filters, agents=(), teams=(), attribution=Attribution.LAST)
    where = [r.metric == "nps", *conditions(RESPONSE, "answered_at", plain, dialect)]
    if filters.agents:
        where.append(first(Dimension.AGENT).in_(filters.agents))
    if filters.teams:
        where.append(first(Dimension.TEAM).in_(filters.teams))
    key: sa.ColumnElement[Any] = sa.literal(None, sa.String)
    if group_by in (Dimension.AGENT, Dimension.TEAM):
        key = first(group_by)
    elif group_by is not None:
        key = chain.effort_key(dialect, INVITATION, group_by)  # the invitation's own fields
    rows = (
        sa.select(key.label("key"), goodness(), r.scale_min, r.scale_max)
        .select_from(RESPONSE.join(INVITATION, inv.id == r.invitation_id))
        .where(*where)
        .subquery("rows")
    )
    c = rows.c
    keys = (c.key, c.g, c.scale_min, c.scale_max)
    found = conn.execute(sa.select(*keys, sa.func.count()).group_by(*keys)).all()
    return sorted(((k, int(g), int(lo), int(hi), int(n)) for k, g, lo, hi, n in found), key=str)


def stored_counts(
    conn: Connection, filters: Filters, group_by: Dimension | None
) -> list[tuple[Any, ...]]:
    return sorted(queries.score_counts(conn, "nps", filters, group_by, CONFIG), key=str)


def test_first_attribution_equals_the_chain_read_from_the_invitation(engine: Engine) -> None:
    with engine.connect() as conn:
        for view in FIRST_VIEWS:
            for group_by in (Dimension.AGENT, Dimension.TEAM, None):
                found = stored_counts(conn, view, group_by)
                assert found == joined_counts(conn, view, group_by), (view, group_by)
        keys = {k for k, *_ in stored_counts(conn, FIRST_VIEWS[0], Dimension.AGENT)}
        assert keys == {None, "a1", "a2", "a3", "a4"}


def test_effort_drivers_equal_the_invitations_own_fields(engine: Engine) -> None:
    with engine.connect() as conn:
        for view in [*VIEWS, FIRST_VIEWS[1]]:
            for group_by in EFFORT:
                found = stored_counts(conn, view, group_by)
                assert found == joined_counts(conn, view, group_by), (view, group_by)
        keys = {k for k, *_ in stored_counts(conn, Filters(), Dimension.TRANSFERS)}
        assert keys == {None, "0", "1", "2", "3+"}


def test_stored_facts_follow_a_test_answer_delete(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            INVITATION.update()
            .where(
                INVITATION.c.id.in_(sa.select(RESPONSE.c.invitation_id).where(RESPONSE.c.is_test))
            )
            .values(is_test=True)
        )
    purge_test_answers(engine)
    include = Filters(test=Rehearsals.INCLUDE)
    with engine.connect() as conn:
        for group_by in EFFORT:
            assert stored_counts(conn, include, group_by) == joined_counts(conn, include, group_by)
        first = replace(include, attribution=Attribution.FIRST)
        assert stored_counts(conn, first, Dimension.AGENT) == joined_counts(
            conn, first, Dimension.AGENT
        )


def test_the_answer_insert_names_the_facts_in_the_order_it_computes_them() -> None:
    assert ", ".join(COLUMNS) + ")" in STATEMENTS["insert_response"]
