"""The `surveybot` command as a new user runs it, in a clean working directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from flows.loader import BUNDLED_DIR

SURVEYBOT = str(Path(sys.executable).parent / "surveybot")


def run(
    args: list[str], cwd: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SURVEYBOT_", "TWILIO_", "TELEGRAM_"))
    }
    environment.update(env)
    return subprocess.run(  # noqa: S603
        [SURVEYBOT, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_try_nps_in_dutch_stores_the_answer_like_any_channel(tmp_path: Path) -> None:
    """`surveybot try nps --locale nl` asks, takes 'een zes', asks the follow-up and stores both."""
    result = run(["try", "nps", "--locale", "nl"], tmp_path, "een zes\nSneller antwoorden\n")
    assert result.returncode == 0, result.stderr
    assert "Hoe waarschijnlijk is het dat je Acme aanbeveelt" in result.stdout
    assert "Wat kunnen we verbeteren?" in result.stdout
    assert result.stdout.rstrip().endswith("completed)")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'surveybot.db'}")
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT value, raw_text, channel FROM response")).one()
        comment = conn.execute(sa.text("SELECT text FROM comment")).scalar_one()
    engine.dispose()
    assert tuple(row) == (6, "een zes", "console")
    assert comment == "Sneller antwoorden"


def test_try_reprompts_an_unreadable_answer(tmp_path: Path) -> None:
    """An ambiguous answer is re-asked, never guessed."""
    result = run(["try", "csat", "--locale", "en"], tmp_path, "3 or 4\n4\n")
    assert "Sorry, I didn't get that" in result.stdout
    assert "Thank you for your answer!" in result.stdout


def test_normalize_prints_one_json_line_per_answer(tmp_path: Path) -> None:
    """With no TEXT it reads stdin and prints one JSON object per line."""
    result = run(
        ["normalize", "--flow", "nps", "--locale", "nl"], tmp_path, "negen\n7 of 8\nSTOP\n"
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0] == {"outcome": "answer", "value": 9}
    assert lines[1]["outcome"] == "invalid"
    assert lines[1]["reason"]
    assert lines[2] == {"outcome": "optout"}


def test_normalize_one_answer_from_the_argument(tmp_path: Path) -> None:
    """TEXT as an argument gives exactly one line."""
    result = run(["normalize", "--flow", "csat", "--locale", "nl", "Zeer tevreden!"], tmp_path)
    assert result.stdout.strip() == '{"outcome": "answer", "value": 5}'


def test_normalize_explain_prints_the_rule_and_the_words_it_used(tmp_path: Path) -> None:
    """--explain says which rule decided, what each word did, and the normaliser version."""
    result = run(
        ["normalize", "--flow", "csat", "--locale", "nl", "--explain"],
        tmp_path,
        "Ik ben heeel erg tevreden hoor\namper tevreden\nhaal me van de lijst\n",
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["value"] == 5
    assert lines[0]["rule"] == (
        "label intensifier 'heel erg' on 'tevreden' (4 -> 5); typo 'heeel' read as 'heel'"
    )
    assert lines[0]["words"] == [
        ["ik", "filler"],
        ["ben", "filler"],
        ["heel", "intensifier"],
        ["erg", "intensifier"],
        ["tevreden", "label"],
        ["hoor", "filler"],
    ]
    assert lines[0]["normaliser_version"]
    assert lines[1]["outcome"] == "invalid"
    assert lines[1]["reason"] == "'amper' before 'tevreden' does not name one point"
    assert lines[2]["outcome"] == "optout"
    assert lines[2]["rule"] == "opt-out 'van de lijst'"


def test_flows_list_shows_the_bundled_flows(tmp_path: Path) -> None:
    """`flows list` shows id, metric and scale of each flow."""
    result = run(["flows", "list"], tmp_path)
    assert result.returncode == 0
    assert any(line.split()[:3] == ["nps", "nps", "0-10"] for line in result.stdout.splitlines())


def test_flows_validate_names_file_and_field(tmp_path: Path) -> None:
    """A broken file exits 1 and says which file, which field and what is wrong."""
    broken = (BUNDLED_DIR / "csat.toml").read_text(encoding="utf-8").replace("min = 1", "min = 9")
    (tmp_path / "csat.toml").write_text(broken, encoding="utf-8")
    result = run(["flows", "validate", str(tmp_path)], tmp_path)
    assert result.returncode == 1
    assert f"{tmp_path / 'csat.toml'}: scale: min (9) must be below max (5)" in result.stderr


def test_serve_refuses_to_start_with_a_broken_flow_directory(tmp_path: Path) -> None:
    """The service never starts half-configured."""
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "nps.toml").write_text("id = ", encoding="utf-8")
    result = run(["serve", "--port", "1"], tmp_path, SURVEYBOT_FLOWS_DIR=str(tmp_path / "flows"))
    assert result.returncode == 2
    assert "not starting" in result.stderr
    assert "nps.toml" in result.stderr


def test_production_refuses_placeholder_secrets(tmp_path: Path) -> None:
    """SURVEYBOT_ENV=production with 'change-me' secrets is a start-up error that says why."""
    result = run(
        ["serve"],
        tmp_path,
        SURVEYBOT_ENV="production",
        SURVEYBOT_ADMIN_TOKEN="change-me",
        SURVEYBOT_SECRET_KEY="change-me",
    )
    assert result.returncode == 2
    assert "SURVEYBOT_ADMIN_TOKEN is a placeholder" in result.stderr
    assert "SURVEYBOT_SECRET_KEY is a placeholder" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_weak_secrets_and_a_plain_http_url(tmp_path: Path) -> None:
    """Every weak secret and an http:// public URL get one clear line each; nothing starts."""
    result = run(
        ["serve"],
        tmp_path,
        SURVEYBOT_ENV="production",
        SURVEYBOT_ADMIN_TOKEN="a" * 24,
        SURVEYBOT_SECRET_KEY="k3y-" * 10,
        SURVEYBOT_PUBLIC_URL="http://surveys.example.com",
        SURVEYBOT_METRICS_TOKEN="change-me",
        SURVEYBOT_ALERT_WEBHOOK_SECRET="change-me",
        TELEGRAM_WEBHOOK_SECRET="x",
        TWILIO_AUTH_TOKEN="change-me",
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    for expected in (
        "SURVEYBOT_ADMIN_TOKEN is too predictable",
        "SURVEYBOT_SECRET_KEY is too predictable",
        "SURVEYBOT_PUBLIC_URL must be an https:// URL",
        "SURVEYBOT_METRICS_TOKEN is a placeholder",
        "SURVEYBOT_ALERT_WEBHOOK_SECRET is a placeholder",
        "TELEGRAM_WEBHOOK_SECRET must be at least 24 characters",
        "TWILIO_AUTH_TOKEN is a placeholder",
    ):
        assert any(line.strip().startswith(expected) for line in lines), expected
    assert "Traceback" not in result.stderr


def test_production_refuses_common_words_inside_secrets(tmp_path: Path) -> None:
    """'password', 'admin', 'qwerty', '123456' ... inside a long secret mark it as typed by a
    person: refused like a placeholder, whatever the length."""
    result = run(
        ["serve"],
        tmp_path,
        SURVEYBOT_ENV="production",
        SURVEYBOT_ADMIN_TOKEN="password1234567890123456",
        SURVEYBOT_VIEWER_TOKEN="Kq7wZr9x-letmein-Pm4vLt2n",
        SURVEYBOT_SECRET_KEY="Wb2mXc9tJv4hLq7z-QWERTY-Se1nGf6rDa3k",
        SURVEYBOT_METRICS_TOKEN="Hs3jNe6y-admin-Qa1uFd5gRk0p",
        SURVEYBOT_ALERT_WEBHOOK_SECRET="Tn5vQe8w-example-Lk2mZa7x",
        TELEGRAM_WEBHOOK_SECRET="Rc4jXb9n-test-Vm3kPq7wZs1e",
    )
    assert result.returncode == 2
    lines = [line.strip() for line in result.stderr.splitlines()]
    for variable in (
        "SURVEYBOT_ADMIN_TOKEN",
        "SURVEYBOT_VIEWER_TOKEN",
        "SURVEYBOT_SECRET_KEY",
        "SURVEYBOT_METRICS_TOKEN",
        "SURVEYBOT_ALERT_WEBHOOK_SECRET",
        "TELEGRAM_WEBHOOK_SECRET",
    ):
        assert any(line.startswith(f"{variable} is a placeholder") for line in lines), variable
    assert "Traceback" not in result.stderr


def test_init_writes_env_with_fresh_secrets(tmp_path: Path) -> None:
    """`surveybot init` writes a private .env and prints the admin token it chose."""
    result = run(["init"], tmp_path)
    env_text = (tmp_path / ".env").read_text(encoding="utf-8")
    token = result.stdout.rsplit(": ", 1)[1].strip()
    assert f"SURVEYBOT_ADMIN_TOKEN={token}" in env_text
    assert len(token) >= 32
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600


def test_db_upgrade_migrates_an_empty_database(tmp_path: Path) -> None:
    """`db upgrade` creates the schema and reports the revision."""
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "database at revision" in result.stdout
    assert (tmp_path / "surveybot.db").exists()
