"""Telegram webhook throughput and latency, against two baselines measured in the same run.

One uvicorn worker (a subprocess) on SQLite; the load comes from this process (a lean asyncio
HTTP/1.1 client, see benchmarks.harness.Connection) at 1, 8 and 32 concurrent senders, each on its
own keep-alive connection, over loopback; the collector is off while it measures.
Every survey request is a real Telegram
update with the secret-token header, for a different open NPS invitation (pre-created, one chat
each): a mix of button presses (callback queries) and typed answers ("negen", "8"), and for a
quarter a tap on a detractor score followed by the typed comment. A tap's callback answer rides
on the webhook response, and so does the thanks for a typed answer; the one deferred call of
each conversation (the edit of a tapped question, or taking a typed-over question's buttons
away) is made by the durable outbox, against a no-latency fake Bot API in another local
subprocess. A level ends when the fake has seen every deferred call, not at the last reply.

Baselines, same server flags, same request bodies:
  bare    FastAPI endpoint that parses the JSON update and returns a constant sendMessage
  insert  the same plus one SQLite INSERT + COMMIT (WAL, synchronous=NORMAL, as surveybot uses)
  FULL    the insert baseline at synchronous=FULL (an fsync per commit), for comparison

    .venv/bin/python -m benchmarks.telegram_webhook [--requests 400,1500,3000] [--restart]
        [--profile FILE] [--skip-baselines]

`--restart`: after the levels, one more run at 32 clients that stops the server (SIGTERM, as a
deploy does) halfway, while deferred calls still wait, starts a new one on the same database
and sends the rest; it counts the deferred calls made against those planned (lost, or twice).

Writes nothing outside a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from benchmarks.harness import (
    CONCURRENCY,
    WARMUP,
    Post,
    Result,
    Server,
    baseline_sqlite,
    free_port,
    load,
    loadavg,
    parse_sizes,
    report,
    run_levels,
    sent_invitation,
)

PATH = "/webhooks/telegram"
TOKEN = "123456:TEST-fake-token-abcdefghijklmnop"  # what the fake Bot API accepts
WEBHOOK_SECRET = "benchmark-webhook-secret_0123456789"
SECRET_KEY = "benchmark-secret-key-0123456789abcdef-0123"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_CHAT = 700_000_000
# Deferred Bot API calls per conversation: the edit of a tapped question (its callback answer
# and the thanks ride on the reply), or removing a typed-over question's buttons.
CALLS_PER_CONVERSATION = 1
SKIPPED_STATS = frozenset({"repeated", "getMe"})
CONSTANT_REPLY = {"method": "sendMessage", "chat_id": 1, "text": "Bedankt voor je antwoord!"}


# -- the two baseline apps (imported by uvicorn in the server subprocess) -------------------


def _update_or_400(body: bytes) -> dict[str, Any] | None:
    update = json.loads(body)
    return update if isinstance(update, dict) and "update_id" in update else None


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post(PATH)
    async def webhook(request: Request) -> Response:
        if _update_or_400(await request.body()) is None:
            return Response(status_code=400)
        return JSONResponse(CONSTANT_REPLY)

    return app


def insert_app() -> FastAPI:
    connection = baseline_sqlite(
        "CREATE TABLE IF NOT EXISTS inbound (id INTEGER PRIMARY KEY, update_id INTEGER UNIQUE, "
        "body TEXT, received_at REAL)"
    )
    app = FastAPI()

    @app.post(PATH)
    async def webhook(request: Request) -> Response:
        body = await request.body()
        update = _update_or_400(body)
        if update is None:
            return Response(status_code=400)
        connection.execute("BEGIN")
        connection.execute(
            "INSERT INTO inbound (update_id, body, received_at) VALUES (?, ?, ?)",
            (update["update_id"], body.decode(), time.time()),
        )
        connection.execute("COMMIT")
        return JSONResponse(CONSTANT_REPLY)

    return app


# -- setup ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Survey:
    chat_id: int
    invitation_id: str
    question: str


def prepare_surveys(database: Path, count: int) -> list[Survey]:
    """`count` open NPS invitations on Telegram, one chat each, through the real service."""
    from bots.container import build  # noqa: PLC0415
    from bots.settings import Settings  # noqa: PLC0415
    from flows.ports import SendResult  # noqa: PLC0415
    from flows.service import NewInvitation  # noqa: PLC0415
    from scoring.channels import Channel  # noqa: PLC0415

    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{database}",
        secret_key=SECRET_KEY,
    )
    container = build(settings)
    service = container.service
    question = service.render.question(service.flow("nps"), Channel.TELEGRAM, "nl").text
    surveys = []
    try:
        for i in range(count):
            chat_id = FIRST_CHAT + i
            new = NewInvitation(Channel.TELEGRAM, str(chat_id), flow_id="nps", locale="nl")
            # Telegram counts message ids per chat: each chat's question is its message 1, as
            # the taps below say, and its buttons are live until the answer takes them away.
            sent = SendResult("1", "sent", buttons_live=True)
            public_id = sent_invitation(container, new, sent)
            surveys.append(Survey(chat_id, public_id, question))
    finally:
        container.close()
    return surveys


class Updates:
    """Telegram updates as the Bot API sends them, with unique update_ids."""

    def __init__(self) -> None:
        self.next_id = 1

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def text(self, chat_id: int, text: str) -> bytes:
        update_id = self._id()
        person = {"id": chat_id, "is_bot": False, "first_name": "Klant", "language_code": "nl"}
        message = {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Klant"},
            "from": person,
            "text": text,
        }
        return json.dumps({"update_id": update_id, "message": message}).encode()

    def tap(self, survey: Survey, value: int) -> bytes:
        from flows.buttons import encode  # noqa: PLC0415

        update_id = self._id()
        chat = {"id": survey.chat_id, "type": "private", "first_name": "Klant"}
        bot = {"id": 123456, "is_bot": True, "first_name": "Acme", "username": "acme_survey_bot"}
        message = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": chat,
            "from": bot,
            "text": survey.question,
        }
        query = {
            "id": f"cbq-{update_id}",
            "from": {"id": survey.chat_id, "is_bot": False, "first_name": "Klant"},
            "chat_instance": f"ci-{survey.chat_id}",
            "message": message,
            "data": encode(survey.invitation_id, value),
        }
        return json.dumps({"update_id": update_id, "callback_query": query}).encode()


def conversations(surveys: list[Survey], updates: Updates) -> list[list[bytes]]:
    """Per survey, the updates one customer sends, in order (a follow-up needs its score)."""
    out = []
    for i, survey in enumerate(surveys):
        match i % 4:
            case 0:  # a detractor by button, then the comment
                out.append(
                    [updates.tap(survey, 3), updates.text(survey.chat_id, "Veel te lang gewacht")]
                )
            case 1:
                out.append([updates.tap(survey, 9)])
            case 2:
                out.append([updates.text(survey.chat_id, "negen")])
            case _:
                out.append([updates.text(survey.chat_id, "8")])
    return out


def take(pool: list[list[bytes]], requests: int) -> list[list[bytes]]:
    """Whole conversations from the front of the pool, about `requests` updates in all."""
    batch, total = [], 0
    while total < requests and pool:
        conversation = pool.pop(0)
        batch.append(conversation)
        total += len(conversation)
    return batch


# -- load -------------------------------------------------------------------------------------


def requests(batch: list[list[bytes]]) -> list[list[Post]]:
    headers = {"Content-Type": "application/json", SECRET_HEADER: WEBHOOK_SECRET}
    return [[(body, headers) for body in conversation] for conversation in batch]


def answered(status: int, reply: bytes) -> bool:
    """Every update gets its reply in the webhook response: the callback answer for a tap,
    a sendMessage for typed text (the baselines answer everything with a sendMessage)."""
    return status == 200 and (b"sendMessage" in reply or b"answerCallbackQuery" in reply)


def bot_api_stats(fake_port: int) -> dict[str, int]:
    url = f"http://127.0.0.1:{fake_port}/stats"
    with urllib.request.urlopen(url, timeout=5) as reply:
        stats: dict[str, int] = json.load(reply)
    return stats


def bot_api_calls(fake_port: int) -> int:
    """How many calls the fake Bot API has answered so far (getMe, each start-up's, aside)."""
    return sum(n for name, n in bot_api_stats(fake_port).items() if name not in SKIPPED_STATS)


def wait_for_calls(fake_port: int, expected: int, timeout: float = 60.0) -> float:
    """Seconds until the fake has answered `expected` calls (the server's outbox drained)."""
    started = time.perf_counter()
    while bot_api_calls(fake_port) < expected:
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"the outbox did not drain in {timeout:.0f} s")
        time.sleep(0.005)
    return time.perf_counter() - started


