"""The survey server's memory over many answers: its RSS every N answers, and whether it levels off.

One uvicorn worker (a subprocess) on SQLite takes signed Twilio SMS answers, each for its own
open CSAT survey, from this process at a fixed concurrency; every `--every` answers the server's
resident set size is read from /proc and printed. The surveys are seeded straight into the
tables (contact, invitation, conversation state: the rows a sent question leaves), since a
million invitations through the service would take longer than the answers.

    .venv/bin/python -m benchmarks.memory_curve [--answers 1000000] [--every 50000]
        [--concurrency 8]

The verdict compares the growth over the second half of the run with the first: a leak grows
as much in both; warming caches and the allocator's arenas grow first, then stay flat.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.harness import Post, Server, free_port, load, loadavg, quiet_collector
from benchmarks.twilio_webhook import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PATH,
    SECRET_KEY,
    phone,
    signed_requests,
    thanked,
)

CHUNK = 10_000  # rows per INSERT batch when seeding


def seed(database_url: str, count: int) -> None:
    """`count` open CSAT surveys by SMS, one per phone number, as a sent question leaves them."""
    from sqlmodel import SQLModel  # noqa: PLC0415

    from bots.channels import register_channels  # noqa: PLC0415
    from bots.settings import Settings  # noqa: PLC0415
    from scoring.db import make_engine  # noqa: PLC0415
    from scoring.migrate import upgrade  # noqa: PLC0415
    from scoring.storage import Pseudonymiser  # noqa: PLC0415

    settings = Settings(_env_file=None, database_url=database_url, secret_key=SECRET_KEY)  # type: ignore[call-arg]
    register_channels()  # the pseudonym of a phone number is the channel registry's to say
    pseudonymise = Pseudonymiser(settings.secret())
    engine = make_engine(database_url)
    upgrade(engine)
    tables = SQLModel.metadata.tables
    contact, invitation, state = (
        tables["contact"],
        tables["invitation"],
        tables["conversationstate"],
    )
    now = datetime.now(UTC)
    expires = now + timedelta(days=30)
    with engine.begin() as conn:
        for start in range(0, count, CHUNK):
            ids = range(start + 1, min(start + CHUNK, count) + 1)
            conn.execute(
                contact.insert(),
                [
                    {
                        "id": i,
                        "channel": "sms",
                        "address": phone(i - 1),
                        "pseudonym": pseudonymise("sms", phone(i - 1)),
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                invitation.insert(),
                [
                    {
                        "id": i,
                        "public_id": str(uuid.uuid4()),
                        "flow_id": "csat",
                        "channel": "sms",
                        "contact_id": i,
                        "locale": "nl",
                        "tags": [],
                        "status": "open",
                        "delivery_status": "sent",
                        "created_at": now,
                        "sent_at": now,
                        "expires_at": expires,
                        "is_test": False,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                state.insert(),
                [
                    {"invitation_id": i, "step": "question", "reprompts": 0, "updated_at": now}
                    for i in ids
                ],
            )
    engine.dispose()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def answers(url: str, first: int, count: int) -> Iterator[list[Post]]:
    """Signed answers, made a thousand at a time as the senders take them."""
    for start in range(first, first + count, 1000):
        for post in signed_requests(url, start, min(1000, first + count - start)):
            yield [post]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=50_000, help="answers between RSS samples")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    print(f"{args.answers:,} answers, RSS every {args.every:,}; {loadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="surveybot-bench-") as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir / 'surveybot.db'}"
        started = time.perf_counter()
        seed(database_url, args.answers)
        print(f"seeded {args.answers:,} open SMS surveys in {time.perf_counter() - started:.0f} s")
        port = free_port()
        env = {
            "SURVEYBOT_DATABASE_URL": database_url,
            "SURVEYBOT_SECRET_KEY": SECRET_KEY,
            "SURVEYBOT_LOG_LEVEL": "WARNING",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        }
        server = Server.uvicorn("bots.app:create_app", port, env, workdir)
        url = f"http://127.0.0.1:{port}{PATH}"
        curve: list[tuple[int, float]] = []
        try:
            server.wait_ready()
            curve.append((0, rss_mb(server.process.pid)))
            print(f"  {0:>9,} answers  RSS {curve[0][1]:7.1f} MB", flush=True)
            for done in range(0, args.answers, args.every):
                size = min(args.every, args.answers - done)
                with quiet_collector():
                    result = asyncio.run(
                        load(port, PATH, answers(url, done, size), args.concurrency, thanked)
                    )
                curve.append((done + size, rss_mb(server.process.pid)))
                print(
                    f"  {done + size:>9,} answers  RSS {curve[-1][1]:7.1f} MB  "
                    f"{result.rate:6.0f}/s  errors {result.errors}  {loadavg()}",
                    flush=True,
                )
        finally:
            server.stop()
    verdict(curve)


def verdict(curve: list[tuple[int, float]]) -> None:
    if len(curve) < 5:
        print("too few samples for a verdict (at least 4 after the start)")
        return
    middle = len(curve) // 2
    first = curve[middle][1] - curve[1][1]
    second = curve[-1][1] - curve[middle][1]
    print(
        f"\nRSS after the first sample {curve[1][1]:.1f} MB, "
        f"at half-way {curve[middle][1]:.1f} MB, at the end {curve[-1][1]:.1f} MB: "
        f"+{first:.1f} MB then +{second:.1f} MB "
        f"({'flat' if second <= max(2.0, 0.25 * first) else 'still growing'})"
    )


if __name__ == "__main__":
    main()
