"""`surveybot invite --csv` as an admin runs it on yesterday's contacts."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e.test_cli import run

GOOD = """address,agent,team,interaction_id,tags
+31612345001,anna,billing,crm-1,vip;retention
+31612345002,bram,billing,crm-2,
+31612345003,anna,sales,crm-3,
"""
# An SMS channel, as `surveybot serve` would have it; the import itself sends nothing.
SMS_ON = {
    "TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
    "TWILIO_AUTH_TOKEN": "test-twilio-auth-token-0123456789",
    "TWILIO_SMS_FROM": "+3197010000001",
    "TWILIO_API_BASE_URL": "http://127.0.0.1:1",
    "SURVEYBOT_ADMIN_TOKEN": "adm-Kq7wZr9xPm4vLt2nBc8s",
    "SURVEYBOT_SECRET_KEY": "key-Wb2mXc9tJv4hLq7zSe1nGf6rDa3kYu",
}


def invitations(tmp_path: Path) -> list[tuple[str, str, str]]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'surveybot.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT interaction_id, flow_id, status FROM invitation ORDER BY interaction_id"
            )
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_csv_import_creates_every_row_and_queues_the_sends(tmp_path: Path) -> None:
    """Three good rows become three pending csat invitations, each with a queued send."""
    (tmp_path / "contacts.csv").write_text(GOOD, encoding="utf-8")
    result = run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path, **SMS_ON)
    assert result.returncode == 0, result.stderr
    assert "3 row(s): 3 pending" in result.stdout
    assert invitations(tmp_path) == [
        ("crm-1", "csat", "pending"),
        ("crm-2", "csat", "pending"),
        ("crm-3", "csat", "pending"),
    ]


def test_csv_import_is_idempotent_on_the_interaction_id(tmp_path: Path) -> None:
    """Importing the same file twice invites nobody twice."""
    (tmp_path / "contacts.csv").write_text(GOOD, encoding="utf-8")
    run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path, **SMS_ON)
    again = run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path, **SMS_ON)
    assert "3 row(s): 3 already imported" in again.stdout
    assert len(invitations(tmp_path)) == 3


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(tmp_path: Path) -> None:
    """One bad number and one bad locale: both named with their line, and zero rows stored."""
    bad = GOOD + "0612345678,anna,billing,crm-4,\n+31612345005,anna,billing,crm-5,\n"
    (tmp_path / "contacts.csv").write_text(bad, encoding="utf-8")
    (tmp_path / "locales.csv").write_text("address,locale\n+31612345006,de\n", encoding="utf-8")
    result = run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path, **SMS_ON)
    assert result.returncode == 1
    assert "line 5: address must be a phone number in E.164 form" in result.stderr
    assert "nothing was imported" in result.stderr
    locales = run(["invite", "--csv", "locales.csv"], tmp_path, **SMS_ON)
    assert "line 2: locale: unknown locale 'de'; known locales: nl, en" in locales.stderr
    assert not (tmp_path / "surveybot.db").exists() or invitations(tmp_path) == []


def test_unknown_flow_imports_nothing(tmp_path: Path) -> None:
    """A flow that does not exist stops the import before any row is stored."""
    (tmp_path / "contacts.csv").write_text(GOOD, encoding="utf-8")
    result = run(["invite", "--csv", "contacts.csv", "--flow", "nope"], tmp_path, **SMS_ON)
    assert result.returncode == 1
    assert "unknown flow 'nope'" in result.stderr
    assert invitations(tmp_path) == []


def test_rows_for_a_channel_this_server_cannot_send_on_are_refused(tmp_path: Path) -> None:
    """Without Twilio settings an SMS row is refused by line, as the API refuses it (422)."""
    (tmp_path / "contacts.csv").write_text(GOOD, encoding="utf-8")
    result = run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path)
    assert result.returncode == 1
    assert (
        "line 2: channel 'sms' is not configured on this server: it needs TWILIO_ACCOUNT_SID"
        in result.stderr
    )
    assert "line 4: channel 'sms'" in result.stderr
    assert "3 problem(s) in contacts.csv; nothing was imported" in result.stderr
    assert not (tmp_path / "surveybot.db").exists() or invitations(tmp_path) == []


def test_every_problem_is_reported_by_line_in_one_round(tmp_path: Path) -> None:
    """An unknown flow, a made-up time zone and a duplicate row, each with its line, at once."""
    (tmp_path / "contacts.csv").write_text(
        "address,flow,timezone,interaction_id\n"
        "+31612345001,csat,Europe/Amsterdam,crm-1\n"
        "+31612345002,nope,,crm-2\n"
        "+31612345003,csat,Mars/Olympus,crm-3\n"
        "+31612345001,csat,Europe/Amsterdam,crm-1\n",
        encoding="utf-8",
    )
    result = run(["invite", "--csv", "contacts.csv"], tmp_path, **SMS_ON)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "line 3: unknown flow 'nope'; known flows: ces, ces-effort, csat, faces, nps, resolved",
        "line 4: timezone: unknown time zone 'Mars/Olympus'; use an IANA name such as "
        "Europe/Amsterdam",
        "line 5: the same invitation as line 2",
        "error: 3 problem(s) in contacts.csv; nothing was imported",
    ]
    assert not (tmp_path / "surveybot.db").exists() or invitations(tmp_path) == []


def test_a_file_that_is_not_utf8_is_one_clear_error(tmp_path: Path) -> None:
    """A CSV saved in another encoding says how to save it, instead of a traceback."""
    (tmp_path / "contacts.csv").write_bytes(
        "address,agent\n+31612345001,Chlo\xe9\n".encode("latin-1")
    )
    result = run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path, **SMS_ON)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "line 1: the file is not UTF-8 text (save it as 'CSV UTF-8')" in result.stderr


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_dutch_excel_file_with_semicolons_is_imported(tmp_path: Path, separator: str) -> None:
    """Dutch Excel saves ';' (with a BOM and CRLF); tab-separated works too, tags quoted."""
    text = GOOD.replace(",", separator).replace("vip;retention", '"vip;retention"')
    (tmp_path / "contacts.csv").write_bytes(
        "\ufeff".encode() + text.replace("\n", "\r\n").encode("utf-8")
    )
    result = run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path, **SMS_ON)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "3 row(s): 3 pending"
    assert invitations(tmp_path) == [
        ("crm-1", "csat", "pending"),
        ("crm-2", "csat", "pending"),
        ("crm-3", "csat", "pending"),
    ]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'surveybot.db'}")
    with engine.connect() as conn:
        agents = conn.execute(sa.text("SELECT agent FROM invitation ORDER BY agent")).scalars()
        assert list(agents) == ["anna", "anna", "bram"]
    engine.dispose()


def test_every_problem_of_one_line_is_reported(tmp_path: Path) -> None:
    """An unknown flow on a channel this server lacks: both named for that line; an unknown
    channel lists only the channels a file may use (console is for `surveybot try`)."""
    (tmp_path / "contacts.csv").write_text(
        "address,channel,flow\n+31612345001,sms,nope\n+31612345002,email,csat\n",
        encoding="utf-8",
    )
    result = run(["invite", "--csv", "contacts.csv"], tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert [line[:24] for line in lines if line.startswith("line 2:")] == [
        "line 2: channel 'sms' is",
        "line 2: unknown flow 'no",
    ]
    assert "line 3: channel: must be one of sms, whatsapp, voice, telegram" in lines
    assert "console" not in result.stderr


def test_the_summary_is_the_first_line_of_output(tmp_path: Path) -> None:
    """No empty line before the summary when the output is not a terminal."""
    (tmp_path / "contacts.csv").write_text(GOOD, encoding="utf-8")
    result = run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path, **SMS_ON)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "3 row(s): 3 pending"
