"""`surveybot contacts erase ADDRESS` and `surveybot retention run`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from bots.cli.common import engine_for, fail, settings_or_exit
from scoring.channels import CHANNELS
from scoring.privacy import erase_address, format_counts, purge_expired_personal_data
from scoring.storage import Pseudonymiser

contacts_app = typer.Typer(help="Contacts: erase a person's personal data.", no_args_is_help=True)
retention_app = typer.Typer(
    help="Retention: purge personal data past its time.", no_args_is_help=True
)


@contacts_app.command("erase")
def erase(
    address: Annotated[str, typer.Argument(help="+31612345678, whatsapp:+31..., or a chat id")],
    channel: Annotated[
        str | None,
        typer.Option(help="default: a phone number if it starts with +, else a Telegram chat id"),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
) -> None:
    """Erase a person's number/chat id and free text on every channel; scores and opt-outs stay."""
    if channel is not None and channel not in CHANNELS.sendable():
        fail(f"--channel must be one of {', '.join(CHANNELS.sendable())}")
    settings = settings_or_exit()
    if not yes:
        typer.confirm("Erase this person's personal data? This cannot be undone", abort=True)
    engine = engine_for(settings)
    try:
        counts = erase_address(
            engine,
            Pseudonymiser(settings.secret()),
            address,
            datetime.now(UTC),
            channel,
        )
    finally:
        engine.dispose()
    if counts is None:
        fail("no contact with that address", code=1)
    typer.echo(f"erased: {format_counts(counts)}")


@retention_app.command("run")
def run(
    days: Annotated[
        int | None, typer.Option(min=1, help="default: SURVEYBOT_RETENTION_DAYS (365)")
    ] = None,
) -> None:
    """Erase contacts not invited for DAYS days and free text older than DAYS days, once."""
    settings = settings_or_exit()
    engine = engine_for(settings)
    try:
        counts = purge_expired_personal_data(
            engine, datetime.now(UTC), days or settings.retention_days
        )
    finally:
        engine.dispose()
    typer.echo(f"purged: {format_counts(counts)}")
