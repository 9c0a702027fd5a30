"""`surveybot why <interaction>`: every rule that applied to an interaction's invitations."""

from __future__ import annotations

import json
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bots.cli.common import fail, settings_or_exit
from bots.cli.errors import check_locale
from bots.why import OUTCOMES, RULES, explain_interaction, label


def why_command(
    interaction: Annotated[str, typer.Argument(help="the interaction id the invitation carried")],
    lang: Annotated[str, typer.Option(help="nl or en")] = "nl",
    as_json: Annotated[bool, typer.Option("--json", help="the API's JSON")] = False,
) -> None:
    """Why a customer was (not) surveyed: each rule that applied, with its time."""
    from bots.container import build  # noqa: PLC0415

    check_locale(lang, "--lang")
    settings = settings_or_exit()
    container = build(settings)
    try:
        found = explain_interaction(container.db, container.service, interaction)
    finally:
        container.close()
    if not found:
        fail(f"no invitation for interaction {interaction!r}", code=1)
    if as_json:
        body = {"interaction_id": interaction, "invitations": [e.as_dict() for e in found]}
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    tz = ZoneInfo(settings.report_timezone)
    for explained in found:
        reason = f" ({explained.status_reason})" if explained.status_reason else ""
        typer.echo(
            f"{explained.invitation_id} {explained.flow} {explained.channel}: "
            f"{explained.status}{reason}"
        )
        for step in explained.steps:
            when = step.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S%z")
            rule = label(RULES, step.rule, lang)
            outcome = label(OUTCOMES, step.outcome, lang)
            detail = f"  {step.detail}" if step.detail else ""
            typer.echo(f"  {when}  {rule:<22} {outcome}{detail}")
