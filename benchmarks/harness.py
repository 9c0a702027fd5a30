"""Shared by the webhook benchmarks: a server subprocess on 127.0.0.1 and the result figures."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bots.container import Container
    from flows.ports import SendResult
    from flows.service import NewInvitation

REPO = Path(__file__).resolve().parents[1]
CONCURRENCY = (1, 8, 32)  # senders at each level of the webhook benchmarks
WARMUP = 100  # requests before the first measured level


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A subprocess on 127.0.0.1 (`uvicorn --factory <target>`: one worker, no access log)."""

    def __init__(self, command: list[str], port: int, env: dict[str, str], workdir: Path) -> None:
        self.port = port
        full_env = {**os.environ, "PYTHONPATH": str(REPO), **env}
        # cwd is the temporary directory, so no stray .env file is picked up.
        self.process = subprocess.Popen(command, cwd=workdir, env=full_env)  # noqa: S603

    @classmethod
    def uvicorn(
        cls,
        target: str,
        port: int,
        env: dict[str, str],
        workdir: Path,
        workers: int = 1,
        *,
        profile: Path | None = None,
    ) -> Server:
        """`profile`: run it under py-spy (a dev dependency), collapsed stacks to that file;
        `python -m benchmarks.profile_summary FILE` prints the top costs."""
        command = [
            sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--no-access-log",
            "--log-level", "warning",
        ]  # fmt: skip
        if profile is not None:
            spy = str(Path(sys.executable).with_name("py-spy"))
            command = [spy, "record", "--rate", "250", "--format", "raw", "--subprocesses",
                       "--output", str(profile.resolve()), "--", *command]  # fmt: skip
        return cls(command, port, env, workdir)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its worker processes (Linux /proc)."""
        return sum(_cpu_of(pid) for pid in _family(self.process.pid))

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        # Under py-spy the server is its child: stop the server, and py-spy writes its file.
        children = [pid for pid in _family(self.process.pid) if pid != self.process.pid]
        if children and Path(self.process.args[0]).name == "py-spy":  # type: ignore[index]
            for pid in children[:1]:
                os.kill(pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            else:
                return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _family(root: int) -> list[int]:
    """The process and every descendant (uvicorn --workers N forks its workers)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    family, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        family += frontier
    return family


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    """The machine's load (1, 5, 15 min): it is shared, so say how busy it was."""
    return "load " + "/".join(f"{x:.1f}" for x in os.getloadavg())


