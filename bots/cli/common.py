"""What every `surveybot` command shares: settings, the database engine, errors, the console."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy.engine import Engine

from bots.settings import ConfigError, Settings, load_settings
from scoring.db import make_engine

# Tables and progress bars; plain lines go through typer.echo.
console = Console()


def print_error(message: str) -> None:
    """A user's mistake as one `error: ...` line on stderr."""
    typer.echo(f"error: {message}", err=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one error line and exit with `code` (2: bad input or config, 1: it failed)."""
    print_error(message)
    raise typer.Exit(code)


def block(text: str) -> str:
    """One problem on the same line; several, one per line below."""
    return f"\n{text}" if "\n" in text else f" {text}"


def settings_or_exit() -> Settings:
    """The settings from the environment and .env, or one line on what is wrong with them."""
    try:
        return load_settings()
    except ConfigError as exc:
        fail(str(exc))


def database_url_or_empty() -> str:
    """SURVEYBOT_DATABASE_URL for an error message, even when the other settings are broken."""
    try:
        return load_settings().database_url
    except ConfigError:
        return ""


def engine_for(settings: Settings, *, migrate: bool = False) -> Engine:
    """An engine on SURVEYBOT_DATABASE_URL; with `migrate`, brought to the newest revision."""
    engine = make_engine(settings.database_url)
    if migrate:
        from scoring.migrate import upgrade  # noqa: PLC0415  (Alembic: only when needed)

        upgrade(engine)
    return engine
