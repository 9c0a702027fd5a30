"""How a CSV export writes its cells and lines, for the API, the dashboard and the CLI.

Every field is quoted, text that a spreadsheet would run as a formula is defused, times are
local to the report time zone with their offset, and the file starts with a UTF-8 byte-order
mark so Excel reads accents correctly. The semicolon variant is what Dutch Excel opens
directly: `;` between fields and a decimal comma.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from scoring.reports.responses import ResponseRow

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
    if not text or _FORMULA_START.isdisjoint(text):
        return text  # no character that starts a formula: most cells, checked in one pass
    if text[0] in _FORMULA_START or text.lstrip(" ")[:1] in _FORMULA_START:
        return "'" + text
    if _AFTER_SEPARATOR.search(text):
        return "'" + text
    return text


def cell(value: Any, fmt: CsvFormat) -> str:
    """One value as the text of its cell."""
    kind = type(value)
    if kind is str:  # the common cases first: an export formats millions of cells
        return defuse(value)
    if kind is int:
        return str(value)
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
    "direction",  # of the scale as asked: lower_is_better for the effort question
    "report_value",  # the value on the reports' higher-is-better scale
    "flow_version",
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
    "interval_low",
    "interval_high",
    "mean",
    "mean_margin",
    "top_box",
    "top_box_margin",
    "low",
    "middle",
    "high",
]
FUNNEL_HEADER = ["group", "invited", "sent", "delivered", "answered", "commented", "response_rate"]


def csv_lines(records: Iterable[Iterable[Any]], fmt: CsvFormat | None = None) -> str:
    """Many records in one go: one writer for a whole export batch, as `csv_line` writes each."""
    fmt = fmt or CsvFormat()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=fmt.delimiter, quoting=csv.QUOTE_ALL)
    writer.writerows([cell(v, fmt) for v in values] for values in records)
    return buffer.getvalue()


# Cells that are not a field of the row as it is.
_DERIVED: dict[str, Callable[[ResponseRow], Any]] = {
    "tags": lambda row: ";".join(row.tags),
    "direction": lambda row: "lower_is_better" if row.lower_is_better else "higher_is_better",
    "report_value": lambda row: row.goodness,
}


def response_cells(row: ResponseRow) -> list[Any]:
    return [
        derive(row) if (derive := _DERIVED.get(name)) else getattr(row, name)
        for name in RESPONSE_HEADER
    ]


def metric_lines(data: dict[str, Any], fmt: CsvFormat) -> list[str]:
    """A metric report (as `MetricReport.as_dict` gives it): one line per group."""
    groups = data["groups"] or [data["overall"]]
    lines = [csv_line(METRIC_HEADER, fmt)]
    for g in groups:
        low, middle, high = (list(g["categories"].values()) + [None] * 3)[:3]
        interval = g["interval"] or [None, None]
        lines.append(
            csv_line(
                [
                    g["key"] if data["group_by"] else "all",
                    *(g[name] for name in METRIC_HEADER[1:5]),
                    *interval,
                    *(g[name] for name in METRIC_HEADER[7:11]),
                    low,
                    middle,
                    high,
                ],
                fmt,
            )
        )
    return lines


def funnel_lines(data: dict[str, Any], fmt: CsvFormat) -> list[str]:
    """A funnel report (as `FunnelReport.as_dict` gives it): one line per group."""
    groups = data["groups"] or [data["overall"]]
    lines = [csv_line(FUNNEL_HEADER, fmt)]
    for g in groups:
        key = g["key"] if data["group_by"] else "all"
        lines.append(csv_line([key, *(g[name] for name in FUNNEL_HEADER[1:])], fmt))
    return lines


class _Cells(dict[Any, str]):
    """Each text value's cell, formatted on first sight."""

    def __missing__(self, value: Any) -> str:
        found = self[value] = "" if value is None else defuse(str(value))
        return found


def raw_response_csv(rows: Iterable[Sequence[Any]], fmt: CsvFormat) -> tuple[str, int]:
    """Driver rows of `raw_responses_after` as CSV lines, the same text as `response_cells` gives.

    An export writes millions of cells, most of them a handful of repeated values (flow,
    channel, agent, ...): each distinct value is formatted once per batch and looked up after.
    Returns the text and the number of rows.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=fmt.delimiter, quoting=csv.QUOTE_ALL)
    text = _Cells()  # text[value] is the value's cell: a dict lookup once seen
    tz = fmt.timezone
    records = []
    for row in rows:
        (id_, invitation, flow, metric, value, lo, hi, channel, locale, agent, team, queue) = row[
            :12
        ]
        stage, answered_at, comment, tags, is_test, lower, version = row[12:]
        if isinstance(answered_at, str):  # SQLite: the stored naive UTC text
            answered_at = datetime.fromisoformat(answered_at).replace(tzinfo=UTC)
        if isinstance(tags, str):  # the JSON text
            tags = json.loads(tags) if tags != "[]" else ()
        records.append(
            (
                str(id_),
                defuse(invitation),
                text[flow],
                text[metric],
                str(value),
                str(lo),
                str(hi),
                "lower_is_better" if lower else "higher_is_better",
                str(lo + hi - value if lower else value),
                text[version],
                text[channel],
                text[locale],
                text[agent],
                text[team],
                text[queue],
                text[stage],
                answered_at.astimezone(tz).isoformat(sep=" ", timespec="seconds"),
                "" if comment is None else defuse(comment),
                defuse(";".join(tags)) if tags else "",
                "true" if is_test else "false",
            )
        )
    writer.writerows(records)
    return buffer.getvalue(), len(records)