@contextmanager
def quiet_collector() -> Iterator[None]:
    """No garbage collection in the load generator while it measures.

    A full collection in this process stalls every request in flight, and that stall lands in
    the server's latency: in a 6,000-update run it put 96 requests above 60 ms, all in three
    bursts of exactly 32 (one per sender), and doubled the p99.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def sent_invitation(container: Container, new: NewInvitation, result: SendResult) -> str:
    """An invitation as the send worker leaves it: question sent, its send job done.

    Left queued, the jobs would be claimed by the server's in-process worker while the load
    runs, and that sweep would be measured too. Returns the invitation's public id.
    """
    from scoring import queue  # noqa: PLC0415

    service, engine = container.service, container.db.engine
    invitation = service.create_invitation(new)
    service.mark_sent(invitation.public_id, result)
    assert invitation.id is not None  # noqa: S101
    job_id = queue.job_for(engine, invitation.id)
    if job_id is not None:
        queue.finish_many(engine, [job_id], service.clock())
    return invitation.public_id


# -- the load generator -----------------------------------------------------------------------

# One request: its body and its own headers (Content-Type included).
Post = tuple[bytes, dict[str, str]]


class Connection:
    """One keep-alive HTTP/1.1 connection that writes each request in a single write.

    The load generator has to be much cheaper than the servers it measures. httpx, used here
    before, costs ~0.45 ms of CPU per request: at 32 senders it ran at 99% of a core and capped
    the bare and INSERT baselines at ~2,100/s, a quarter of what they serve (ratios against them
    looked four times better than they are). It also writes headers and body separately, so a
    busy server sometimes starts a request a loop turn before its body arrives. This client
    costs a few microseconds a request; it reads the replies our servers send (Content-Length,
    no chunking) and refuses anything else.
    """

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int
    ) -> None:
        self.reader, self.writer = reader, writer
        self.host = f"127.0.0.1:{port}"  # Twilio's signature covers the URL, port included

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, port)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        lines = [f"POST {path} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in {b"\r\n", b""}:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"transfer-encoding":
                raise RuntimeError("chunked replies are not read by this load generator")
        return status, await self.reader.readexactly(length) if length else b""

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def load(
    port: int,
    path: str,
    work: Iterable[list[Post]],
    concurrency: int,
    ok: Callable[[int, bytes], bool],
) -> Result:
    """`concurrency` senders, each with its own connection, take items off `work` in turn and
    post an item's requests in order (a conversation: a comment follows its score)."""
    latencies: list[float] = []
    errors = 0
    todo = iter(work)
    connections = [await Connection.open(port) for _ in range(concurrency)]

    async def sender(connection: Connection) -> None:
        nonlocal errors
        for item in todo:
            for body, headers in item:
                started = time.perf_counter()
                status, reply = await connection.post(path, body, headers)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not ok(status, reply)

    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(sender(connection) for connection in connections))
        seconds = time.perf_counter() - started
        client_cpu = (time.process_time() - cpu_started) / seconds
    finally:
        for connection in connections:
            await connection.close()
    return Result(concurrency, len(latencies), seconds, latencies, errors, client_cpu)


# Called before a level with its work; what it returns is called right after the load, still
# inside the measured window, and gives the seconds the server took to finish deferred work.
Settle = Callable[[list[list[Post]]], Callable[[], float]]


def run_levels(
    name: str,
    server: Server,
    path: str,
    sizes: list[int],
    work_for: Callable[[int], list[list[Post]]],
    *,
    ok: Callable[[int, bytes], bool],
    settle: Settle | None = None,
) -> list[Result]:
    """Warm the server up, run each concurrency level against it, stop it."""
    try:
        server.wait_ready()
        asyncio.run(load(server.port, path, work_for(WARMUP), 4, ok))
        results = []
        for concurrency, size in zip(CONCURRENCY, sizes, strict=True):
            work = work_for(size)
            finish = settle(work) if settle is not None else None
            with quiet_collector():
                cpu_before = server.cpu_seconds()
                result = asyncio.run(load(server.port, path, work, concurrency, ok))
                if finish is not None:
                    waited = finish()
                    result = replace(
                        result, seconds=result.seconds + waited, deferred_seconds=waited
                    )
                server_cpu = server.cpu_seconds() - cpu_before
            result = replace(
                result, server_cpu_ms=server_cpu * 1000 / max(result.requests, 1), load=loadavg()
            )
            results.append(result)
            print(result.line(name), flush=True)
        return results
    finally:
        server.stop()


def baseline_sqlite(schema: str) -> sqlite3.Connection:
    """The INSERT baseline's database: WAL and synchronous=NORMAL, as surveybot runs SQLite."""
    connection = sqlite3.connect(
        os.environ["BENCH_SQLITE"], isolation_level=None, check_same_thread=False
    )
    connection.execute("PRAGMA journal_mode=WAL")
    # NORMAL is surveybot's setting; FULL (an fsync per commit) is printed beside it.
    sync = os.environ.get("BENCH_SQLITE_SYNC", "NORMAL")
    if sync not in {"NORMAL", "FULL"}:
        raise ValueError(f"BENCH_SQLITE_SYNC: {sync}")
    connection.execute(f"PRAGMA synchronous={sync}")
    connection.execute(schema)
    return connection


