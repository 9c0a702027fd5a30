"""Run surveybot as real processes: app instances and workers sharing one PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO

import httpx

SURVEYBOT = str(Path(sys.executable).parent / "surveybot")
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "reliability-auth-token"
ADMIN_TOKEN = "reliability-admin-token-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """App instances and send workers as subprocesses; everything stops on exit."""

    def __init__(self, database_url: str, twilio_url: str, workdir: Path, **settings: str) -> None:
        self.workdir = workdir
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[BinaryIO] = []
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("SURVEYBOT_", "TWILIO_"))
        }
        self.env |= {
            "SURVEYBOT_DATABASE_URL": database_url,
            "SURVEYBOT_ADMIN_TOKEN": ADMIN_TOKEN,
            "SURVEYBOT_SECRET_KEY": "reliability-secret-key-0123456789-abcdef",
            "SURVEYBOT_SEND_WINDOW": "off",
            "SURVEYBOT_COOLDOWN_DAYS": "0",
            "SURVEYBOT_ONE_OPEN_SURVEY": "false",
            "SURVEYBOT_REMINDER_HOURS": "0",
            "SURVEYBOT_IN_PROCESS_WORKER": "false",
            "SURVEYBOT_LOG_LEVEL": "WARNING",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": twilio_url,
            "TWILIO_SMS_FROM": "+3197010000000",
        }
        self.env |= settings

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        self.logs.append(log)
        process = subprocess.Popen(  # noqa: S603
            [SURVEYBOT, *args], cwd=self.workdir, env=self.env, stdout=log, stderr=log
        )
        self.processes.append(process)
        return process

    def start_app(self) -> str:
        port = free_port()
        self._spawn(["serve", "--port", str(port)], f"app-{port}")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"app on {port} did not start; see {self.workdir}")

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        return self._spawn(["worker"], name)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()
