"""Scores and the response-rate funnel, aggregated by the database.

Every figure is computed with one GROUP BY per view: the database returns per-group counts and
sums, Python only turns those into percentages and intervals (see `definitions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from scoring.reports.chain import fans_out
from scoring.reports.definitions import definition
from scoring.reports.figures import Funnel, Score, score_of
from scoring.reports.filters import Dimension, Filters, ReportConfig
from scoring.reports.formulas import Aggregate
from scoring.reports.sql import (
    COLUMN,
    COMMENT,
    INVITATION,
    RESPONSE,
    conditions,
    goodness,
    source,
    tag_elements,
)

DELIVERED_STATUSES = ("delivered", "read", "live")
KNOWN: sa.Table = SQLModel.metadata.tables["known_value"]


# (group key, goodness, scale min, scale max, answers): what one grouped scan returns.
Count = tuple[str | None, int, int, int, int]


def scores(
    conn: sa.Connection,
    metric: str,
    filters: Filters = Filters(),
    group_by: Dimension | None = None,
    config: ReportConfig = ReportConfig(),
) -> list[Score]:
    """The metric per group (one row when ungrouped), ordered by key."""
    counted = score_counts(conn, metric, filters, group_by, config)
    return scores_from_counts(metric, counted, grouped=group_by is not None, min_n=config.min_n)


def score_counts(
    conn: sa.Connection,
    metric: str,
    filters: Filters,
    group_by: Dimension | None,
    config: ReportConfig,
) -> list[Count]:
    """Answers per (group, score, scale): every figure of a group follows from these counts."""
    dialect = conn.dialect.name
    where = [RESPONSE.c.metric == metric, *conditions(RESPONSE, "answered_at", filters, dialect)]
    src = source(
        conn,
        table=RESPONSE,
        time_column="answered_at",
        filters=filters,
        group_by=group_by,
        tz=config.timezone,
        where=where,
    )
    r = RESPONSE.c
    # Group over a subquery: PostgreSQL must see the bucket expression once, not twice with
    # different bind parameters.
    rows_query = (
        sa.select(src.key_column(), goodness().label("g"), r.value, r.scale_min, r.scale_max)
        .select_from(src.from_)
        .where(*where)
    )
    if fans_out(filters, group_by, dialect):
        # Every agent of a chain counts the response once, however often they handled it.
        rows_query = rows_query.add_columns(r.id).distinct()
    rows = rows_query.subquery("rows")
    # One GROUP BY (group, score, scale): at most a few dozen rows per group come back, and
    # n, the bands, the sums and the distribution all follow from those counts.
    counted = conn.execute(
        sa.select(
            rows.c.key, rows.c.g, rows.c.scale_min, rows.c.scale_max, sa.func.count()
        ).group_by(rows.c.key, rows.c.g, rows.c.scale_min, rows.c.scale_max)
    ).all()
    return [(k, int(g), int(lo), int(hi), int(n)) for k, g, lo, hi, n in counted]


def scores_from_counts(
    metric: str, counted: Iterable[Count], *, grouped: bool, min_n: int
) -> list[Score]:
    """The figures of each group from its counts (`score_counts`), ordered by key."""
    spec = definition(metric)
    sums: dict[str | None, list[float]] = {}
    distributions: dict[str | None, dict[int, int]] = {}
    # In a fixed order, so that each distribution lists its scores the same way however the
    # counts were found (one scan, or summed from a finer one).
    for k, g, lo, hi, n in sorted(counted, key=lambda c: (c[0] is None, c[0] or "", *c[1:4])):
        acc = sums.setdefault(k, [0, 0, 0, 0.0, 0.0])
        band = spec.band(g, lo, hi)
        acc[0] += n
        acc[1] += n if band < 0 else 0
        acc[2] += n if band > 0 else 0
        acc[3] += float(g) * n
        acc[4] += float(g) * float(g) * n
        dist = distributions.setdefault(k, {})
        dist[g] = dist.get(g, 0) + n
    results = [
        score_of(
            metric,
            Aggregate(k, int(acc[0]), int(acc[1]), int(acc[2]), acc[3], acc[4]),
            distributions[k],
            min_n,
        )
        for k, acc in sums.items()
    ]
    if not grouped and not results:
        results = [Score(None, 0)]
    return sorted(results, key=lambda s: (s.key is None, s.key or ""))


def funnel(
    conn: sa.Connection,
    filters: Filters = Filters(),
    group_by: Dimension | None = None,
    config: ReportConfig = ReportConfig(),
) -> list[Funnel]:
    """invited -> sent -> delivered -> answered -> follow-up answered, per group.

    The period is the invitation's creation time and every filter applies to the invitation,
    so each step's denominator is the same set of invitations (no "all sends" vs "this agent's
    answers" mismatch).
    """
    rows = _funnel_rows(conn, filters, group_by, config)
    counted = sa.select(
        rows.c.key if group_by else sa.literal(None, sa.String).label("key"), *_steps(rows)
    )
    # Ungrouped, the key is a constant: grouping by it made SQLite sort every row first.
    counts = conn.execute(counted.group_by(rows.c.key) if group_by else counted).all()
    result = [Funnel(k, *(int(v) for v in values)) for k, *values in counts]
    if group_by is None and not result:
        result = [Funnel(None, 0, 0, 0, 0, 0)]
    return sorted(result, key=lambda f: (f.key is None, f.key or ""))


def _steps(rows: Any) -> list[sa.ColumnElement[Any]]:
    return [
        sa.func.count(),
        sa.func.count(rows.c.sent_at),
        sa.func.coalesce(sa.func.sum(rows.c.delivered), 0),
        sa.func.count(rows.c.answered_at),
        sa.func.coalesce(sa.func.sum(rows.c.commented), 0),
    ]


def _funnel_rows(
    conn: sa.Connection,
    filters: Filters,
    group_by: Dimension | None,
    config: ReportConfig,
) -> Any:
    """One row per invitation under the filters (per group member when it fans out)."""
    inv = INVITATION.c
    where = conditions(INVITATION, "created_at", filters, conn.dialect.name)
    src = source(
        conn,
        table=INVITATION,
        time_column="created_at",
        filters=filters,
        group_by=group_by,
        tz=config.timezone,
        where=where,
    )
    delivered = sa.or_(inv.delivery_status.in_(DELIVERED_STATUSES), inv.answered_at.is_not(None))
    # Steps up to "answered" come from the invitation row alone (the service stamps
    # answered_at with the response), so a covering index answers them. Comments are few: their
    # invitation ids form one uncorrelated subquery that both databases hash once.
    commented_ids = (
        sa.select(RESPONSE.c.invitation_id)
        .where(RESPONSE.c.id.in_(sa.select(COMMENT.c.response_id)))
        .scalar_subquery()
    )
    rows: Any = (
        sa.select(
            src.key_column(),
            inv.sent_at,
            sa.case((delivered, 1), else_=0).label("delivered"),
            inv.answered_at,
            sa.case((inv.id.in_(commented_ids), 1), else_=0).label("commented"),
        )
        .select_from(src.from_)
        .where(*where)
    )
    if fans_out(filters, group_by, conn.dialect.name):
        rows = rows.add_columns(inv.id).distinct()
    return rows.subquery("rows")


def distinct_values(conn: sa.Connection, dimension: Dimension, limit: int = 200) -> list[str]:
    """Known values of a dimension, for the dashboard's filter lists."""
    if dimension is Dimension.TAG:
        elements = tag_elements(conn.dialect.name, INVITATION.c.tags)
        query = (
            sa.select(elements.c.value)
            .select_from(INVITATION)
            .join(elements, sa.true())
            # Most invitations have no tag: skipped before their list is unpacked.
            .where(
                INVITATION.c.is_test == sa.false(),
                sa.cast(INVITATION.c.tags, sa.Text) != "[]",
            )
        )
        column: sa.ColumnElement[Any] = elements.c.value
    else:
        column = RESPONSE.c[COLUMN[dimension]]
        query = sa.select(column).where(RESPONSE.c.is_test == sa.false())
    rows = conn.execute(
        query.where(column.is_not(None)).group_by(column).order_by(column).limit(limit)
    ).scalars()
    return [str(v) for v in rows]


def known_values(
    conn: sa.Connection, dimensions: Sequence[Dimension], limit: int = 200
) -> dict[str, list[str]]:
    """`distinct_values` of several dimensions at once, the response's from `known_value`.

    Each list was a scan of every response; the answers keep table `known_value` (one row per
    value, see scoring.tables.KnownValue), a few hundred rows read in one query. Tags are the
    invitation's (an unanswered one's too) and are still found from the invitations.
    """
    stored = [d.value for d in dimensions if d is not Dimension.TAG]
    found: dict[str, list[str]] = {name: [] for name in stored}
    if stored:
        rows = conn.execute(
            sa.select(KNOWN.c.dimension, KNOWN.c.value)
            .where(KNOWN.c.dimension.in_(stored))
            .order_by(KNOWN.c.dimension, KNOWN.c.value)
        )
        for dimension, value in rows:
            if len(found[dimension]) < limit:
                found[dimension].append(str(value))
    if Dimension.TAG in dimensions:
        found[Dimension.TAG.value] = distinct_values(conn, Dimension.TAG, limit)
    return {d.value: found[d.value] for d in dimensions}
