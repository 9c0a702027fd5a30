"""A user's mistake on the command line: one clear line on stderr, a non-zero exit, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.loader import BUNDLED_DIR
from tests.e2e.test_cli import run


def one_line_error(result: object) -> str:
    """The command failed with exactly one `error: ...` line and nothing else."""
    assert result.returncode != 0, result.stdout  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr, result.stderr  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines
    return str(lines[0])


@pytest.mark.parametrize("command", ["report", "export"])
@pytest.mark.parametrize("option", ["--since", "--until"])
def test_impossible_date_is_one_line(tmp_path: Path, command: str, option: str) -> None:
    """`--since 2026-13-01` names the option and the form to use."""
    extra = ["--out", str(tmp_path / "x.csv")] if command == "export" else []
    line = one_line_error(run([command, *extra, option, "2026-13-01"], tmp_path))
    assert line == f"error: {option} '2026-13-01' is not a date; use YYYY-MM-DD, e.g. 2026-01-31"


def test_day_month_year_date_suggests_the_iso_form(tmp_path: Path) -> None:
    """`01-12-2026`, as a Dutch user writes it, is refused with the ISO date it would be."""
    line = one_line_error(run(["report", "--since", "01-12-2026"], tmp_path))
    assert line.endswith("for 01-12-2026 (day-month-year) that is 2026-12-01")


def test_until_before_since_is_refused(tmp_path: Path) -> None:
    """An empty period is a mistake, not an empty report."""
    line = one_line_error(
        run(["report", "--since", "2026-02-01", "--until", "2026-01-01"], tmp_path)
    )
    assert line == "error: --until 2026-01-01 is before --since 2026-02-01"


def test_malformed_journey_flows_is_one_line(tmp_path: Path) -> None:
    """SURVEYBOT_JOURNEY_FLOWS that is not JSON says so, with an example."""
    result = run(["report"], tmp_path, SURVEYBOT_JOURNEY_FLOWS="{purchase: nps")
    assert one_line_error(result) == (
        "error: SURVEYBOT_JOURNEY_FLOWS is not valid JSON; "
        'write it like {"purchase": "nps", "complaint": "ces"}'
    )


def test_unreachable_database_is_one_line_without_the_password(tmp_path: Path) -> None:
    """Nothing listens at the database URL: one line, and the password is not printed."""
    url = "postgresql://surveybot:hunter2@127.0.0.1:1/surveybot"
    secrets = {"SURVEYBOT_ADMIN_TOKEN": "a" * 32, "SURVEYBOT_SECRET_KEY": "s" * 40}
    commands = (["report"], ["db", "upgrade"], ["try", "nps"], ["retention", "run"], ["serve"])
    for command in (*commands, ["worker", "--once"], ["contacts", "erase", "+31612345678", "-y"]):
        line = one_line_error(run(command, tmp_path, SURVEYBOT_DATABASE_URL=url, **secrets))
        assert line.startswith("error: cannot use the database postgresql://surveybot:***@"), line
        assert "hunter2" not in line


def test_unsupported_database_url_is_a_settings_error(tmp_path: Path) -> None:
    """A URL for a database we don't support is refused before anything connects."""
    line = one_line_error(run(["db", "current"], tmp_path, SURVEYBOT_DATABASE_URL="mysql://x/y"))
    assert line == (
        "error: invalid configuration: SURVEYBOT_DATABASE_URL: must be sqlite:///path/to/file.db "
        "or postgresql://user@host:5432/database"
    )


def test_unwritable_export_file_is_one_line(tmp_path: Path) -> None:
    """`export --out` into a missing directory says it cannot write there."""
    out = tmp_path / "missing" / "x.csv"
    line = one_line_error(run(["export", "--out", str(out)], tmp_path))
    assert line == f"error: cannot write {out}: No such file or directory"


def test_unknown_metric_and_channel_are_refused(tmp_path: Path) -> None:
    """A typo in --metric or --channel is an error, not an empty table."""
    assert one_line_error(run(["report", "--metric", "npss"], tmp_path)) == (
        "error: --metric 'npss' is not one of nps, csat, ces, fcr, custom"
    )
    assert "--channel 'smss' is not one of" in one_line_error(
        run(["report", "--channel", "smss"], tmp_path)
    )


