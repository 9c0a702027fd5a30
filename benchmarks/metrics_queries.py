"""Report queries on 1,000,000 responses, SQLite and PostgreSQL, as ratios to a bare GROUP BY.

Each report query (NPS by week, NPS by agent, the funnel) is timed next to
`SELECT agent, count(*) FROM response GROUP BY agent` on the same table in the same run, so the
ratio says how much the real report costs over the cheapest possible grouped scan and travels
between machines. Data goes in through the migrated schema (with its report indexes) using
executemany (SQLite) and COPY (PostgreSQL); the PostgreSQL database and the SQLite file are
throwaways.

It also times an export of every row, batch by batch as `GET /api/v1/export.csv` streams it
(keyset batches of 2,000 and the CSV formatting), as rows per second.

    .venv/bin/python -m benchmarks.metrics_queries [--responses 1000000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from scoring.db import make_engine
from scoring.migrate import upgrade
from scoring.reports.filters import Attribution, Dimension, Filters, ReportConfig
from scoring.reports.not_sent import not_sent
from scoring.reports.params import View
from scoring.reports.queries import funnel, scores
from scoring.reports.response_bias import answer_delays
from scoring.reports.responses import latest_comments
from scoring.reports.service import ReportService
from scoring.reports.unsent import unsent

PG_ADMIN_URL = os.environ.get("SURVEYBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 365
AGENTS = [f"agent-{i:02d}" for i in range(60)]
TEAMS = [f"team-{i}" for i in range(6)]
CHANNELS = ["sms", "whatsapp", "telegram", "voice"]
FLOWS = [("nps", "nps", 0, 10), ("csat", "csat", 1, 5), ("ces", "ces", 1, 7)]
CONFIG = ReportConfig(timezone=ZoneInfo("Europe/Amsterdam"), min_n=10)
EXPORT_BATCH = 5000  # as bots/api/routes/export.py reads
BASELINE = "SELECT agent, count(*) FROM response GROUP BY agent"

INVITATION_COLUMNS = (
    "id, public_id, flow_id, channel, contact_id, locale, agent, team, tags, status, "
    "delivery_status, created_at, sent_at, answered_at, agents, teams, transfers"
)
RESPONSE_COLUMNS = (
    "id, invitation_id, flow_id, metric, value, scale_min, scale_max, lower_is_better, "
    "raw_text, normaliser_version, channel, locale, agent, team, answered_at"
)


def rows(
    responses: int, seed: int = 1
) -> Iterator[tuple[tuple[object, ...], tuple[object, ...] | None]]:
    """(invitation, response or None): about 80% of invitations are answered."""
    rng = random.Random(seed)
    invitation_id = response_id = 0
    while response_id < responses:
        invitation_id += 1
        at = NOW - timedelta(seconds=rng.randrange(DAYS * 86400))
        flow, metric, lo, hi = FLOWS[invitation_id % 3]
        agent = AGENTS[invitation_id % len(AGENTS)]
        team = TEAMS[invitation_id % len(TEAMS)]
        channel = CHANNELS[invitation_id % 4]
        answered = rng.random() < 0.8
        # One to three agents and teams per contact, the last being `agent` and `team`.
        hops = 1 + invitation_id % 3
        chain = [AGENTS[(invitation_id + 7 * k) % len(AGENTS)] for k in range(hops - 1, -1, -1)]
        teams = [TEAMS[(invitation_id + k) % len(TEAMS)] for k in range(hops - 1, -1, -1)]
        invitation = (
            invitation_id,
            str(uuid.UUID(int=invitation_id)),
            flow,
            channel,
            1,
            "nl",
            agent,
            team,
            "[]",
            "completed" if answered else "expired",
            "delivered",
            at,
            at,
            at if answered else None,
            json.dumps(chain),
            json.dumps(teams),
            hops - 1,
        )
        response = None
        if answered:
            response_id += 1
            value = rng.randint(lo, hi)
            response = (
                response_id,
                invitation_id,
                flow,
                metric,
                value,
                lo,
                hi,
                False,
                str(value),
                "bench",
                channel,
                "nl",
                agent,
                team,
                at,
            )
        yield invitation, response


def _sqlite_time(value: object) -> object:
    # The format SQLAlchemy's SQLite DateTime stores (naive UTC text).
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def load_sqlite(path: Path, responses: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO contact (id, channel, pseudonym, created_at) "
        "VALUES (1, 'sms', 'bench', '2026-01-01 00:00:00.000000')"
    )
    inv_sql = f"INSERT INTO invitation ({INVITATION_COLUMNS}) VALUES ({','.join('?' * 17)})"
    resp_sql = f"INSERT INTO response ({RESPONSE_COLUMNS}) VALUES ({','.join('?' * 15)})"
    invitations: list[tuple[object, ...]] = []
    answers: list[tuple[object, ...]] = []
    for invitation, response in rows(responses):
        invitations.append(tuple(_sqlite_time(v) for v in invitation))
        if response is not None:
            answers.append(tuple(_sqlite_time(v) for v in response))
        if len(invitations) >= 50_000:
            conn.executemany(inv_sql, invitations)
            conn.executemany(resp_sql, answers)
            invitations, answers = [], []
    conn.executemany(inv_sql, invitations)
    conn.executemany(resp_sql, answers)
    conn.execute("COMMIT")
    conn.close()
    filled = fill_facts(f"sqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    if filled:
        conn.execute("VACUUM")
    conn.execute("ANALYZE")
    conn.close()


def fill_facts(url: str) -> bool:
    """What the answer's statements store of the invitation, for rows loaded in bulk.

    True when filled: the caller then rewrites the tables (VACUUM), as the answers' own INSERTs
    would have left them, instead of every row updated once.
    """
    from sqlmodel import SQLModel  # noqa: PLC0415

    if "answer_delay_seconds" not in SQLModel.metadata.tables["response"].c:
        return False  # an older tree computes them when read
    from scoring.answer_facts import fill_answer_facts  # noqa: PLC0415

    engine = make_engine(url)
    with engine.begin() as conn:
        fill_answer_facts(conn)
    engine.dispose()
    return True


def load_postgres(url: str, responses: int) -> None:
    import psycopg  # noqa: PLC0415

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO contact (id, channel, pseudonym, created_at) "
            "VALUES (1, 'sms', 'bench', now())"
        )
        with cur.copy(f"COPY invitation ({INVITATION_COLUMNS}) FROM STDIN") as inv_copy:
            answers: list[tuple[object, ...]] = []
            for invitation, response in rows(responses):
                inv_copy.write_row(invitation)
                if response is not None:
                    answers.append(response)
        with cur.copy(f"COPY response ({RESPONSE_COLUMNS}) FROM STDIN") as resp_copy:
            for answer in answers:
                resp_copy.write_row(answer)
        conn.commit()
    filled = fill_facts(url)
    with psycopg.connect(dsn, autocommit=True) as conn:  # VACUUM cannot run in a transaction
        if filled:
            conn.execute("VACUUM FULL")  # keeps no visibility map: the VACUUM below sets it
        conn.execute("VACUUM ANALYZE")


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(engine: sa.Engine) -> dict[str, float]:
    year = Filters(start=NOW - timedelta(days=DAYS), end=NOW)
    reports = ReportService(engine, CONFIG, {flow: metric for flow, metric, _, _ in FLOWS})
    view = View(replace(year, flows=("nps",)), "nps", None, CONFIG)
    nps_all = Filters(flows=("nps",))
    with engine.connect() as conn:
        queries: dict[str, Callable[[], object]] = {
            "baseline GROUP BY": lambda: conn.exec_driver_sql(BASELINE).all(),
            "NPS by week": lambda: scores(conn, "nps", year, Dimension.WEEK, CONFIG),
            "NPS by agent": lambda: scores(conn, "nps", year, Dimension.AGENT, CONFIG),
            "NPS by agent, first": lambda: scores(
                conn, "nps", replace(year, attribution=Attribution.FIRST), Dimension.AGENT, CONFIG
            ),
            "NPS by agent, all": lambda: scores(
                conn, "nps", replace(year, attribution=Attribution.ALL), Dimension.AGENT, CONFIG
            ),
            "CES by transfers": lambda: scores(conn, "ces", year, Dimension.TRANSFERS, CONFIG),
            "CES by teams involved": lambda: scores(
                conn, "ces", year, Dimension.TEAMS_INVOLVED, CONFIG
            ),
            "funnel": lambda: funnel(conn, year, None, CONFIG),
            "funnel by agent, nps": lambda: funnel(
                conn, Filters(start=year.start, end=year.end, flows=("nps",)), Dimension.AGENT
            ),
            "league, nps": lambda: reports.league(view),
            "time effects, nps": lambda: reports.time_effects(view),
            "response bias, nps": lambda: reports.response_bias(view, Dimension.CHANNEL),
            # The overview's other reads, one by one, over all time as `GET /admin` asks.
            "CES by channel switches": lambda: scores(
                conn, "ces", year, Dimension.CHANNEL_SWITCHES, CONFIG
            ),
            "NPS by team, first": lambda: scores(
                conn, "nps", replace(year, attribution=Attribution.FIRST), Dimension.TEAM, CONFIG
            ),
            "NPS by team, all": lambda: scores(
                conn, "nps", replace(year, attribution=Attribution.ALL), Dimension.TEAM, CONFIG
            ),
            "NPS by day": lambda: scores(conn, "nps", nps_all, Dimension.DAY, CONFIG),
            "NPS overall": lambda: scores(conn, "nps", nps_all, None, CONFIG),
            "CSAT overall": lambda: scores(conn, "csat", Filters(flows=("csat",)), None, CONFIG),
            "NPS by channel": lambda: scores(conn, "nps", nps_all, Dimension.CHANNEL, CONFIG),
            "agent teams, nps": lambda: agent_teams(conn, "nps", nps_all),
            "answer delays, nps": lambda: answer_delays(conn, "nps", nps_all),
            "funnel, all time": lambda: funnel(conn, Filters(), None, CONFIG),
            "funnel by channel": lambda: funnel(conn, nps_all, Dimension.CHANNEL, CONFIG),
            "unsent": lambda: unsent(conn, Filters(), None, CONFIG),
            "not sent reasons": lambda: not_sent(conn, Filters()),
            "latest comments": lambda: latest_comments(conn, Filters(), None, 8),
            # As the overview finds them (one query per list in older trees).
            "filter lists": lambda: reports._options(conn),
        }
        timings = {name: best_of(fn) for name, fn in queries.items()}
    # What `GET /admin` computes with no filters set: all time, NPS, by week and by agent.
    # The first load is what an admin waits for after a minute; later loads within it are cached.
    everything = View(Filters(), "nps", None, CONFIG)
    timings["/admin overview, first"] = best_of(lambda: overview(reports, everything, fresh=True))
    timings["/admin overview, again"] = best_of(lambda: overview(reports, everything, fresh=False))
    timings["export all rows"] = best_of(lambda: export(engine), repeat=1)
    return timings


def agent_teams(conn: sa.Connection, metric: str, filters: Filters) -> object:
    """Each agent's team as the league finds it (older trees: `league.agent_teams` queries)."""
    try:
        from scoring.reports.reads import agent_team_counts  # noqa: PLC0415
    except ImportError:
        from scoring.reports import league  # noqa: PLC0415

        return league.agent_teams(conn, metric, filters)  # type: ignore[arg-type, call-arg]
    return agent_team_counts(conn, metric, filters)


