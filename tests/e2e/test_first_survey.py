"""The README's first survey, run as a newcomer runs it: its own commands, in a shell.

`surveybot dev-fakes` and the server run as real processes; the README's curl commands go
through bash. Only the ports change, so that parallel test runs don't collide.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def _shell_blocks(section: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Newcomer:
    home: Path
    fakes: subprocess.Popen[str]
    fake_port: int
    server_port: int
    env: dict[str, str]

    def localise(self, commands: str) -> str:
        """The README's commands with this run's ports and virtualenv."""
        return (
            commands.replace(".venv/bin/", f"{BIN}/")
            .replace("127.0.0.1:8000", f"127.0.0.1:{self.server_port}")
            .replace("127.0.0.1:8010", f"127.0.0.1:{self.fake_port}")
        )

    def run(self, commands: str) -> str:
        script = "set -euo pipefail\n" + self.localise(commands)
        result = subprocess.run(  # noqa: S603
            ["bash", "-c", script],  # noqa: S607
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout


def _clean_env() -> dict[str, str]:
    """The user's shell: no surveybot or channel settings of the test run leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SURVEYBOT_", "TWILIO_", "TELEGRAM_"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _wait_up(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args!r} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture
def newcomer(tmp_path: Path) -> Iterator[Newcomer]:
    blocks = _shell_blocks(_section("First survey in five minutes"))
    fakes_cmd = blocks[0].split("#")[0].strip()
    server_cmd = blocks[1].split("#")[0].strip()
    assert fakes_cmd == ".venv/bin/surveybot dev-fakes"
    assert server_cmd == 'eval "$(.venv/bin/surveybot dev-fakes --env)" && make run'
    fake_port, server_port = _free_port(), _free_port()
    ports = ["--port", str(fake_port), "--server", f"http://127.0.0.1:{server_port}"]
    env = _clean_env()
    fakes = subprocess.Popen(  # noqa: S603
        [f"{BIN}/surveybot", "dev-fakes", *ports],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # What `make run` does, after the README's eval: init (first run), migrate, serve.
    log = (tmp_path / "server.log").open("w", encoding="utf-8")
    exports = f'eval "$(surveybot dev-fakes --env {shlex.join(ports)})"'
    server = subprocess.Popen(  # noqa: S603
        [  # noqa: S607  (bash from PATH, as a user runs it)
            "bash",
            "-c",
            f"{exports} && surveybot init && surveybot db upgrade "
            f"&& exec surveybot serve --port {server_port}",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_up(f"http://127.0.0.1:{fake_port}/phone/sms", fakes)
        _wait_up(f"http://127.0.0.1:{server_port}/healthz", server)
        yield Newcomer(tmp_path, fakes, fake_port, server_port, env)
    finally:
        for process in (server, fakes):
            process.terminate()
            try:
                process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
        log.close()


def _surveys(home: Path) -> dict[str, tuple[str, int | None, str | None]]:
    """Per channel: the invitation's status, its score and its comment."""
    with sqlite3.connect(home / "surveybot.db") as db:
        rows = db.execute(
            "SELECT i.channel, i.status, r.value, c.text FROM invitation i "
            "LEFT JOIN response r ON r.invitation_id = i.id "
            "LEFT JOIN comment c ON c.response_id = r.id"
        ).fetchall()
    return {channel: (status, value, text) for channel, status, value, text in rows}


def test_newcomer_completes_sms_voice_and_telegram_surveys_from_the_readme(
    newcomer: Newcomer,
) -> None:
    """Following the README, a first SMS, voice and Telegram survey each complete."""
    sms, voice, telegram = _shell_blocks(_section("First survey in five minutes"))[2:5]
    said = newcomer.run(sms + voice + telegram)

    assert "Bedankt. Wat kunnen we verbeteren?" in said
    assert "Bedankt voor je toelichting. We gaan ermee aan de slag." in said
    assert "Wat jammer. Vertel ons in een paar woorden wat er beter had gekund." in said
    assert "(the call ended)" in said
    assert "Thank you for your answer!" in said
    deadline = time.monotonic() + 10
    while (surveys := _surveys(newcomer.home)).get("voice", ("",))[0] != "completed":
        assert time.monotonic() < deadline, surveys
        time.sleep(0.1)
    assert surveys == {
        "sms": ("completed", 6, "Sneller antwoorden graag"),
        "voice": ("completed", 2, "Ik werd drie keer doorverbonden"),
        "telegram": ("completed", 9, None),
    }


def test_dev_fakes_terminal_shows_what_customers_are_sent(newcomer: Newcomer) -> None:
    """The fakes' terminal shows each question as the customer gets it, and the next steps."""
    sms = _shell_blocks(_section("First survey in five minutes"))[2]
    newcomer.run(sms)
    newcomer.fakes.terminate()
    shown = newcomer.fakes.communicate(timeout=10)[0]
    assert 'eval "$(.venv/bin/surveybot dev-fakes --env --port' in shown
    assert (
        "sms to +31612345678: Hoe waarschijnlijk is het dat je Acme aanbeveelt aan vrienden of "
        "collega's?"
    ) in shown
    assert "sms to +31612345678: Bedankt. Wat kunnen we verbeteren?" in shown
