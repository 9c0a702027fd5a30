"""Core throughput: the normaliser on the answer corpus, and engine + storage on SQLite.

Engine + storage is reported as a ratio to a bare SQLite INSERT+COMMIT loop measured in the same
run at the same durability (WAL, synchronous=NORMAL), so the figure travels between machines.

    .venv/bin/python -m benchmarks.core_throughput [--answers 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sqlite3
import tempfile
import time
from pathlib import Path

from bots.container import build
from bots.dispatch import deliver
from bots.settings import Settings
from flows.loader import load_bundled_flows
from flows.ports import Outbound, SendResult
from flows.service import Inbound, NewInvitation
from scoring.channels import Channel
from scoring.normalise import normalise

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "answers.tsv"


class NullSender:
    async def send(self, message: Outbound) -> SendResult:
        return SendResult(f"SM{message.invitation_id.replace('-', '')}", "queued")


def _channel(name: str) -> str:
    return Channel.VOICE if name == "keypad" else name  # the voice channel's keypad digits


def normaliser_rate(seconds: float = 2.0) -> tuple[float, int, float]:
    """Answers/s over the corpus: by the wall clock, and per second of this process's CPU.

    The normaliser is single-threaded, so the CPU figure is its speed on one core even when
    other processes share the machine; the wall-clock figure is what this run saw.
    """
    flows = load_bundled_flows()
    with CORPUS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    cases = [
        (r["input"], flows[r["flow"]].scale, r["locale"], _channel(r["channel"])) for r in rows
    ]
    done, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        for text, scale, locale, channel in cases:
            normalise(text, scale, locale=locale, channel=channel)
        done += len(cases)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return done / wall, len(cases), done / cpu


def baseline_insert_commit(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE answer (id INTEGER PRIMARY KEY, address TEXT, body TEXT, value INT)")
    start = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO answer (address, body, value) VALUES (?, ?, ?)", (f"+3161{i:07d}", "9", 9)
        )
        conn.execute("COMMIT")
    rate = n / (time.perf_counter() - start)
    conn.close()
    return rate


def engine_storage_rate(path: Path, n: int) -> float:
    settings = Settings(_env_file=None, database_url=f"sqlite:///{path}", secret_key="x" * 40)  # type: ignore[call-arg]
    container = build(settings, senders={"sms": NullSender()})
    service = container.service
    phones = [f"+3161{i:07d}" for i in range(n)]

    async def invite_all() -> None:
        for phone in phones:
            invitation = service.create_invitation(NewInvitation(Channel.SMS, phone, flow_id="nps"))
            await deliver(container, invitation.public_id)

    asyncio.run(invite_all())
    start = time.perf_counter()
    for i, phone in enumerate(phones):
        service.receive(Inbound(Channel.SMS, phone, "negen", provider="twilio", event_key=f"SM{i}"))
    rate = n / (time.perf_counter() - start)
    container.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=2000)
    args = parser.parse_args()
    norm_rate, corpus_size, norm_cpu_rate = normaliser_rate()
    with tempfile.TemporaryDirectory() as tmp:
        base = baseline_insert_commit(Path(tmp) / "baseline.db", args.answers)
        core = engine_storage_rate(Path(tmp) / "surveybot.db", args.answers)
    print(
        f"normaliser: {norm_rate:,.0f} answers/s ({norm_cpu_rate:,.0f} per CPU-second, one core) "
        f"over the {corpus_size}-answer corpus"
    )
    print(f"baseline SQLite INSERT+COMMIT: {base:,.0f} rows/s")
    print(f"engine + storage (event, state and response, one transaction): {core:,.0f} answers/s")
    print(f"ratio engine+storage / baseline: {core / base:.2f}")


if __name__ == "__main__":
    main()
