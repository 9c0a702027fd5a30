"""`surveybot test-answers` and `surveybot export` as a user runs them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.e2e.test_cli import run


def test_try_answers_are_counted_apart_and_purged_from_the_command_line(tmp_path: Path) -> None:
    """After `try`, count says 1 test survey; `purge --yes` deletes it; the report is empty."""
    assert run(["try", "nps", "--locale", "en"], tmp_path, "3\nToo slow\n").returncode == 0
    counted = run(["test-answers", "count"], tmp_path)
    assert counted.stdout.strip() == "test answers: invitations=1 responses=1"
    report = run(["report", "--flow", "nps", "--lang", "en"], tmp_path)
    assert report.returncode == 0, report.stderr
    [overall] = [line for line in report.stdout.splitlines() if " all " in line]
    assert overall.split("│")[4].strip() == "0"  # n: the test detractor is not counted
    refused = run(["test-answers", "purge"], tmp_path, "n\n")
    assert refused.returncode == 1
    purged = run(["test-answers", "purge", "--yes"], tmp_path)
    assert purged.returncode == 0, purged.stderr
    assert "invitation=1" in purged.stdout
    assert "response=1" in purged.stdout
    assert run(["test-answers", "count"], tmp_path).stdout.strip() == (
        "test answers: invitations=0 responses=0"
    )


def test_export_writes_a_bom_and_the_semicolon_variant(tmp_path: Path) -> None:
    """`export --sep semicolon`: BOM, `;`, quoted fields; a bad --sep is one clear line."""
    assert run(["demo-data", "--responses", "30"], tmp_path).returncode == 0
    out = tmp_path / "nps.csv"
    done = run(["export", "--flow", "nps", "--out", str(out), "--sep", "semicolon"], tmp_path)
    assert done.returncode == 0, done.stderr
    raw = out.read_bytes()
    assert raw.startswith(b'\xef\xbb\xbf"id";"invitation";"flow"')
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows
    assert {r["flow"] for r in rows} == {"nps"}
    bad = run(["export", "--out", str(out), "--sep", "tab"], tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: --sep must be comma or semicolon, not 'tab'"


def test_an_unknown_flow_is_refused_by_export_as_by_the_api(tmp_path: Path) -> None:
    """`export --flow nope` is one line naming the option and the known flows; no file."""
    out = tmp_path / "x.csv"
    bad_flow = run(["export", "--flow", "nope", "--out", str(out)], tmp_path)
    assert (bad_flow.returncode, bad_flow.stdout) == (2, "")
    assert bad_flow.stderr.startswith("error: --flow: unknown flow(s) nope; known: ")
    assert len(bad_flow.stderr.strip().splitlines()) == 1
    assert not out.exists()