@dataclass(frozen=True)
class Result:
    concurrency: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    # Share of one core the load generator itself used: near 100%, the figures are the load
    # generator's limit as much as the server's (the machine's cores are shared).
    client_cpu: float = 0.0
    # Work the server deferred past its last reply (calls to a fake provider), in seconds; it
    # is counted in `seconds`, so the rate is what the server sustains, not just its replies.
    deferred_seconds: float = 0.0
    server_cpu_ms: float = 0.0  # the server's CPU per request (all its processes)
    load: str = ""  # the machine's load average when the level ended

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def line(self, name: str) -> str:
        """One progress line, as each level finishes."""
        deferred = self.deferred_seconds * 1000
        return (
            f"  {name:<8} c={self.concurrency:<3} {self.rate:8.0f}/s  "
            f"p50 {self.percentile(50):6.2f} ms  p99 {self.percentile(99):6.2f} ms  "
            f"errors {self.errors}  client CPU {self.client_cpu:4.0%}  "
            f"server CPU {self.server_cpu_ms:.2f} ms/req  {self.load}"
            + (f"  deferred calls done +{deferred:.0f} ms" if deferred else "")
        )

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def parse_sizes(parser: argparse.ArgumentParser, text: str, levels: int) -> list[int]:
    """`--requests 400,1500,3000`: one request count per concurrency level."""
    sizes = [int(n) for n in text.split(",")]
    if len(sizes) != levels:
        parser.error(f"give {levels} counts, one per concurrency level")
    return sizes


def _cpu_ratio(ceiling: Result, survey: Result) -> str:
    if not survey.server_cpu_ms or not ceiling.server_cpu_ms:
        return "n/a"
    return f"{ceiling.server_cpu_ms / survey.server_cpu_ms:.0%}"


def report(runs: dict[str, list[Result]], levels: tuple[int, ...], target: float) -> None:
    """The table of the survey server against the baselines, and the target check.

    `insert` is the ceiling at surveybot's durability (WAL, synchronous=NORMAL); `insert_full`,
    when measured, the same with synchronous=FULL (an fsync per commit).
    """
    full = "insert_full" in runs
    print()
    print(
        "| senders | survey /s | p50 ms | p99 ms | CPU ms/req | bare /s | insert /s "
        + ("| FULL /s " if full else "")
        + "| vs bare | vs insert | CPU vs insert |"
    )
    print(
        "|--------:|----------:|-------:|-------:|-----------:|--------:|----------:"
        + ("|--------:" if full else "")
        + "|--------:|----------:|--------------:|"
    )
    for i, concurrency in enumerate(levels):
        survey, bare, insert = runs["survey"][i], runs["bare"][i], runs["insert"][i]
        print(
            f"| {concurrency:>7} | {survey.rate:9.0f} | {survey.percentile(50):6.2f} | "
            f"{survey.percentile(99):6.2f} | {survey.server_cpu_ms:10.2f} | {bare.rate:7.0f} | "
            f"{insert.rate:9.0f} "
            + (f"| {runs['insert_full'][i].rate:7.0f} " if full else "")
            + f"| {survey.rate / bare.rate:7.0%} | {survey.rate / insert.rate:9.0%} "
            + f"| {_cpu_ratio(insert, survey):>13} |"
        )
    errors = sum(r.errors for results in runs.values() for r in results)
    client = max(r.client_cpu for results in runs.values() for r in results)
    last = runs["survey"][-1]
    ratio = last.rate / runs["insert"][-1].rate
    print(
        "\nsurveybot runs SQLite in WAL mode with synchronous=NORMAL: the `insert` ceiling is at "
        "that durability" + ("; `FULL` is the same ceiling with synchronous=FULL." if full else ".")
    )
    print(f"load generator CPU at most {client:.0%} of a core; {loadavg()}")
    print(
        "`CPU vs insert`: the ceiling's server CPU per request over surveybot's. On a busy "
        "machine it moves less than the rates do, which also count time the server waited "
        "for a core."
    )
    print(
        f"target at {levels[-1]} senders: >= {target:.0%} of insert baseline ({ratio:.0%}), "
        f"p99 <= 30 ms ({last.percentile(99):.1f} ms); errors: {errors}"
    )