def overview(reports: ReportService, v: View, *, fresh: bool) -> object:
    """Everything the `/admin` overview computes, as bots/admin/routes.py asks for it."""
    page = getattr(reports, "overview_page", None)
    if page is None:  # older trees: three reads, uncached
        return (
            reports.overview(v, "nps", Dimension.WEEK, Dimension.AGENT),
            reports.time_effects(v, "en"),
            reports.response_bias(v, Dimension.CHANNEL),
        )
    if fresh:
        reports.overview_cache.clear()
    return page(v, "nps", Dimension.WEEK, Dimension.AGENT, "en")


def export(engine: sa.Engine) -> int:
    """Every response as CSV, batch by batch as `GET /api/v1/export.csv` streams it."""
    from scoring.reports import csv_format  # noqa: PLC0415
    from scoring.reports.responses import responses_after  # noqa: PLC0415

    fmt, count, after = csv_format.CsvFormat(), 0, None
    reports = ReportService(engine, CONFIG, {flow: metric for flow, metric, _, _ in FLOWS})
    if hasattr(reports, "response_csv_batch"):  # the driver's rows, formatted in one pass
        everything = View(Filters(), None, None, CONFIG)
        key = None
        while True:
            _, written, key = reports.response_csv_batch(everything, key, EXPORT_BATCH, fmt)
            if key is None:
                return count
            count += written
    cells = csv_format.response_cells
    # Older trees (a before/after comparison) write a line at a time.
    lines = getattr(csv_format, "csv_lines", None) or (
        lambda records, f: "".join(csv_format.csv_line(r, f) for r in records)
    )
    while True:
        with engine.connect() as conn:
            batch = responses_after(conn, after=after, limit=2000)
        if not batch:
            return count
        lines((cells(row) for row in batch), fmt)
        count += len(batch)
        after = (batch[-1].answered_at, batch[-1].id)


