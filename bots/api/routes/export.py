"""CSV exports of any filtered view, streamed batch by batch.

One builder serves the API export and the dashboard's CSV links (`surveybot export` writes
the same lines, see `scoring.reports.csv_format`). `sep=semicolon` gives the variant Dutch
Excel opens directly: `;` between fields and a decimal comma.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from bots.api import small_groups
from bots.api.deps import UNAUTHORIZED, ContainerDep, ViewerDep
from bots.api.report_params import ViewDep, require_metric
from bots.container import Container
from bots.reporting import report_service
from scoring.reports.csv_format import (
    RESPONSE_HEADER,
    CsvFormat,
    ExportView,
    Separator,
    csv_line,
    funnel_lines,
    metric_lines,
)
from scoring.reports.params import View

router = APIRouter(prefix="/api/v1", tags=["export"], responses=UNAUTHORIZED)

BATCH = 5000  # rows per database read: about 1 MB of CSV


async def response_lines(container: Container, v: View, fmt: CsvFormat) -> AsyncIterator[str]:
    """Header, then rows in keyset batches: each batch is its own short database call."""
    reports = report_service(container)
    yield csv_line(RESPONSE_HEADER, fmt)
    after: tuple[datetime, int] | None = None
    while True:
        # Read and formatted on the report thread: the event loop only sends the text.
        lines, _, after = await container.db.report(
            reports.response_csv_batch, v, after, BATCH, fmt
        )
        if after is None:
            return
        yield lines


async def lines_of(
    container: Container, v: View, what: ExportView, fmt: CsvFormat
) -> AsyncIterator[str]:
    yield fmt.start()
    if what is ExportView.RESPONSES:
        async for line in response_lines(container, v, fmt):
            yield line
        return
    reports = report_service(container)
    if what is ExportView.METRICS:
        scores = await container.db.report(reports.metrics, v)
        for line in metric_lines(scores.as_dict(), fmt):
            yield line
        return
    funnel = await container.db.report(reports.funnel, v)
    for line in funnel_lines(funnel.as_dict(), fmt):
        yield line


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "the view as CSV"}},
)
async def export_csv(  # noqa: PLR0917  (FastAPI reads each query parameter from the signature)
    role: ViewerDep,
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
    if view is ExportView.RESPONSES:
        await small_groups.guard(container, role, v)
    return csv_response(container, v, view, CsvFormat(sep, v.config.timezone, bom))


def csv_response(
    container: Container, v: View, view: ExportView, fmt: CsvFormat
) -> StreamingResponse:
    """The view as a streamed CSV download (shared with the dashboard's CSV links)."""
    if view is ExportView.METRICS:
        require_metric(v)
    name = f"surveybot-{view.value}-{v.metric or 'all'}.csv"
    return StreamingResponse(
        lines_of(container, v, view, fmt),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
