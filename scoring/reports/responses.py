"""The individual responses behind a number, with their follow-up comments and tags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from scoring.reports.filters import Filters, Rehearsals
from scoring.reports.sql import COMMENT, INVITATION, RESPONSE, as_utc, conditions
from scoring.tables import UTCDateTime


@dataclass(frozen=True, slots=True)
class ResponseRow:
    id: int
    invitation: str
    flow: str
    metric: str
    value: int
    scale_min: int
    scale_max: int
    channel: str
    locale: str
    agent: str | None
    team: str | None
    queue: str | None
    journey_stage: str | None
    answered_at: datetime
    comment: str | None
    tags: list[str]
    test: bool = False
    lower_is_better: bool = False
    flow_version: str | None = None

    @property
    def goodness(self) -> int:
        """The value with higher always better, as reports count it."""
        return self.scale_min + self.scale_max - self.value if self.lower_is_better else self.value

    def as_dict(self) -> dict[str, Any]:
        return {
            name: getattr(self, name).isoformat() if name == "answered_at" else getattr(self, name)
            for name in self.__slots__
        }


def _response_query(
    dialect: str,
    filters: Filters,
    metric: str | None,
    *,
    tags_as_text: bool = False,
    commented: bool = False,
) -> tuple[sa.Select[Any], list[sa.ColumnElement[bool]]]:
    r = RESPONSE.c
    where = conditions(RESPONSE, "answered_at", filters, dialect)
    if metric:
        where.append(r.metric == metric)
    query = (
        sa.select(
            r.id,
            INVITATION.c.public_id,
            r.flow_id,
            r.metric,
            r.value,
            r.scale_min,
            r.scale_max,
            r.channel,
            r.locale,
            r.agent,
            r.team,
            r.queue,
            r.journey_stage,
            r.answered_at,
            COMMENT.c.text,
            # As text, the driver hands the list over undecoded: most are "[]", seen at a glance.
            sa.cast(INVITATION.c.tags, sa.Text) if tags_as_text else INVITATION.c.tags,
            r.is_test,
            r.lower_is_better,
            r.flow_version,
        )
        .select_from(
            # Only commented answers: from the (few) comments, not from every response.
            COMMENT.join(RESPONSE, COMMENT.c.response_id == r.id).join(
                INVITATION, INVITATION.c.id == r.invitation_id
            )
            if commented
            else RESPONSE.join(INVITATION, INVITATION.c.id == r.invitation_id).outerjoin(
                COMMENT, COMMENT.c.response_id == r.id
            )
        )
        .where(*where)
    )
    return query, where


RAW_ANSWERED_AT = 13  # answered_at's place in a row of `_response_query`


def _row(values: Sequence[Any]) -> ResponseRow:
    *head, answered_at, comment, tags, is_test, lower, version = values
    build: Any = ResponseRow  # the leading columns line up with the dataclass fields
    return build(  # type: ignore[no-any-return]
        *head, as_utc(answered_at), comment, list(tags or []), bool(is_test), bool(lower), version
    )


def responses(
    conn: sa.Connection,
    filters: Filters = Filters(),
    metric: str | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[ResponseRow]]:
    """(total, one page of responses), newest first, with their follow-up comments."""
    query, where = _response_query(conn.dialect.name, filters, metric)
    from_: sa.FromClause = RESPONSE
    if filters.tags:
        from_ = RESPONSE.join(INVITATION, INVITATION.c.id == RESPONSE.c.invitation_id)
    total = conn.execute(sa.select(sa.func.count()).select_from(from_).where(*where)).scalar_one()
    page = conn.execute(
        query.order_by(RESPONSE.c.answered_at.desc(), RESPONSE.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return int(total), [_row(values) for values in page]


def responses_after(
    conn: sa.Connection,
    filters: Filters = Filters(),
    metric: str | None = None,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int = 2000,
) -> list[ResponseRow]:
    """The next batch of responses, oldest first, after (answered_at, id): keyset pagination.

    Exports read batch by batch, each a short query of its own, so a long export never holds
    the database thread (SQLite) or a connection (PostgreSQL) while the client downloads.
    """
    query, _ = _response_query(conn.dialect.name, filters, metric)
    r = RESPONSE.c
    if after is not None:
        moment = sa.literal(after[0], UTCDateTime())
        # A row value: both databases seek ix_response_answered to it, where the OR form
        # made them scan and sort every earlier row again for each batch.
        query = query.where(sa.tuple_(r.answered_at, r.id) > sa.tuple_(moment, after[1]))
    rows = conn.execute(query.order_by(r.answered_at, r.id).limit(limit)).all()
    return [_row(values) for values in rows]


def raw_responses_after(
    conn: sa.Connection,
    filters: Filters = Filters(),
    metric: str | None = None,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int = 2000,
) -> list[tuple[Any, ...]]:
    """`responses_after` as the driver hands the rows over, for exports of many rows.

    The driver's own tuples, in `_response_query`'s column order: tag lists are JSON text,
    SQLite's times the stored text, PostgreSQL's datetimes. The statement still goes through
    SQLAlchemy (its bound times are formatted as every other query's); only the per-row
    processing into `ResponseRow` is skipped, which cost more than the query itself.
    """
    query, _ = _response_query(conn.dialect.name, filters, metric, tags_as_text=True)
    r = RESPONSE.c
    if after is not None:
        moment = sa.literal(after[0], UTCDateTime())
        query = query.where(sa.tuple_(r.answered_at, r.id) > sa.tuple_(moment, after[1]))
    result = conn.execute(query.order_by(r.answered_at, r.id).limit(limit))
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def response_by_id(conn: sa.Connection, response_id: int) -> ResponseRow | None:
    """One response with its comment and tags, a test answer too."""
    query, _ = _response_query(conn.dialect.name, Filters(test=Rehearsals.INCLUDE), None)
    values = conn.execute(query.where(RESPONSE.c.id == response_id)).first()
    return None if values is None else _row(values)


def latest_comments(
    conn: sa.Connection,
    filters: Filters = Filters(),
    metric: str | None = None,
    limit: int = 10,
) -> list[ResponseRow]:
    """The newest follow-up comments under the filters."""
    query, _ = _response_query(conn.dialect.name, filters, metric, commented=True)
    rows = conn.execute(
        query.order_by(COMMENT.c.created_at.desc(), COMMENT.c.id.desc()).limit(limit)
    ).all()
    return [_row(values) for values in rows]
