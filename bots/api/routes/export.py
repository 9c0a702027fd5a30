"""CSV exports of any filtered view, streamed batch by batch."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from bots.api.deps import UNAUTHORIZED, ContainerDep, ViewerDep
from bots.api.routes.metrics import View, ViewDep, compute_funnel, compute_metrics
from bots.container import Container
from scoring import metrics

router = APIRouter(prefix="/api/v1", tags=["export"], responses=UNAUTHORIZED)

BATCH = 2000


class ExportView(StrEnum):
    RESPONSES = "responses"
    METRICS = "metrics"
    FUNNEL = "funnel"


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


def csv_line(values: Iterable[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if v is None else _safe(v) for v in values])
    return buffer.getvalue()


def _safe(value: Any) -> Any:
    # Spreadsheet apps run cells starting with = + - @ as formulas: customers write comments.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def response_cells(row: metrics.ResponseRow) -> list[Any]:
    values = row.as_dict()
    values["tags"] = ";".join(row.tags)
    return [values[name] for name in RESPONSE_HEADER]


def metric_lines(data: dict[str, Any]) -> list[str]:
    groups = data["groups"] or [data["overall"]]
    lines = [csv_line(METRIC_HEADER)]
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
                ]
            )
        )
    return lines


def funnel_lines(data: dict[str, Any]) -> list[str]:
    groups = data["groups"] or [data["overall"]]
    lines = [csv_line(FUNNEL_HEADER)]
    for g in groups:
        key = g["key"] if data["group_by"] else "all"
        lines.append(csv_line([key, *(g[name] for name in FUNNEL_HEADER[1:])]))
    return lines


def next_batch(
    container: Container, v: View, after: tuple[datetime, int] | None
) -> list[metrics.ResponseRow]:
    with container.db.engine.connect() as conn:
        return metrics.responses_after(conn, v.filters, v.metric, after=after, limit=BATCH)


async def response_lines(container: Container, v: View) -> AsyncIterator[str]:
    """Header, then rows in keyset batches: each batch is its own short database call."""
    yield csv_line(RESPONSE_HEADER)
    after: tuple[datetime, int] | None = None
    while True:
        batch = await container.db.report(next_batch, container, v, after)
        if not batch:
            return
        yield "".join(csv_line(response_cells(row)) for row in batch)
        after = (batch[-1].answered_at, batch[-1].id)


async def lines_of(container: Container, v: View, what: ExportView) -> AsyncIterator[str]:
    if what is ExportView.RESPONSES:
        async for line in response_lines(container, v):
            yield line
        return
    if what is ExportView.METRICS:
        data = await container.db.report(compute_metrics, container, v)
        for line in metric_lines(data):
            yield line
        return
    data = await container.db.report(compute_funnel, container, v)
    for line in funnel_lines(data):
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
) -> StreamingResponse:
    """Stream the filtered responses, metrics or funnel as CSV."""
    return csv_response(container, v, view)


def csv_response(container: Container, v: View, view: ExportView) -> StreamingResponse:
    """The view as a streamed CSV download (shared with the dashboard's CSV links)."""
    if view is ExportView.METRICS:
        v.require_metric()
    name = f"surveybot-{view.value}-{v.metric or 'all'}.csv"
    return StreamingResponse(
        lines_of(container, v, view),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