@pytest.mark.parametrize(
    "command",
    [["try", "nps"], ["normalize", "9"], ["invite", "--csv", "contacts.csv"]],
)
def test_unknown_locale_lists_the_known_ones(tmp_path: Path, command: list[str]) -> None:
    """`--locale de` is refused everywhere the CLI takes a locale, not run in Dutch."""
    (tmp_path / "contacts.csv").write_text("address\n+31612345678\n", encoding="utf-8")
    line = one_line_error(run([*command, "--locale", "de"], tmp_path))
    assert line == "error: --locale: unknown locale 'de'; known locales: nl, en"


def test_flows_validate_and_serve_refuse_a_misspelt_placeholder(tmp_path: Path) -> None:
    """`flows validate` names file and field; `serve` refuses the flow like any broken one."""
    flows = tmp_path / "flows"
    flows.mkdir()
    nps = (BUNDLED_DIR / "nps.toml").read_text(encoding="utf-8")
    (flows / "nps.toml").write_text(nps.replace("{company}", "{compny}", 1), encoding="utf-8")
    expected = f"{flows / 'nps.toml'}: question.text.nl: unknown placeholder {{compny}}"
    validated = run(["flows", "validate", str(flows)], tmp_path)
    assert validated.returncode == 1
    assert validated.stderr.startswith(expected)
    served = run(["serve", "--port", "1"], tmp_path, SURVEYBOT_FLOWS_DIR=str(flows))
    assert served.returncode == 2
    assert expected in served.stderr
    assert "Traceback" not in served.stderr


def test_flows_validate_names_an_unmatched_brace_by_file_and_field(tmp_path: Path) -> None:
    """A stray brace is an "unmatched brace", not an unknown placeholder quoting the sentence."""
    flows = tmp_path / "flows"
    flows.mkdir()
    nps = (BUNDLED_DIR / "nps.toml").read_text(encoding="utf-8")
    (flows / "nps.toml").write_text(
        nps.replace("{company} aanbeveelt", "{company aanbeveelt", 1), encoding="utf-8"
    )
    validated = run(["flows", "validate", str(flows)], tmp_path)
    assert validated.returncode == 1
    assert validated.stderr.startswith(
        f"{flows / 'nps.toml'}: question.text.nl: unmatched brace '{{'"
    )
    assert "aanbeveelt" not in validated.stderr


def test_twilio_account_without_auth_token_does_not_start(tmp_path: Path) -> None:
    """As the README says: TWILIO_ACCOUNT_SID without TWILIO_AUTH_TOKEN refuses to serve."""
    result = run(["serve", "--port", "1"], tmp_path, TWILIO_ACCOUNT_SID="AC" + "0" * 32)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]  # after serve's start-up log lines
    assert line.startswith("error: not starting: TWILIO_AUTH_TOKEN is required")
    assert "TWILIO_SKIP_SIGNATURE=true only for local development" in line


def test_demo_data_over_no_days_is_refused(tmp_path: Path) -> None:
    """`demo-data --days 0` is a usage error, not an IndexError."""
    result = run(["demo-data", "--days", "0", "--responses", "5"], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Invalid value for '--days'" in result.stderr


def test_paths_and_ports_that_cannot_work_are_one_clear_error(tmp_path: Path) -> None:
    """A directory as the CSV, a port past 65535, an unwritable .env, an empty flow folder."""
    (tmp_path / "empty").mkdir()
    invite = run(["invite", "--csv", "empty"], tmp_path)
    assert invite.returncode == 2
    assert "is a directory" in invite.stderr
    serve = run(["serve", "--port", "99999"], tmp_path)
    assert serve.returncode == 2
    assert "Invalid value for '--port'" in serve.stderr
    env = tmp_path / "missing" / ".env"
    assert one_line_error(run(["init", "--path", str(env)], tmp_path)) == (
        f"error: cannot write {env}: No such file or directory"
    )
    assert one_line_error(run(["flows", "validate", "empty"], tmp_path)) == (
        "error: no flow files (*.toml) in empty"
    )
    for result in (invite, serve):
        assert "Traceback" not in result.stderr


def test_bad_settings_name_the_variable_to_fix(tmp_path: Path) -> None:
    """A setting that does not parse is named as the user wrote it (the environment variable)."""
    result = run(["report"], tmp_path, TWILIO_SKIP_SIGNATURE="perhaps")
    assert one_line_error(result) == (
        "error: invalid configuration: TWILIO_SKIP_SIGNATURE: Input should be a valid boolean, "
        "unable to interpret input"
    )
