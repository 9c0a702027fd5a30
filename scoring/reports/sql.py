"""The SQL every report query shares: the tables, the WHERE clauses and the group key.

Scores respect each response's direction: `goodness` flips a lower-is-better answer to
`scale_min + scale_max - value`, so "higher is better" holds for every figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import SQLModel

import scoring.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from scoring.reports import chain
from scoring.reports.buckets import time_bucket
from scoring.reports.filters import Attribution, Dimension, Filters, Rehearsals
from scoring.tables import UTCDateTime

RESPONSE: sa.Table = SQLModel.metadata.tables["response"]
INVITATION: sa.Table = SQLModel.metadata.tables["invitation"]
COMMENT: sa.Table = SQLModel.metadata.tables["comment"]

# The column of each plain (neither time nor tag) dimension, on the response and invitation.
COLUMN = {
    Dimension.FLOW: "flow_id",
    Dimension.CHANNEL: "channel",
    Dimension.AGENT: "agent",
    Dimension.TEAM: "team",
    Dimension.QUEUE: "queue",
    Dimension.JOURNEY_STAGE: "journey_stage",
    Dimension.LOCALE: "locale",
    Dimension.FLOW_VERSION: "flow_version",
}


def goodness(table: sa.Table = RESPONSE) -> sa.ColumnElement[int]:
    """The value with higher always better: lower-is-better answers are flipped."""
    c = table.c
    return sa.case((c.lower_is_better, c.scale_min + c.scale_max - c.value), else_=c.value).label(
        "g"
    )


def _any_of(column: sa.ColumnElement[Any], values: Sequence[str]) -> sa.ColumnElement[bool]:
    return column == values[0] if len(values) == 1 else column.in_(values)


def _has_tag(dialect: str, tags_column: sa.ColumnElement[Any], tag: str) -> sa.Exists:
    elements = tag_elements(dialect, tags_column)
    return sa.select(sa.literal(1)).select_from(elements).where(elements.c.value == tag).exists()


def tag_elements(dialect: str, tags_column: sa.ColumnElement[Any]) -> sa.TableValuedAlias:
    """The invitation's JSON tag list as a table of `value`s."""
    if dialect == "postgresql":
        return sa.func.json_array_elements_text(tags_column).table_valued("value")
    return sa.func.json_each(tags_column).table_valued("value")


def conditions(
    table: sa.Table, time_column: str, filters: Filters, dialect: str
) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for `filters` on the response or the invitation table (same columns)."""
    c = table.c
    where: list[sa.ColumnElement[bool]] = []
    if filters.test is Rehearsals.EXCLUDE:
        where.append(c.is_test == sa.false())
    elif filters.test is Rehearsals.ONLY:
        where.append(c.is_test == sa.true())
    if filters.start is not None:
        where.append(c[time_column] >= sa.literal(filters.start, UTCDateTime()))
    if filters.end is not None:
        where.append(c[time_column] < sa.literal(filters.end, UTCDateTime()))
    for values, column in (
        (filters.flows, "flow_id"),
        (filters.channels, "channel"),
        (filters.queues, "queue"),
        (filters.journey_stages, "journey_stage"),
        (filters.locales, "locale"),
    ):
        if values:
            where.append(_any_of(c[column], values))
    if filters.flow_versions and "flow_version" in c:
        where.append(_any_of(c.flow_version, filters.flow_versions))
    for values, dimension in ((filters.agents, Dimension.AGENT), (filters.teams, Dimension.TEAM)):
        if values:
            where.append(
                chain.chain_condition(dialect, table, dimension, values, filters.attribution)
            )
    tags = INVITATION.c.tags
    where.extend(_has_tag(dialect, tags, tag) for tag in filters.tags)
    return where


@dataclass(frozen=True, slots=True)
class Source:
    """The table a view reads, joined to the invitation when tags are involved."""

    table: sa.Table
    time_column: str
    from_: sa.FromClause
    key: sa.ColumnElement[Any] | None

    def key_column(self) -> sa.Label[Any]:
        """The group key, NULL for an ungrouped view."""
        return (self.key if self.key is not None else sa.literal(None, sa.String)).label("key")


def source(
    conn: sa.Connection,
    *,
    table: sa.Table,
    time_column: str,
    filters: Filters,
    group_by: Dimension | None,
    tz: ZoneInfo,
    where: list[sa.ColumnElement[bool]],
) -> Source:
    """What a view selects from, and the expression it groups by."""
    dialect = conn.dialect.name
    from_: sa.FromClause = table
    needs_invitation = table is RESPONSE and (
        filters.tags or group_by is Dimension.TAG or chain.reads_chain(filters, group_by)
    )
    if needs_invitation:
        from_ = table.join(INVITATION, INVITATION.c.id == table.c.invitation_id)
    key: sa.ColumnElement[Any] | None = None
    if group_by in chain.SINGLE and filters.attribution is not Attribution.LAST:
        key, members = chain.group_key(dialect, table, group_by, filters.attribution)
        if members is not None:
            from_ = sa.outerjoin(from_, members, sa.true())
    elif group_by is not None and group_by.is_effort:
        key = chain.effort_key(dialect, table, group_by)
    elif group_by is Dimension.TAG:
        elements = tag_elements(dialect, INVITATION.c.tags)
        from_ = sa.join(from_, elements, sa.true())
        key = elements.c.value
    elif group_by is not None and group_by.is_time:
        span = _span(
            conn, table=table, time_column=time_column, filters=filters, where=where, from_=from_
        )
        key = time_bucket(dialect, table.c[time_column], group_by, tz, span)
    elif group_by is not None:
        key = table.c[COLUMN[group_by]]
    return Source(table, time_column, from_, key)


def answer_rows(
    conn: sa.Connection, metric: str, filters: Filters, *more: sa.ColumnElement[bool]
) -> tuple[list[sa.ColumnElement[bool]], sa.FromClause]:
    """The answers to `metric` under the filters, ungrouped: their WHERE and their FROM."""
    where = [
        RESPONSE.c.metric == metric,
        *more,
        *conditions(RESPONSE, "answered_at", filters, conn.dialect.name),
    ]
    src = source(
        conn,
        table=RESPONSE,
        time_column="answered_at",
        filters=filters,
        group_by=None,
        tz=ZoneInfo("UTC"),
        where=where,
    )
    return where, src.from_


def _span(
    conn: sa.Connection,
    *,
    table: sa.Table,
    time_column: str,
    filters: Filters,
    where: list[sa.ColumnElement[bool]],
    from_: sa.FromClause,
) -> tuple[datetime, datetime]:
    """The period the rows cover, so SQLite's offset CASE lists only the transitions in it."""
    if filters.start is not None and filters.end is not None:
        return filters.start, filters.end
    col = table.c[time_column]
    lo, hi = conn.execute(
        sa.select(sa.func.min(col), sa.func.max(col)).select_from(from_).where(*where)
    ).one()
    now = datetime.now(UTC)
    lo_dt = filters.start or as_utc(lo) or now
    hi_dt = filters.end or as_utc(hi) or now
    return lo_dt - timedelta(days=1), hi_dt + timedelta(days=1)


def as_utc(value: Any) -> datetime | None:
    """A datetime the database handed back, as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back the stored text for a bare MIN()
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)  # noqa: S101
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
