"""`surveybot report` labels its groups as an admin reads them, in Dutch or English."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.test_cli import run


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """Demo answers, a few of them without an agent (a self-service contact)."""
    assert run(["demo-data", "--responses", "300", "--days", "30"], tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "surveybot.db") as db:
        db.execute("UPDATE response SET agent = NULL WHERE id % 10 = 0 AND flow_id = 'nps'")
    return tmp_path


def test_group_without_agent_reads_no_agent(seeded: Path) -> None:
    """The no-agent group is '(no agent)' / '(geen agent)', never 'None'."""
    english = run(["report", "--flow", "nps", "--by", "agent", "--lang", "en"], seeded)
    assert english.returncode == 0, english.stderr
    assert "NPS by agent" in english.stdout
    assert "(no agent)" in english.stdout
    assert "None" not in english.stdout
    dutch = run(["report", "--flow", "nps", "--by", "agent", "--lang", "nl"], seeded)
    assert "NPS per agent" in dutch.stdout
    assert "(geen agent)" in dutch.stdout
    assert "alle" in dutch.stdout


def test_the_dutch_report_has_dutch_headers_and_footer(seeded: Path) -> None:
    """One language per table: the column headers and the small-group note follow --lang."""
    wide = {"COLUMNS": "200"}
    dutch = run(["report", "--flow", "nps", "--by", "day"], seeded, **wide)  # the server's: nl
    assert dutch.returncode == 0, dutch.stderr
    assert "criticasters" in dutch.stdout
    assert "passieven" in dutch.stdout
    assert "promotors" in dutch.stdout
    assert "groepen met n < 10 tonen alleen n" in dutch.stdout
    for english_word in ("detractors", "passives", "promoters", "groups with"):
        assert english_word not in dutch.stdout
    english = run(["report", "--flow", "nps", "--by", "day", "--lang", "en"], seeded, **wide)
    assert "detractors" in english.stdout
    assert "groups with n < 10 show n only" in english.stdout
    csat = run(["report", "--flow", "csat", "--lang", "nl"], seeded, **wide)
    assert "ontevreden" in csat.stdout
    assert "tevreden" in csat.stdout
    assert "dissatisfied" not in csat.stdout


def test_days_of_the_week_are_named(seeded: Path) -> None:
    """--by dow shows Monday..Sunday (maandag..zondag), not 1..7."""
    english = run(["report", "--flow", "csat", "--by", "dow", "--lang", "en"], seeded)
    assert english.returncode == 0, english.stderr
    assert "Monday" in english.stdout
    assert "Sunday" in english.stdout
    dutch = run(["report", "--flow", "csat", "--by", "dow"], seeded)  # the server's: nl
    assert "maandag" in dutch.stdout
    assert "weekdag" in dutch.stdout


def test_help_screens_show_no_type_placeholders(tmp_path: Path) -> None:
    """Help shows `--once / --no-once` and named values, not `<bool>` or `<str>`."""
    for command in (["worker"], ["report"], ["export"], ["telegram", "set-webhook"]):
        shown = run([*command, "--help"], tmp_path)
        assert shown.returncode == 0
        assert "<bool>" not in shown.stdout, command
        assert "<str>" not in shown.stdout, command
    assert "--since YYYY-MM-DD" in run(["report", "--help"], tmp_path).stdout
