"""Send-worker scaling on PostgreSQL: invitations sent per second by 1, 2 and 4 workers.

Each run seeds N pending invitations in a throwaway database, starts k `surveybot worker`
processes against a no-latency fake Twilio on 127.0.0.1, and times until every invitation is
sent. The figure that travels between machines is the ratio to one worker in the same run.

    .venv/bin/python -m benchmarks.worker_scaling [--invitations 3000] [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from bots.container import build
from flows.service import NewInvitation
from scoring.channels import Channel
from scoring.db import make_engine
from scoring.migrate import upgrade
from tests.conftest import PG_ADMIN_URL, make_settings
from tests.e2e.twilio.fake_twilio import FakeTwilioServer
from tests.reliability.cluster import Cluster


def seed(url: str, count: int) -> None:
    container = build(make_settings(url))
    container.service.create_many(
        [
            NewInvitation(Channel.SMS, f"+3163{n:07d}", flow_id="nps", interaction_id=f"b{n}")
            for n in range(count)
        ]
    )
    container.close()


def sent_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM invitation WHERE status = 'open'")
            ).scalar_one()
        )


def run(workers: int, count: int) -> tuple[float, int]:
    """Seconds to send `count` invitations with `workers` processes, and the duplicates seen."""
    name = f"surveybot_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    try:
        upgrade(engine)
        seed(url, count)
        with (
            FakeTwilioServer() as twilio,
            tempfile.TemporaryDirectory() as tmp,
            Cluster(url, twilio.url, Path(tmp)) as cluster,
        ):
            start = time.perf_counter()
            for n in range(workers):
                cluster.start_worker(f"w{n}")
            while sent_count(engine) < count:
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
            per_number = collections.Counter(
                r.one("To") for r in twilio.fake.of_kind("Messages") if r.sid
            )
        return elapsed, sum(n - 1 for n in per_number.values())
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invitations", type=int, default=3000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    results = {k: run(k, args.invitations) for k in args.workers}
    base_rate = args.invitations / results[args.workers[0]][0]
    print(f"{args.invitations} invitations, PostgreSQL, fake Twilio without latency")
    print(f"{'workers':>8} {'seconds':>8} {'sent/s':>8} {'scaling':>8} {'dupes':>6}")
    for k, (seconds, dupes) in results.items():
        rate = args.invitations / seconds
        print(f"{k:>8} {seconds:>8.1f} {rate:>8.0f} {rate / base_rate:>8.2f} {dupes:>6}")


if __name__ == "__main__":
    main()
