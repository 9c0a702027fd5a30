"""Operations over real HTTP: erasure via the API and the CLI, /metrics, and production logs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session, select

from bots.container import Container, build
from bots.settings import Settings
from scoring.tables import Comment, Contact, InvitationStatus, JobStatus, OutboundMessage, SendJob
from tests.conftest import (
    SECRET_KEY,
    LiveServer,
    admin_headers,
    make_settings,
    viewer_headers,
)
from tests.integration.test_privacy import seed

PHONE = "+31612345678"
OTHER = "+31687654321"
SURVEYBOT = str(Path(sys.executable).parent / "surveybot")
MESSAGING = "/webhooks/twilio/messaging"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Twilio configured (so its webhook routes exist); no in-process worker touching the queue."""
    return make_settings(
        database_url,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="test-twilio-auth-token-0123456789",
        twilio_api_base_url="http://127.0.0.1:9",
        twilio_sms_from="+3197010000001",
        public_url="https://surveys.example.com",
        in_process_worker=False,
    )


def samples(base_url: str, **kwargs: object) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """/metrics parsed: (sample name, labels) -> value."""
    reply = httpx.get(base_url + "/metrics", **kwargs)  # type: ignore[arg-type]
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(reply.text)
        for s in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found[(name, frozenset(labels.items()))]


def add_queue_and_failure(container: Container, invitation_id: int) -> None:
    now = datetime.now(UTC)
    with Session(container.db.engine) as session:
        for kind, status, due in (
            ("invite", JobStatus.QUEUED, now - timedelta(minutes=5)),
            ("reminder", JobStatus.QUEUED, now + timedelta(days=1)),
            ("retry", JobStatus.SENDING, now),
            ("old", JobStatus.DONE, now - timedelta(days=1)),
        ):
            session.add(
                SendJob(
                    invitation_id=invitation_id,
                    kind=kind,
                    status=status,
                    due_at=due,
                    locked_until=now + timedelta(minutes=5),
                    created_at=now,
                    updated_at=now,
                )
            )
        session.add(
            OutboundMessage(
                invitation_id=invitation_id,
                channel="sms",
                kind="question",
                status="failed",
                error_code="30003",
                created_at=now,
                updated_at=now,
            )
        )
        session.commit()


def test_metrics_expose_survey_counts_queue_depth_and_webhook_latency(
    live_server: LiveServer, container: Container
) -> None:
    """Counts equal the seeded rows; a /webhooks/ request leaves a latency sample by template."""
    now = datetime.now(UTC)
    seed(container, "sms", PHONE, at=now)
    seed(container, "whatsapp", OTHER, at=now, value=10, comment=None)
    failed = seed(container, "sms", OTHER, at=now, value=None, status=InvitationStatus.FAILED)
    add_queue_and_failure(container, failed.invitation_id)
    httpx.post(live_server.url + MESSAGING, data={"From": PHONE, "Body": "9"})

    found = samples(live_server.url)
    assert value(found, "surveybot_invitations", status="completed") == 2
    assert value(found, "surveybot_invitations", status="failed") == 1
    assert value(found, "surveybot_invitations", status="open") == 0
    assert value(found, "surveybot_invitations_sent_total", channel="sms") == 2
    assert value(found, "surveybot_responses_total", flow="nps", channel="sms") == 1
    assert value(found, "surveybot_responses_total", flow="nps", channel="whatsapp") == 1
    assert value(found, "surveybot_send_failures_total", channel="sms") == 1
    assert value(found, "surveybot_send_queue_depth", status="queued") == 2
    assert value(found, "surveybot_send_queue_depth", status="sending") == 1
    assert value(found, "surveybot_send_queue_lag_seconds") >= 290
    assert value(found, "surveybot_metrics_database_up") == 1
    timed = [
        (dict(labels), n)
        for (name, labels), n in found.items()
        if name == "surveybot_webhook_request_duration_seconds_count"
    ]
    assert timed == [({"route": MESSAGING, "status": "403"}, 1.0)]


def test_metrics_still_count_a_score_after_its_contact_is_erased(
    live_server: LiveServer, container: Container
) -> None:
    """DELETE /api/v1/contacts/{number} removes the number and comment, not the score."""
    seed(container, "sms", PHONE)
    reply = httpx.delete(f"{live_server.url}/api/v1/contacts/{PHONE}", headers=admin_headers())
    assert reply.status_code == 200, reply.text
    assert reply.json()["contacts"] == 1
    assert reply.json()["comments"] == 1
    with Session(container.db.engine) as session:
        assert [c.address for c in session.exec(select(Contact))] == [None]
        assert list(session.exec(select(Comment))) == []
    found = samples(live_server.url)
    assert value(found, "surveybot_responses_total", flow="nps", channel="sms") == 1


