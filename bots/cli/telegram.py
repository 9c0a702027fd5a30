"""`surveybot telegram ...` (placeholder until the Telegram adapter lands)."""

from __future__ import annotations

import typer

telegram_app = typer.Typer(help="Telegram: register the webhook or poll.", no_args_is_help=True)
