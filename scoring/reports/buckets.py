"""Time buckets in the report time zone: local days, ISO weeks, months and weekdays in SQL.

PostgreSQL converts with the zone's own rules. SQLite has no time zones, so the UTC offsets in
force over the view's span are computed here and applied as a CASE over the transitions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from scoring.reports.filters import Dimension
from scoring.tables import UTCDateTime


def utc_offsets(tz: ZoneInfo, lo: datetime, hi: datetime) -> list[tuple[datetime, int]]:
    """[(from_utc, offset_seconds)] covering lo..hi: the zone's offset changes in that span."""
    lo, hi = lo.astimezone(UTC).replace(microsecond=0), hi.astimezone(UTC)

    def offset(moment: datetime) -> int:
        delta = moment.astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta else 0

    changes = [(lo, offset(lo))]
    moment = lo
    while moment < hi:
        step = min(moment + timedelta(days=1), hi)
        if offset(step) != changes[-1][1]:
            # Bisect in whole seconds to the exact first second of the new offset.
            a, b = moment, step
            while (b - a) > timedelta(seconds=1):
                mid = a + timedelta(seconds=(b - a).total_seconds() // 2)
                a, b = (mid, b) if offset(mid) == changes[-1][1] else (a, mid)
            changes.append((b, offset(b)))
        moment = step
    return changes


def local_time_sqlite(
    column: sa.ColumnElement[Any], offsets: list[tuple[datetime, int]]
) -> sa.ColumnElement[str]:
    """SQLite has no time zones: shift by the offset in force, as a CASE over the transitions."""
    if len(offsets) == 1:
        return sa.func.datetime(column, f"{offsets[0][1]:+d} seconds")
    whens = [
        (column < sa.literal(start, UTCDateTime()), sa.literal(f"{prev:+d} seconds"))
        for (start, _), (_, prev) in zip(offsets[1:], offsets[:-1], strict=True)
    ]
    shift = sa.case(*whens, else_=sa.literal(f"{offsets[-1][1]:+d} seconds"))
    return sa.func.datetime(column, shift)


def time_bucket(
    dialect: str,
    column: sa.ColumnElement[Any],
    dimension: Dimension,
    tz: ZoneInfo,
    span: tuple[datetime, datetime],
) -> sa.ColumnElement[str]:
    """The local day/week/month start as 'YYYY-MM-DD', or the ISO weekday '1'..'7'."""
    if dialect == "postgresql":
        local_pg: sa.ColumnElement[Any] = sa.func.timezone(tz.key, column)
        if dimension is Dimension.DOW:
            return sa.cast(sa.cast(sa.extract("isodow", local_pg), sa.Integer), sa.String)
        return sa.func.to_char(sa.func.date_trunc(dimension.value, local_pg), "YYYY-MM-DD")
    local: sa.ColumnElement[Any] = local_time_sqlite(column, utc_offsets(tz, *span))
    if dimension is Dimension.DAY:
        return sa.func.date(local)
    if dimension is Dimension.WEEK:
        return sa.func.date(local, "weekday 0", "-6 days")  # the Monday starting the ISO week
    if dimension is Dimension.MONTH:
        return sa.func.strftime("%Y-%m-01", local)
    # strftime's %w is 0 for Sunday; ISO wants 7.
    return sa.cast((sa.cast(sa.func.strftime("%w", local), sa.Integer) + 6) % 7 + 1, sa.String)
