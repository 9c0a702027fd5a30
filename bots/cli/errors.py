"""A user's mistake on the command line is one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import contextlib
import re
from datetime import date

import sqlalchemy as sa

from scoring.scales import unknown_locale

_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


class CliError(Exception):
    """Printed as `error: <message>`; the command exits with `code`."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def parse_day(text: str, option: str) -> date:
    """A YYYY-MM-DD date from an option, or a CliError that says what to type instead."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        pass
    hint = "use YYYY-MM-DD, e.g. 2026-01-31"
    if match := _DAY_MONTH_YEAR.fullmatch(text.strip()):
        day, month, year = (int(part) for part in match.groups())
        with contextlib.suppress(ValueError):  # no such day: keep the general hint
            iso = date(year, month, day).isoformat()
            hint = f"use YYYY-MM-DD: for {text.strip()} (day-month-year) that is {iso}"
    raise CliError(f"{option} {text!r} is not a date; {hint}")


def check_locale(locale: str | None, option: str = "--locale") -> str | None:
    """A locale we speak, or a CliError listing the ones we do."""
    if locale is not None and (problem := unknown_locale(locale)) is not None:
        raise CliError(f"{option}: {problem}")
    return locale


def database_problem(exc: sa.exc.SQLAlchemyError, url: str) -> str:
    """One line on why the database could not be used; the password never shows."""
    try:
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return f"SURVEYBOT_DATABASE_URL is not a database URL: {url!r}"
    if isinstance(exc, sa.exc.ArgumentError):
        return f"SURVEYBOT_DATABASE_URL {shown!r} cannot be used: {exc}"
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    reason = lines[0] if lines else type(orig).__name__
    # psycopg: 'connection failed: connection to server at "h", port p failed: <why>'
    reason = reason.rsplit(" failed: ", 1)[-1].removeprefix("FATAL:").strip()
    return f"cannot use the database {shown}: {reason}"