def run_server(
    name: str,
    server: Server,
    pool: list[list[bytes]],
    sizes: list[int],
    fake_port: int | None = None,
) -> list[Result]:
    """Run every level. With `fake_port` (the survey server), a level ends when the outbox has
    made every Bot API call its updates asked for, not at the last reply: the callback answer
    and the edit of each tapped question are made after the reply."""

    def work_for(size: int) -> list[list[Post]]:
        return requests(take(pool, size))

    def drained(work: list[list[Post]]) -> Callable[[], float]:
        assert fake_port is not None  # noqa: S101
        time.sleep(0.5)  # the warm-up's or the previous level's calls are all in
        expected = bot_api_calls(fake_port) + CALLS_PER_CONVERSATION * len(work)
        return lambda: wait_for_calls(fake_port, expected)

    settle = drained if fake_port is not None else None
    return run_levels(name, server, PATH, sizes, work_for, ok=answered, settle=settle)


def restart_run(
    env: dict[str, str], workdir: Path, pool: list[list[bytes]], size: int, fake_port: int
) -> tuple[int, int, int]:
    """Half the work, a graceful stop while calls wait, a new server, the other half.

    Returns (deferred calls planned, calls the fake saw, calls it saw twice).
    """
    work = requests(take(pool, size))
    half = len(work) // 2
    time.sleep(0.5)
    before = bot_api_calls(fake_port)
    repeated_before = bot_api_stats(fake_port).get("repeated", 0)
    for part in (work[:half], work[half:]):
        server = Server.uvicorn("bots.app:create_app", free_port(), env, workdir)
        try:
            server.wait_ready()
            asyncio.run(load(server.port, PATH, part, CONCURRENCY[-1], answered))
        finally:
            stopping = time.perf_counter()
            server.stop()  # SIGTERM: what is not made yet stays in the table
        print(
            f"  restart: {bot_api_calls(fake_port) - before} calls made so far; the server "
            f"took {time.perf_counter() - stopping:.1f} s to stop (killed after 15 s)",
            flush=True,
        )
    server = Server.uvicorn("bots.app:create_app", free_port(), env, workdir)
    try:
        server.wait_ready()
        planned = CALLS_PER_CONVERSATION * len(work)
        with contextlib.suppress(RuntimeError):
            wait_for_calls(fake_port, before + planned, timeout=60)
        time.sleep(1.0)  # room for a call made twice to show
        twice = bot_api_stats(fake_port).get("repeated", 0) - repeated_before
        return planned, bot_api_calls(fake_port) - before, twice
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests",
        default="400,1500,3000",
        help="updates per level for concurrency 1,8,32 (default %(default)s)",
    )
    parser.add_argument(
        "--restart", action="store_true", help="also count calls lost over a restart"
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy the survey server into this file (collapsed stacks)"
    )
    parser.add_argument(
        "--skip-baselines", action="store_true", help="the survey server only (no ratios)"
    )
    parser.add_argument(
        "--restart-requests", type=int, default=2000, help="updates in the restart run"
    )
    args = parser.parse_args()
    sizes = parse_sizes(parser, args.requests, len(CONCURRENCY))
    print(loadavg())
    # A conversation is 1.25 updates on average; prepare enough for every level and the warm-up.
    extra = args.restart_requests if args.restart else 0
    survey_count = int((WARMUP + sum(sizes) + extra) / 1.25) + 8

    with tempfile.TemporaryDirectory(prefix="surveybot-bench-") as tmp:
        workdir = Path(tmp)
        database = workdir / "surveybot.db"
        started = time.perf_counter()
        surveys = prepare_surveys(database, survey_count)
        took = time.perf_counter() - started
        print(f"prepared {survey_count} open Telegram surveys in {took:.1f} s")

        def pool() -> list[list[bytes]]:
            return conversations(surveys, Updates())

        survey_pool = pool()

        fake_port = free_port()
        fake = Server(
            [sys.executable, "-m", "tests.e2e.telegram.fake_bot_api", str(fake_port)],
            fake_port,
            {},
            workdir,
        )
        try:
            fake.wait_ready()
            survey_env = {
                "SURVEYBOT_DATABASE_URL": f"sqlite:///{database}",
                "SURVEYBOT_SECRET_KEY": SECRET_KEY,
                "SURVEYBOT_LOG_LEVEL": "WARNING",
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{fake_port}/bot",
            }
            target = "benchmarks.telegram_webhook"
            runs: dict[str, list[Result]] = {}
            if not args.skip_baselines:
                runs["bare"] = run_server(
                    "bare",
                    Server.uvicorn(f"{target}:bare_app", free_port(), {}, workdir),
                    pool(),
                    sizes,
                )
                for name, sync in (("insert", "NORMAL"), ("insert_full", "FULL")):
                    env = {"BENCH_SQLITE": str(workdir / f"{name}.db"), "BENCH_SQLITE_SYNC": sync}
                    runs[name] = run_server(
                        name,
                        Server.uvicorn(f"{target}:insert_app", free_port(), env, workdir),
                        pool(),
                        sizes,
                    )
            runs["survey"] = run_server(
                "survey",
                Server.uvicorn(
                    "bots.app:create_app", free_port(), survey_env, workdir, profile=args.profile
                ),
                survey_pool, sizes, fake_port,
            )  # fmt: skip
            restart = (
                restart_run(survey_env, workdir, survey_pool, args.restart_requests, fake_port)
                if args.restart
                else None
            )
        finally:
            fake.stop()
    if not args.skip_baselines:
        report(runs, CONCURRENCY, target=0.4)
    if restart is not None:
        planned, made, twice = restart
        print(
            f"restart halfway at {CONCURRENCY[-1]} clients: {planned} deferred calls planned, "
            f"{made} made, {twice} of them a second time; "
            f"{max(planned - (made - twice), 0)} lost"
        )


if __name__ == "__main__":
    main()
