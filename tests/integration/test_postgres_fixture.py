"""The PostgreSQL tests say in one line what is missing, and skip (or fail in CI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import postgres_problem

ROOT = Path(__file__).resolve().parents[2]
TARGET = "tests/integration/test_survey_service.py"


def _run_pg_tests(pg_url: str, *, require: bool) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SURVEYBOT_TEST_PG": pg_url}
    env.pop("SURVEYBOT_REQUIRE_POSTGRES", None)
    if require:
        env["SURVEYBOT_REQUIRE_POSTGRES"] = "1"
    return subprocess.run(  # noqa: S603  (our own interpreter and test file)
        [
            sys.executable,
            "-m",
            "pytest",
            TARGET,
            "-m",
            "postgres",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_missing_role_is_named_in_one_line() -> None:
    """A running server without the role says which role is missing and how to create it."""
    problem = postgres_problem("postgresql://nosuchrole@127.0.0.1:5432/test")
    if problem is not None and "is not running" in problem:
        pytest.skip(problem)
    assert problem == (
        'PostgreSQL on 127.0.0.1:5432: role "nosuchrole" does not exist '
        "(create it: createuser -h 127.0.0.1 -s nosuchrole)"
    )


def test_missing_database_is_named_in_one_line() -> None:
    """A running server without the database says which database is missing."""
    problem = postgres_problem("postgresql://postgres@127.0.0.1:5432/nosuchdb")
    if problem is not None and "is not running" in problem:
        pytest.skip(problem)
    assert problem == (
        'PostgreSQL on 127.0.0.1:5432: database "nosuchdb" does not exist '
        "(create it: createdb -h 127.0.0.1 -U postgres nosuchdb)"
    )


def test_server_that_is_down_is_named() -> None:
    """Nothing listening: the tests say the server is not running."""
    assert postgres_problem("postgresql://postgres@127.0.0.1:1/test") == (
        "PostgreSQL on 127.0.0.1:1 is not running"
    )


def test_postgres_tests_skip_with_the_reason_when_the_role_is_missing() -> None:
    """Without the role the PostgreSQL tests are skipped, not errors, and say why."""
    result = _run_pg_tests("postgresql://nosuchrole@127.0.0.1:5432/test", require=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout.splitlines()[-1]
    assert 'role "nosuchrole" does not exist' in result.stdout


def test_postgres_tests_fail_clearly_when_required() -> None:
    """With SURVEYBOT_REQUIRE_POSTGRES=1 (CI) a missing database fails the run, saying why."""
    result = _run_pg_tests("postgresql://postgres@127.0.0.1:5432/nosuchdb", require=True)
    assert result.returncode != 0
    assert 'database "nosuchdb" does not exist' in result.stdout
    assert "SURVEYBOT_REQUIRE_POSTGRES=1" in result.stdout
    assert "Traceback" not in result.stdout
