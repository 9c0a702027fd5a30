"""`surveybot invite --csv`: invite yesterday's contacts in bulk, all rows or none."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress

from bots.api.routes.invitations import InvitationIn, invitation_problems
from bots.cli.common import fail, settings_or_exit
from bots.cli.errors import check_locale
from flows.service import NewInvitation, SurveyService
from scoring.channels import CHANNELS, Channel

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
    "agents",
    "teams",
    "transfers",
    "channel_switches",
    "previous_channels",
    "disposition",
    "handle_time_seconds",
    "direction",
    "bot_only",
    "auto_closed",
    "no_survey",
    "no_survey_reason",
)
# Cells that hold a list, separated by ';' as tags are ("anna;bram").
LIST_COLUMNS = ("tags", "agents", "teams", "previous_channels")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


Check = Callable[[InvitationIn], list[str]]


def read_rows(
    path: Path,
    *,
    flow: str | None,
    channel: str | None,
    locale: str | None,
    check: Check | None = None,
) -> tuple[list[NewInvitation], list[RowError]]:
    """Validate every row first, as the API would; the command line's defaults fill empty cells.

    `check` is the API's own check against this server (channel configured, flow known).
    """
    invitations: list[NewInvitation] = []
    errors: list[RowError] = []
    seen: dict[tuple[object, ...], int] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, delimiter=_delimiter(handle.readline()))
            handle.seek(0)
            unknown = sorted(set(reader.fieldnames or ()) - set(COLUMNS))
            if "address" not in (reader.fieldnames or ()):
                return [], [
                    RowError(1, f"the header needs an 'address' column; columns: {COLUMNS}")
                ]
            if unknown:
                errors.append(RowError(1, f"unknown column(s) {', '.join(unknown)}"))
            for row in reader:
                line = reader.line_num
                data = _row_data(row, flow=flow, channel=channel, locale=locale)
                try:
                    valid = InvitationIn.model_validate(data)
                except ValidationError as exc:
                    errors.extend(RowError(line, message) for message in _messages(exc))
                    # The server's own checks still apply to the fields that were fine.
                    if check is not None and not _touches(
                        exc, {"channel", "flow", "journey_stage"}
                    ):
                        partial = InvitationIn.model_construct(
                            channel=Channel(str(data["channel"])),
                            flow=_text(data.get("flow")),
                            journey_stage=_text(data.get("journey_stage")),
                        )
                        errors.extend(RowError(line, problem) for problem in check(partial))
                    continue
                if check is not None and (problems := check(valid)):
                    errors.extend(RowError(line, problem) for problem in problems)
                    continue
                stage = valid.journey_stage
                key = (valid.channel, valid.address, valid.flow, stage, valid.interaction_id)
                if (first := seen.setdefault(key, line)) != line:
                    errors.append(RowError(line, f"the same invitation as line {first}"))
                    continue
                invitations.append(valid.to_new())
    except UnicodeDecodeError:
        return [], [RowError(1, "the file is not UTF-8 text (save it as 'CSV UTF-8')")]
    except csv.Error as exc:
        return [], [RowError(reader.line_num, f"not a readable CSV: {exc}")]
    return invitations, errors


def _delimiter(header: str) -> str:
    """The header line's separator: ',' or, as Dutch Excel saves CSV, ';' (or a tab)."""
    counts = {separator: header.count(separator) for separator in (",", ";", "\t")}
    best = max(counts, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _touches(exc: ValidationError, fields: set[str]) -> bool:
    return any(str(problem["loc"][0]) in fields for problem in exc.errors() if problem["loc"])


def _row_data(
    row: dict[str | None, str | None],
    *,
    flow: str | None,
    channel: str | None,
    locale: str | None,
) -> dict[str, object]:
    cells = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS and isinstance(v, str)}
    data: dict[str, object] = {k: v for k, v in cells.items() if v}
    data.setdefault("channel", channel or "sms")
    if flow and "flow" not in data:
        data["flow"] = flow
    if locale and "locale" not in data:
        data["locale"] = locale
    for name in LIST_COLUMNS:
        if name in data:
            data[name] = [t.strip() for t in str(data[name]).split(";") if t.strip()]
    return data


def _messages(exc: ValidationError) -> list[str]:
    messages = []
    for problem in exc.errors(include_url=False):
        field = ".".join(str(p) for p in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        messages.append(f"{field}: {message}" if field else message)
    return messages


def run_import(
    service: SurveyService, rows: list[NewInvitation], *, show_progress: bool
) -> dict[str, int]:
    """Create every invitation in one transaction; count them by resulting status."""
    started = service.clock()
    # On stderr, and only on a terminal: a transient bar leaves an empty line anywhere else.
    with Progress(
        console=Console(stderr=True), disable=not show_progress, transient=True
    ) as progress:
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
        Path,
        typer.Option("--csv", help="CSV with an 'address' column", exists=True, dir_okay=False),
    ],
    flow: Annotated[str | None, typer.Option(help="flow for rows that name none")] = None,
    channel: Annotated[str | None, typer.Option(help="channel for rows that name none")] = None,
    locale: Annotated[str | None, typer.Option(help="nl or en, for rows that name none")] = None,
) -> None:
    """Invite contacts from a CSV: every row is checked first, and nothing is half-imported."""
    from bots.container import build  # noqa: PLC0415

    if channel is not None and channel not in CHANNELS.sendable():
        fail(f"--channel must be one of {', '.join(CHANNELS.sendable())}")
    check_locale(locale)
    settings = settings_or_exit()
    container = build(settings)
    try:
        service = container.service
        rows, errors = read_rows(
            csv_path,
            flow=flow,
            channel=channel,
            locale=locale,
            # The senders this server has: a row for a channel it can't send on is refused,
            # as the API refuses it, instead of waiting in the queue for ever.
            check=lambda row: invitation_problems(row, service, container.senders),
        )
        if errors:
            for error in errors:
                typer.echo(str(error), err=True)
            fail(f"{len(errors)} problem(s) in {csv_path}; nothing was imported", code=1)
        counts = run_import(service, rows, show_progress=sys.stderr.isatty())
    finally:
        container.close()
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    typer.echo(f"{len(rows)} row(s): {summary}")
    typer.echo("pending invitations are sent by the worker (surveybot serve, or surveybot worker)")
