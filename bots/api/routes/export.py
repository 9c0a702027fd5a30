"""CSV exports of any filtered view, streamed batch by batch.

One builder serves the API export, the dashboard's CSV links and `surveybot export`. Every
field is quoted, text that a spreadsheet would run as a formula is defused, times are local to
the report time zone with their offset, and the file starts with a UTF-8 byte-order mark so
Excel reads accents correctly. `sep=semicolon` gives the variant Dutch Excel opens directly:
`;` between fields and a decimal comma.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from bots.api.deps import UNAUTHORIZED, ContainerDep, ViewerDep
from bots.api.routes.metrics import View, ViewDep, compute_funnel, compute_metrics
from bots.container import Container
from scoring import metrics

router = APIRouter(prefix="/api/v1", tags=["export"], responses=UNAUTHORIZED)

BATCH = 2000
BOM = "\ufeff"


class ExportView(StrEnum):
    RESPONSES = "responses"
    METRICS = "metrics"
    FUNNEL = "funnel"


class Separator(StrEnum):
    COMMA = "comma"  # `,` and a decimal point: most tools, English Excel
    SEMICOLON = "semicolon"  # `;` and a decimal comma: Dutch (and most European) Excel


@dataclass(frozen=True, slots=True)
class CsvFormat:
    """How one export writes its cells."""

    separator: Separator = Separator.COMMA
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Amsterdam"))
    bom: bool = True

    @property
    def delimiter(self) -> str:
        return ";" if self.separator is Separator.SEMICOLON else ","

    @property
    def decimal(self) -> str:
        return "," if self.separator is Separator.SEMICOLON else "."

    def start(self) -> str:
        """What the file begins with (the byte-order mark)."""
        return BOM if self.bom else ""


def separator_for_locale(locale: str) -> Separator:
    """Dutch Excel splits on `;` and reads `8,5` as a number; English Excel wants `,` and `8.5`."""
    return Separator.SEMICOLON if locale == "nl" else Separator.COMMA


# A spreadsheet runs a cell as a formula when it starts with one of these (OWASP, "CSV
# Injection"). A separator inside a cell must not start one either: an importer that splits
# on `;` or `,` regardless of quotes would hand `goed;=1+1` over as a cell `=1+1`.
_FORMULA_START = frozenset("=+-@\t\r")
_AFTER_SEPARATOR = re.compile(r"[,;\t\r\n|]\s*[=+\-@]")


def defuse(text: str) -> str:
    """Text a spreadsheet shows as text: a leading `'` when any part could start a formula."""
    if not text:
        return text
    if text[0] in _FORMULA_START or text.lstrip(" ")[:1] in _FORMULA_START:
        return "'" + text
    if _AFTER_SEPARATOR.search(text):
        return "'" + text
    return text


def cell(value: Any, fmt: CsvFormat) -> str:
    """One value as the text of its cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value).replace(".", fmt.decimal)
    if isinstance(value, datetime):
        return value.astimezone(fmt.timezone).isoformat(sep=" ", timespec="seconds")
    return defuse(str(value))


def csv_line(values: Iterable[Any], fmt: CsvFormat | None = None) -> str:
    """One CSV record, every field quoted."""
    fmt = fmt or CsvFormat()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=fmt.delimiter, quoting=csv.QUOTE_ALL)
    writer.writerow([cell(v, fmt) for v in values])
    return buffer.getvalue()


RESPONSE_HEADER = [
    "id",
    "invitation",
    "flow",
    "metric",
    "value",
    "scale_min",
    "scale_max",
    "channel",
    "locale",
    "agent",
    "team",
    "queue",
    "journey_stage",
    "answered_at",
    "comment",
    "tags",
    "test",
]
METRIC_HEADER = [
    "group",
    "n",
    "hidden",
    "score",
    "margin",
    "mean",
    "mean_margin",
    "top_box",
    "top_box_margin",
    "low",
    "middle",
    "high",
]
FUNNEL_HEADER = ["group", "invited", "sent", "delivered", "answered", "commented", "response_rate"]


def response_cells(row: metrics.ResponseRow) -> list[Any]:
    values = {name: getattr(row, name) for name in RESPONSE_HEADER if name != "tags"}
    values["tags"] = ";".join(row.tags)
    return [values[name] for name in RESPONSE_HEADER]


def metric_lines(data: dict[str, Any], fmt: CsvFormat) -> list[str]:
    groups = data["groups"] or [data["overall"]]
    lines = [csv_line(METRIC_HEADER, fmt)]
    for g in groups:
        low, middle, high = (list(g["categories"].values()) + [None] * 3)[:3]
        lines.append(
            csv_line(
                [
                    g["key"] if data["group_by"] else "all",
                    *(g[name] for name in METRIC_HEADER[1:9]),
                    low,
                    middle,
                    high,
                ],
                fmt,
            )
        )
    return lines


def funnel_lines(data: dict[str, Any], fmt: CsvFormat) -> list[str]:
    groups = data["groups"] or [data["overall"]]
    lines = [csv_line(FUNNEL_HEADER, fmt)]
    for g in groups:
        key = g["key"] if data["group_by"] else "all"
        lines.append(csv_line([key, *(g[name] for name in FUNNEL_HEADER[1:])], fmt))
    return lines


def next_batch(
    container: Container, v: View, after: tuple[datetime, int] | None
) -> list[metrics.ResponseRow]:
    with container.db.engine.connect() as conn:
        return metrics.responses_after(conn, v.filters, v.metric, after=after, limit=BATCH)


async def response_lines(container: Container, v: View, fmt: CsvFormat) -> AsyncIterator[str]:
    """Header, then rows in keyset batches: each batch is its own short database call."""
    yield csv_line(RESPONSE_HEADER, fmt)
    after: tuple[datetime, int] | None = None
    while True:
        batch = await container.db.report(next_batch, container, v, after)
        if not batch:
            return
        yield "".join(csv_line(response_cells(row), fmt) for row in batch)
        after = (batch[-1].answered_at, batch[-1].id)


async def lines_of(
    container: Container, v: View, what: ExportView, fmt: CsvFormat
) -> AsyncIterator[str]:
    yield fmt.start()
    if what is ExportView.RESPONSES:
        async for line in response_lines(container, v, fmt):
            yield line
        return
    if what is ExportView.METRICS:
        data = await container.db.report(compute_metrics, container, v)
        for line in metric_lines(data, fmt):
            yield line
        return
    data = await container.db.report(compute_funnel, container, v)
    for line in funnel_lines(data, fmt):
        yield line


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "the view as CSV"}},
)
async def export_csv(
    _role: ViewerDep,
    container: ContainerDep,
    v: ViewDep,
    view: ExportView = ExportView.RESPONSES,
    sep: Annotated[
        Separator,
        Query(description="comma (`,`, decimal point) or semicolon (`;`, decimal comma)"),
    ] = Separator.COMMA,
    bom: Annotated[bool, Query(description="start with a UTF-8 byte-order mark")] = True,
) -> StreamingResponse:
    """Stream the filtered responses, metrics or funnel as CSV (local times, every field quoted)."""
    return csv_response(container, v, view, CsvFormat(sep, v.config.timezone, bom))


def csv_response(
    container: Container, v: View, view: ExportView, fmt: CsvFormat
) -> StreamingResponse:
    """The view as a streamed CSV download (shared with the dashboard's CSV links)."""
    if view is ExportView.METRICS:
        v.require_metric()
    name = f"surveybot-{view.value}-{v.metric or 'all'}.csv"
    return StreamingResponse(
        lines_of(container, v, view, fmt),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
