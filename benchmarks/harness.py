"""Shared by the webhook benchmarks: a server subprocess on 127.0.0.1 and the result figures."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bots.container import Container
    from flows.ports import SendResult
    from flows.service import NewInvitation

REPO = Path(__file__).resolve().parents[1]


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
    def uvicorn(cls, target: str, port: int, env: dict[str, str], workdir: Path) -> Server:
        command = [
            sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1",
            "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        return cls(command, port, env, workdir)

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
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


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

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def line(self, name: str) -> str:
        """One progress line, as each level finishes."""
        return (
            f"  {name:<8} c={self.concurrency:<3} {self.rate:8.0f}/s  "
            f"p50 {self.percentile(50):6.2f} ms  p99 {self.percentile(99):6.2f} ms  "
            f"errors {self.errors}  client CPU {self.client_cpu:4.0%}"
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


def report(runs: dict[str, list[Result]], levels: tuple[int, ...], target: float) -> None:
    """The table of the survey server against both baselines, and the target check."""
    print()
    print("| senders | survey /s | p50 ms | p99 ms | bare /s | insert /s | vs bare | vs insert |")
    print("|--------:|----------:|-------:|-------:|--------:|----------:|--------:|----------:|")
    for i, concurrency in enumerate(levels):
        survey, bare, insert = runs["survey"][i], runs["bare"][i], runs["insert"][i]
        print(
            f"| {concurrency:>7} | {survey.rate:9.0f} | {survey.percentile(50):6.2f} | "
            f"{survey.percentile(99):6.2f} | {bare.rate:7.0f} | {insert.rate:9.0f} | "
            f"{survey.rate / bare.rate:7.0%} | {survey.rate / insert.rate:9.0%} |"
        )
    errors = sum(r.errors for results in runs.values() for r in results)
    last = runs["survey"][-1]
    ratio = last.rate / runs["insert"][-1].rate
    print(
        f"\ntarget at {levels[-1]} senders: >= {target:.0%} of insert baseline ({ratio:.0%}), "
        f"p99 <= 30 ms ({last.percentile(99):.1f} ms); errors: {errors}"
    )
