"""`surveybot whatsapp sync` and `surveybot whatsapp status`: the survey's WhatsApp content."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from bots.cli.common import console, engine_for, fail, settings_or_exit
from bots.settings import Settings

if TYPE_CHECKING:
    from bots.twilio.client import TwilioContent

whatsapp_app = typer.Typer(
    help="WhatsApp: create the survey's content at Twilio, submit templates, show approval.",
    no_args_is_help=True,
)


# Session content is sent only inside the window, where WhatsApp asks no approval.
NOT_NEEDED = "not needed"


def _now() -> datetime:
    return datetime.now(UTC)


def _content_api(settings: Settings) -> TwilioContent:
    # The twilio library is slow to import: only for the commands that talk to Twilio.
    from bots.twilio.client import TwilioContent  # noqa: PLC0415

    if not settings.twilio_account_sid or settings.twilio_auth_token is None:
        fail("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed to reach Twilio's Content API")
    return TwilioContent(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        settings.twilio_content_base_url,
    )


@whatsapp_app.command("sync")
def sync_command() -> None:
    """Create (or renew) every flow's WhatsApp content per locale; submit templates for approval."""
    from bots.twilio.client import TwilioApiError  # noqa: PLC0415
    from bots.twilio.content_sync import sync  # noqa: PLC0415
    from flows.loader import load_flows  # noqa: PLC0415
    from flows.render import Renderer  # noqa: PLC0415

    settings = settings_or_exit()
    api = _content_api(settings)
    flows = load_flows(settings.flows_dir)
    engine = engine_for(settings, migrate=True)
    try:
        lines = asyncio.run(sync(api, engine, flows, Renderer(settings.company_name), _now))
    except TwilioApiError as exc:
        fail(f"Twilio's Content API refused: {exc}", 1)
    finally:
        api.close()
    table = Table("flow", "locale", "content", "sid", "approval", "done", "detail")
    for line in lines:
        table.add_row(
            line.flow_id,
            line.locale,
            line.purpose,
            line.content_sid,
            line.status if line.purpose == "template" else NOT_NEEDED,
            line.action,
            line.detail or "",
        )
    console.print(table)
    failed = [line for line in lines if line.action == "failed"]
    if failed:
        fail(f"{len(failed)} content resource(s) could not be made; see the table above", 1)


@whatsapp_app.command("status")
def status_command(
    offline: bool = typer.Option(False, help="show what is stored, without asking Twilio"),
) -> None:
    """The Content SIDs and WhatsApp approval of every flow and locale."""
    from bots.twilio.client import TwilioApiError  # noqa: PLC0415
    from bots.twilio.content_sync import refresh  # noqa: PLC0415
    from scoring import whatsapp as store  # noqa: PLC0415

    settings = settings_or_exit()
    engine = engine_for(settings, migrate=True)
    if offline:
        rows = store.contents(engine)
    else:
        api = _content_api(settings)
        try:
            rows = asyncio.run(refresh(api, engine, _now))
        except TwilioApiError as exc:
            fail(f"Twilio's Content API refused: {exc}", 1)
        finally:
            api.close()
    if not rows:
        typer.echo("no WhatsApp content yet: run `surveybot whatsapp sync`")
        return
    table = Table("flow", "locale", "content", "sid", "approval", "reason", "from")
    for row in rows:
        table.add_row(
            row.flow_id,
            row.locale,
            row.purpose,
            row.content_sid,
            row.approval_status if row.purpose == "template" else NOT_NEEDED,
            row.rejection_reason or "",
            row.source,
        )
    console.print(table)
