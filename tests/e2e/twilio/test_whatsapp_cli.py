"""`surveybot whatsapp sync` and `status` as an admin runs them, against the fake Content API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tests.e2e.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN
from tests.e2e.twilio.fake_twilio import FakeTwilioServer

SURVEYBOT = str(Path(sys.executable).parent / "surveybot")


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SURVEYBOT_", "TWILIO_", "TELEGRAM_"))
    }
    environment |= {"COLUMNS": "200", **env}
    return subprocess.run(  # noqa: S603
        [SURVEYBOT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_sync_then_status_shows_each_template_as_whatsapp_decided(
    tmp_path: Path, fake_twilio: FakeTwilioServer
) -> None:
    """sync submits; after WhatsApp approves one and rejects another, status says so."""
    env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_CONTENT_BASE_URL": fake_twilio.url,
    }
    synced = run(["whatsapp", "sync"], tmp_path, **env)
    assert synced.returncode == 0, synced.stderr
    assert "submitted" in synced.stdout
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'surveybot.db'}")
    with engine.connect() as conn:
        templates: dict[str, str] = dict(
            conn.execute(
                sa.text(
                    "SELECT flow_id || '/' || locale, content_sid FROM whatsapp_content "
                    "WHERE purpose = 'template'"
                )
            ).all()
        )
    engine.dispose()
    content = fake_twilio.fake.content
    content.approve(templates["csat/nl"])
    content.reject(templates["nps/en"], "INVALID_FORMAT")

    shown = run(["whatsapp", "status"], tmp_path, **env)

    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    [csat] = [line for line in lines if templates["csat/nl"] in line]
    [nps] = [line for line in lines if templates["nps/en"] in line]
    assert "approved" in csat
    assert "rejected" in nps
    assert "INVALID_FORMAT" in nps


def test_sync_without_twilio_credentials_says_what_is_missing(tmp_path: Path) -> None:
    """One line on stderr, a non-zero exit, no traceback."""
    result = run(["whatsapp", "sync"], tmp_path)

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed to reach Twilio's Content API"
    )
