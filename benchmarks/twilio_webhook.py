"""Inbound SMS webhook throughput and latency, against two baselines measured in the same run.

One uvicorn worker (a subprocess) on SQLite; the load comes from this process (a lean asyncio
HTTP/1.1 client, see benchmarks.harness.Connection) at 1, 8 and 32 concurrent senders, each on its
own keep-alive connection, over loopback; the collector is off while it measures.
Every survey request is a real, signed Twilio
SMS webhook answering a different open invitation (pre-created, one phone number each), so each
one stores a score, closes a survey and records the provider event.

Baselines, same server flags, same request bodies:
  bare    FastAPI endpoint that parses the form and returns constant TwiML
  insert  the same plus one SQLite INSERT + COMMIT (WAL, synchronous=NORMAL, as surveybot uses)
  FULL    the insert baseline at synchronous=FULL (an fsync per commit), for comparison

    .venv/bin/python -m benchmarks.twilio_webhook [--requests 400,1500,3000]
        [--store postgres [--workers 2]] [--skip-baselines] [--profile FILE]

`--store postgres` runs the survey server on a fresh database on the test suite's PostgreSQL
server (SURVEYBOT_TEST_PG, default postgresql://postgres@127.0.0.1:5432/test), dropped after;
`--workers N` runs N uvicorn worker processes. Each level prints the server's CPU per request.

Writes nothing outside a temporary directory.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response

from benchmarks.harness import (
    CONCURRENCY,
    WARMUP,
    Post,
    Result,
    Server,
    baseline_sqlite,
    free_port,
    loadavg,
    parse_sizes,
    report,
    run_levels,
    sent_invitation,
)

PATH = "/webhooks/twilio/messaging"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "benchmark-auth-token-0123456789abcdef"
SECRET_KEY = "benchmark-secret-key-0123456789abcdef-0123"
OUR_NUMBER = "+3197010000001"
CONSTANT_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Bedankt voor je antwoord!'
    "</Message></Response>"
)


# -- the two baseline apps (imported by uvicorn in the server subprocess) -------------------


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post(PATH)
    async def webhook(request: Request) -> Response:
        form = await request.form()
        if not form.get("From"):
            return Response("missing From", status_code=400)
        return Response(CONSTANT_TWIML, media_type="application/xml")

    return app


def insert_app() -> FastAPI:
    connection = baseline_sqlite(
        "CREATE TABLE IF NOT EXISTS inbound (id INTEGER PRIMARY KEY, sid TEXT UNIQUE, "
        "sender TEXT, body TEXT, received_at REAL)"
    )
    app = FastAPI()

    @app.post(PATH)
    async def webhook(request: Request) -> Response:
        form = await request.form()
        connection.execute("BEGIN")
        connection.execute(
            "INSERT INTO inbound (sid, sender, body, received_at) VALUES (?, ?, ?, ?)",
            (
                str(form.get("MessageSid")),
                str(form.get("From")),
                str(form.get("Body")),
                time.time(),
            ),
        )
        connection.execute("COMMIT")
        return Response(CONSTANT_TWIML, media_type="application/xml")

    return app


# -- setup ------------------------------------------------------------------------------------


def phone(i: int) -> str:
    return f"+3161{i:07d}"


def prepare_surveys(database_url: str, count: int) -> None:
    """`count` open CSAT invitations by SMS, one per phone number, through the real service."""
    from bots.container import build  # noqa: PLC0415
    from bots.settings import Settings  # noqa: PLC0415
    from flows.ports import SendResult  # noqa: PLC0415
    from flows.service import NewInvitation  # noqa: PLC0415
    from scoring.channels import Channel  # noqa: PLC0415

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=SECRET_KEY,
    )
    container = build(settings)
    try:
        for i in range(count):
            new = NewInvitation(Channel.SMS, phone(i), flow_id="csat", locale="nl")
            sent_invitation(container, new, SendResult("SM" + uuid.uuid4().hex, "sent"))
    finally:
        container.close()


def signed_requests(url: str, first: int, count: int) -> list[Post]:
    """Real-looking Twilio SMS webhooks answering '4', signed with Twilio's own validator."""
    from bots.twilio.client import compute_signature  # noqa: PLC0415

    out = []
    for i in range(first, first + count):
        sid = "SM" + uuid.uuid4().hex
        params = {
            "ToCountry": "NL",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": "4",
            "FromCountry": "NL",
            "To": OUR_NUMBER,
            "ToZip": "",
            "NumSegments": "1",
            "ReferralNumMedia": "0",
            "MessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": phone(i),
            "ApiVersion": "2010-04-01",
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": compute_signature(AUTH_TOKEN, url, params),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        }
        out.append((urlencode(params).encode(), headers))
    return out


# -- load -------------------------------------------------------------------------------------


def thanked(status: int, reply: bytes) -> bool:
    """Every answer gets the thanks in the TwiML reply."""
    return status == 200 and b"Bedankt voor je antwoord" in reply


def run_server(
    name: str,
    target: str,
    env: dict[str, str],
    workdir: Path,
    sizes: list[int],
    *,
    workers: int = 1,
    profile: Path | None = None,
) -> list[Result]:
    """Start one server and run every level against it; each answer is a new phone number."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    # Every server gets the same senders (only the survey one needs them): the first number of
    # each batch, in turn.
    firsts = itertools.accumulate([WARMUP, *sizes], initial=0)

    def work_for(size: int) -> list[list[Post]]:
        return [[post] for post in signed_requests(url, next(firsts), size)]

    server = Server.uvicorn(target, port, env, workdir, workers, profile=profile)
    return run_levels(name, server, PATH, sizes, work_for, ok=thanked)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on the test suite's PostgreSQL server, dropped afterwards."""
    import sqlalchemy as sa  # noqa: PLC0415

    from scoring.db import make_engine  # noqa: PLC0415

    admin_url = os.environ.get("SURVEYBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"surveybot_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests",
        default="400,1500,3000",
        help="requests per level for concurrency 1,8,32 (default %(default)s)",
    )
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (survey server)")
    parser.add_argument(
        "--skip-baselines", action="store_true", help="the survey server only (no ratios)"
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy the survey server into this file (collapsed stacks)"
    )
    args = parser.parse_args()
    sizes = parse_sizes(parser, args.requests, len(CONCURRENCY))
    per_run = WARMUP + sum(sizes)
    print(f"store {args.store}, {args.workers} survey worker(s); {loadavg()}")

    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="surveybot-bench-")))
        if args.store == "postgres":
            database_url = stack.enter_context(postgres_database())
        else:
            database_url = f"sqlite:///{workdir / 'surveybot.db'}"
        started = time.perf_counter()
        prepare_surveys(database_url, per_run)
        print(f"prepared {per_run} open SMS surveys in {time.perf_counter() - started:.1f} s")
        survey_env = {
            "SURVEYBOT_DATABASE_URL": database_url,
            "SURVEYBOT_SECRET_KEY": SECRET_KEY,
            "SURVEYBOT_LOG_LEVEL": "WARNING",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        }
        runs: dict[str, list[Result]] = {}
        if not args.skip_baselines:
            runs["bare"] = run_server(
                "bare", "benchmarks.twilio_webhook:bare_app", {}, workdir, sizes
            )
            for name, sync in (("insert", "NORMAL"), ("insert_full", "FULL")):
                runs[name] = run_server(
                    name,
                    "benchmarks.twilio_webhook:insert_app",
                    {"BENCH_SQLITE": str(workdir / f"{name}.db"), "BENCH_SQLITE_SYNC": sync},
                    workdir,
                    sizes,
                )
        runs["survey"] = run_server(
            "survey",
            "bots.app:create_app",
            survey_env,
            workdir,
            sizes,
            workers=args.workers,
            profile=args.profile,
        )
    if not args.skip_baselines:
        report(runs, CONCURRENCY, target=0.55)


if __name__ == "__main__":
    main()