def report(backend: str, timings: dict[str, float], load_seconds: float, rows: int) -> None:
    base = timings["baseline GROUP BY"]
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n{backend}: loaded in {load_seconds:.1f} s (load average {load})")
    for name, seconds in timings.items():
        if name == "export all rows":
            print(f"  {name:<26} {seconds * 1000:9.1f} ms   {rows / seconds:9,.0f} rows/s")
        else:
            print(f"  {name:<26} {seconds * 1000:9.1f} ms   x{seconds / base:5.2f} of baseline")


def run_sqlite(responses: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        start = time.perf_counter()
        load_sqlite(path, responses)
        loaded = time.perf_counter() - start
        engine = make_engine(f"sqlite:///{path}")
        report("SQLite", measure(engine), loaded, responses)
        engine.dispose()


def run_postgres(responses: int) -> None:
    name = f"surveybot_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        engine = make_engine(url)
        upgrade(engine)
        start = time.perf_counter()
        load_postgres(str(engine.url.render_as_string(hide_password=False)), responses)
        loaded = time.perf_counter() - start
        report("PostgreSQL", measure(engine), loaded, responses)
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    print(f"{args.responses:,} responses over {DAYS} days, {len(AGENTS)} agents")
    run_sqlite(args.responses)
    if not args.skip_postgres:
        run_postgres(args.responses)


if __name__ == "__main__":
    main()
