"""`surveybot report` reports one question at a time and never picks NPS silently."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.e2e.test_cli import run


def _seed(tmp_path: Path) -> None:
    assert run(["demo-data", "--responses", "200", "--days", "20"], tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "surveybot.db") as db:
        # Ten CES answers become the effort question, answered 6 ("high effort").
        db.execute(
            "UPDATE response SET flow_id = 'ces-effort', lower_is_better = 1, value = 6 "
            "WHERE id IN (SELECT id FROM response WHERE flow_id = 'ces' LIMIT 10)"
        )


def test_report_without_a_flow_prints_one_table_per_flow(tmp_path: Path) -> None:
    """Every flow with answers gets its own titled table, each with a 95% interval column."""
    _seed(tmp_path)
    shown = run(["report", "--lang", "en"], tmp_path, COLUMNS="200")
    assert shown.returncode == 0, shown.stderr
    titles = {line.strip() for line in shown.stdout.splitlines()}
    for title in ("CES · flow ces", "CES · flow ces-effort", "CSAT · flow csat", "NPS · flow nps"):
        assert title in titles
    assert shown.stdout.count("95% interval") == 4


def test_a_metric_alone_counts_one_flow_and_names_the_other(tmp_path: Path) -> None:
    """--metric ces reports the 'made it easy' flow and says the effort question is apart."""
    _seed(tmp_path)
    alone = run(["report", "--metric", "ces", "--lang", "en"], tmp_path, COLUMNS="200")
    assert alone.returncode == 0, alone.stderr
    assert "CES · flow ces" in {line.strip() for line in alone.stdout.splitlines()}
    assert "reported on their own (another question): ces-effort" in alone.stdout
    pooled = run(["report", "--metric", "ces", "--pool", "--lang", "nl"], tmp_path, COLUMNS="200")
    assert "samengevoegd: ces, ces-effort" in pooled.stdout


def test_pool_without_a_metric_is_one_clear_line(tmp_path: Path) -> None:
    """--pool alone is a user's mistake: one line, exit 2, no traceback."""
    shown = run(["report", "--pool"], tmp_path)
    assert shown.returncode == 2
    assert "--pool needs --metric" in shown.stderr
    assert "Traceback" not in shown.stderr
