"""`surveybot invite --csv` as an admin runs it on yesterday's contacts."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.e2e.test_cli import run

GOOD = """address,agent,team,interaction_id,tags
+31612345001,anna,billing,crm-1,vip;retention
+31612345002,bram,billing,crm-2,
+31612345003,anna,sales,crm-3,
"""


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
    result = run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path)
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
    run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path)
    again = run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path)
    assert "3 row(s): 3 already imported" in again.stdout
    assert len(invitations(tmp_path)) == 3


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(tmp_path: Path) -> None:
    """One bad number and one bad locale: both named with their line, and zero rows stored."""
    bad = GOOD + "0612345678,anna,billing,crm-4,\n+31612345005,anna,billing,crm-5,\n"
    (tmp_path / "contacts.csv").write_text(bad, encoding="utf-8")
    (tmp_path / "locales.csv").write_text("address,locale\n+31612345006,de\n", encoding="utf-8")
    result = run(["invite", "--csv", "contacts.csv", "--flow", "csat"], tmp_path)
    assert result.returncode == 1
    assert "line 5: address must be a phone number in E.164 form" in result.stderr
    assert "nothing was imported" in result.stderr
    locales = run(["invite", "--csv", "locales.csv"], tmp_path)
    assert "line 2: locale: String should match pattern" in locales.stderr
    assert not (tmp_path / "surveybot.db").exists() or invitations(tmp_path) == []


def test_unknown_flow_imports_nothing(tmp_path: Path) -> None:
    """A flow that does not exist stops the import before any row is stored."""
    (tmp_path / "contacts.csv").write_text(GOOD, encoding="utf-8")
    result = run(["invite", "--csv", "contacts.csv", "--flow", "nope"], tmp_path)
    assert result.returncode == 1
    assert "unknown flow 'nope'" in result.stderr
    assert invitations(tmp_path) == []