def test_erasing_a_whatsapp_address_over_http_erases_the_sms_contact_too(
    live_server: LiveServer, container: Container
) -> None:
    """whatsapp:+31… in the path covers the SMS contact of the same number."""
    seed(container, "sms", PHONE)
    url = f"{live_server.url}/api/v1/contacts/whatsapp:{PHONE}"
    reply = httpx.delete(url, headers=admin_headers())
    assert (reply.status_code, reply.json()["contacts"]) == (200, 1)


def test_contact_erasure_needs_the_admin_role(
    live_server: LiveServer, container: Container
) -> None:
    """No token is 401, a viewer 403, an unknown number 404; nothing is erased meanwhile."""
    seed(container, "sms", PHONE)
    url = f"{live_server.url}/api/v1/contacts/{PHONE}"
    assert httpx.delete(url).status_code == 401
    assert httpx.delete(url, headers=viewer_headers()).status_code == 403
    unknown = httpx.delete(f"{live_server.url}/api/v1/contacts/{OTHER}", headers=admin_headers())
    assert unknown.status_code == 404
    with Session(container.db.engine) as session:
        assert [c.address for c in session.exec(select(Contact))] == [PHONE]


def test_metrics_token_when_set_is_required(database_url: str) -> None:
    """With SURVEYBOT_METRICS_TOKEN a scrape without it is 401; with it, 200."""
    container = build(make_settings(database_url, metrics_token="scrape-secret-0123456789"))
    try:
        with LiveServer(container) as server:
            assert httpx.get(server.url + "/metrics").status_code == 401
            headers = {"Authorization": "Bearer scrape-secret-0123456789"}
            found = samples(server.url, headers=headers)
            assert value(found, "surveybot_metrics_database_up") == 1
    finally:
        container.close()


def run_cli(args: list[str], cwd: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SURVEYBOT_", "TWILIO_", "TELEGRAM_"))
    }
    environment.update(SURVEYBOT_DATABASE_URL=database_url, SURVEYBOT_SECRET_KEY=SECRET_KEY)
    return subprocess.run(  # noqa: S603
        [SURVEYBOT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_cli_erases_a_number_and_runs_retention(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    """`contacts erase` prints counts (exit 1 when unknown); `retention run` purges old data."""
    seed(container, "voice", PHONE, comment=None)
    seed(container, "sms", OTHER, at=datetime.now(UTC) - timedelta(days=40))
    erased = run_cli(["contacts", "erase", PHONE, "--yes"], tmp_path, database_url)
    assert erased.returncode == 0, erased.stderr
    assert "contacts=1" in erased.stdout
    unknown = run_cli(["contacts", "erase", "+31600000000", "--yes"], tmp_path, database_url)
    assert unknown.returncode == 1
    purged = run_cli(["retention", "run", "--days", "30"], tmp_path, database_url)
    assert purged.returncode == 0, purged.stderr
    assert "contacts=1" in purged.stdout
    with Session(container.db.engine) as session:
        assert [c.address for c in session.exec(select(Contact))] == [None, None]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def production_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`surveybot serve` as in production (SQLite is enough here), stderr captured."""
    port = _free_port()
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SURVEYBOT_", "TWILIO_", "TELEGRAM_"))
    }
    environment.update(
        SURVEYBOT_ENV="production",
        SURVEYBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'prod.db'}",
        SURVEYBOT_ADMIN_TOKEN="prd-Tn5vQe8wLk2mZa7xRc4j",
        SURVEYBOT_SECRET_KEY=SECRET_KEY,
        SURVEYBOT_IN_PROCESS_WORKER="false",
    )
    process = subprocess.Popen(  # noqa: S603
        [SURVEYBOT, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/healthz")
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"serve did not start: {process.communicate()[1]}")
            time.sleep(0.1)
    yield base, process
    if process.poll() is None:
        process.terminate()
        process.communicate(timeout=20)


def test_production_logs_are_json_lines_without_phone_numbers(
    production_server: tuple[str, subprocess.Popen[str]],
) -> None:
    """Every stderr line of `serve` (uvicorn's too) is a JSON object, and no number leaks."""
    base, process = production_server
    httpx.get(f"{base}/webhooks/nothing?From=%2B31612345678&chat=123456789")
    httpx.get(f"{base}/healthz?to={PHONE}")
    process.terminate()
    _out, err = process.communicate(timeout=20)
    lines = [line for line in err.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    assert entries
    assert all({"ts", "level", "logger", "message"} <= entry.keys() for entry in entries)
    assert any(entry["logger"] == "uvicorn.access" for entry in entries)
    assert all(entry["ts"].endswith("+00:00") for entry in entries)
    assert "31612345678" not in err
    assert "123456789" not in err
