"""`surveybot invite --csv`: invite yesterday's contacts in bulk, all rows or none."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import Progress

from bots.api.routes.invitations import InvitationIn
from flows.service import NewInvitation, SurveyService, UnknownFlow
from scoring.channels import CHANNELS

COLUMNS = (
    "address",
    "channel",
    "flow",
    "locale",
    "interaction_id",
    "agent",
    "team",
    "queue",
    "journey_stage",
    "tags",
    "timezone",
)


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def read_rows(
    path: Path, *, flow: str | None, channel: str | None, locale: str | None
) -> tuple[list[NewInvitation], list[RowError]]:
    """Validate every row first; the defaults from the command line fill empty cells."""
    invitations: list[NewInvitation] = []
    errors: list[RowError] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        unknown = sorted(set(reader.fieldnames or ()) - set(COLUMNS))
        if "address" not in (reader.fieldnames or ()):
            return [], [RowError(1, f"the header needs an 'address' column; columns: {COLUMNS}")]
        if unknown:
            errors.append(RowError(1, f"unknown column(s) {', '.join(unknown)}"))
        for row in reader:
            line = reader.line_num
            cells = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
            data: dict[str, object] = {k: v for k, v in cells.items() if v}
            data.setdefault("channel", channel or "sms")
            if flow and "flow" not in data:
                data["flow"] = flow
            if locale and "locale" not in data:
                data["locale"] = locale
            if "tags" in data:
                data["tags"] = [t.strip() for t in str(data["tags"]).split(";") if t.strip()]
            try:
                valid = InvitationIn.model_validate(data)
            except ValidationError as exc:
                for problem in exc.errors(include_url=False):
                    field = ".".join(str(p) for p in problem["loc"])
                    message = problem["msg"].removeprefix("Value error, ")
                    errors.append(RowError(line, f"{field}: {message}" if field else message))
                continue
            invitations.append(valid.to_new())
    return invitations, errors


def run_import(
    service: SurveyService, rows: list[NewInvitation], *, show_progress: bool
) -> dict[str, int]:
    """Create every invitation in one transaction; count them by resulting status."""
    started = service.clock()
    with Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task("inviting", total=len(rows))
        created = service.create_many(
            rows, progress=lambda done: progress.update(task, completed=done)
        )
    counts: dict[str, int] = {}
    for invitation in created:
        # Rows whose interaction was imported before come back as they were: say so.
        key = "already imported" if invitation.created_at < started else invitation.status
        counts[key] = counts.get(key, 0) + 1
    return counts


def invite_command(
    csv_path: Annotated[
        Path, typer.Option("--csv", help="CSV with an 'address' column", exists=True)
    ],
    flow: Annotated[str | None, typer.Option(help="flow for rows that name none")] = None,
    channel: Annotated[str | None, typer.Option(help="channel for rows that name none")] = None,
    locale: Annotated[str | None, typer.Option(help="nl or en, for rows that name none")] = None,
) -> None:
    """Invite contacts from a CSV: every row is checked first, and nothing is half-imported."""
    from bots.cli.main import fail, settings_or_exit  # noqa: PLC0415
    from bots.container import build  # noqa: PLC0415

    if channel is not None and channel not in CHANNELS.sendable():
        fail(f"--channel must be one of {', '.join(CHANNELS.sendable())}")
    settings = settings_or_exit()
    rows, errors = read_rows(csv_path, flow=flow, channel=channel, locale=locale)
    if errors:
        for error in errors:
            typer.echo(str(error), err=True)
        fail(f"{len(errors)} problem(s) in {csv_path}; nothing was imported", code=1)
    container = build(settings)
    try:
        counts = run_import(container.service, rows, show_progress=True)
    except UnknownFlow as exc:
        fail(f"{exc}; nothing was imported", code=1)
    finally:
        container.close()
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    typer.echo(f"{len(rows)} row(s): {summary}")
    typer.echo("pending invitations are sent by the worker (surveybot serve, or surveybot worker)")
