"""Scores, margins of error and the response-rate funnel, aggregated by the database.

Every figure is computed with one GROUP BY per view: the database returns per-group counts and
sums, Python only turns those into percentages and intervals. Scores respect each response's
direction: a lower-is-better answer is flipped to `scale_min + scale_max - value` first, so
"higher is better" holds for everything below.

Definitions (goodness g, on the response's own scale):
  NPS   %promoters (g >= 9) - %detractors (g <= 6); margin: adjusted Wald for a difference of
        proportions (Rocks 2016): add 3/4 of a respondent to promoters and to detractors.
  CSAT  % top-two-box (g >= scale_max - 1); margin: adjusted Wald (Agresti-Coull) proportion.
  CES   mean of g with a t-interval, and % above the midpoint (5-7 on a 7-point scale).
  other the mean and the top-two-box share, as CSAT.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import SQLModel

import scoring.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from scoring.scales import Metric
from scoring.tables import UTCDateTime

Z95 = 1.959963984540054
DEFAULT_MIN_N = 10

RESPONSE: sa.Table = SQLModel.metadata.tables["response"]
INVITATION: sa.Table = SQLModel.metadata.tables["invitation"]
COMMENT: sa.Table = SQLModel.metadata.tables["comment"]


class Dimension(StrEnum):
    """What a view can be grouped by."""

    FLOW = "flow"
    CHANNEL = "channel"
    AGENT = "agent"
    TEAM = "team"
    QUEUE = "queue"
    JOURNEY_STAGE = "journey_stage"
    LOCALE = "locale"
    TAG = "tag"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    DOW = "dow"  # ISO day of the week, "1" (Monday) to "7" (Sunday)

    @property
    def is_time(self) -> bool:
        return self in (Dimension.DAY, Dimension.WEEK, Dimension.MONTH, Dimension.DOW)


class Rehearsals(StrEnum):
    """Test answers (`surveybot try`, `"test": true` invitations) in a view: out by default."""

    EXCLUDE = "exclude"
    INCLUDE = "include"
    ONLY = "only"


_COLUMN = {
    Dimension.FLOW: "flow_id",
    Dimension.CHANNEL: "channel",
    Dimension.AGENT: "agent",
    Dimension.TEAM: "team",
    Dimension.QUEUE: "queue",
    Dimension.JOURNEY_STAGE: "journey_stage",
    Dimension.LOCALE: "locale",
}


@dataclass(frozen=True, slots=True)
class Filters:
    """A view's filters; each tuple is "any of these", tags are "all of these"."""

    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    flows: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    journey_stages: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    test: Rehearsals = Rehearsals.EXCLUDE

    def __post_init__(self) -> None:
        for moment in (self.start, self.end):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("filter periods must be timezone-aware")


@dataclass(frozen=True, slots=True)
class ReportConfig:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Amsterdam"))
    min_n: int = DEFAULT_MIN_N


# -- formulas ---------------------------------------------------------------------------------


def t95(df: int) -> float:
    """Two-sided 95% Student t quantile (Cornish-Fisher expansion; exact table for tiny df)."""
    exact = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764}
    if df in exact:
        return exact[df]
    z = Z95
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def nps(promoters: int, detractors: int, n: int) -> float | None:
    """Net Promoter Score in points, -100..100."""
    if n == 0:
        return None
    return 100.0 * (promoters - detractors) / n


def nps_margin(promoters: int, detractors: int, n: int) -> float | None:
    """95% margin of NPS in points: adjusted Wald for a difference of two proportions."""
    if n == 0:
        return None
    n_adj = n + 3
    pro = (promoters + 0.75) / n_adj
    det = (detractors + 0.75) / n_adj
    variance = (pro + det - (pro - det) ** 2) / n_adj
    return 100.0 * Z95 * math.sqrt(variance)


def proportion_margin(successes: int, n: int) -> float | None:
    """95% margin in percentage points of a proportion: adjusted Wald (Agresti-Coull)."""
    if n == 0:
        return None
    n_adj = n + Z95**2
    p = (successes + Z95**2 / 2) / n_adj
    return 100.0 * Z95 * math.sqrt(p * (1 - p) / n_adj)


def mean_margin(total: float, total_sq: float, n: int) -> float | None:
    """95% margin of a mean from its sum and sum of squares (t-interval); None below n=2."""
    if n < 2:
        return None
    variance = max(0.0, (total_sq - total * total / n) / (n - 1))
    return t95(n - 1) * math.sqrt(variance / n)


@dataclass(frozen=True, slots=True)
class Score:
    """One group's figure. Below the minimum n only `key` and `n` are filled in."""

    key: str | None
    n: int
    hidden: bool = False
    score: float | None = None
    margin: float | None = None
    mean: float | None = None
    mean_margin: float | None = None
    top_box: float | None = None  # % promoters (NPS), top-two-box (CSAT), above midpoint (CES)
    top_box_margin: float | None = None
    categories: dict[str, int] = field(default_factory=dict)
    distribution: dict[int, int] = field(default_factory=dict)  # per score, lower-is-better flipped

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "n": self.n,
            "hidden": self.hidden,
            "score": _round(self.score),
            "margin": _round(self.margin),
            "mean": _round(self.mean, 3),
            "mean_margin": _round(self.mean_margin, 3),
            "top_box": _round(self.top_box),
            "top_box_margin": _round(self.top_box_margin),
            "categories": self.categories,
            "distribution": {str(k): v for k, v in sorted(self.distribution.items())},
        }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


CATEGORY_NAMES: dict[str, tuple[str, str, str]] = {
    Metric.NPS: ("detractors", "passives", "promoters"),
    Metric.CSAT: ("dissatisfied", "neutral", "satisfied"),
    Metric.CES: ("difficult", "neutral", "easy"),
    Metric.CUSTOM: ("low", "middle", "high"),
}


@dataclass(frozen=True, slots=True)
class Aggregate:
    """What the database returns per group: counts and sums, nothing per row."""

    key: str | None
    n: int
    low: int  # detractors / bottom / below the midpoint
    high: int  # promoters / top-two-box / above the midpoint
    total: float
    total_sq: float


def score_of(metric: str, agg: Aggregate, distribution: dict[int, int], min_n: int) -> Score:
    """Turn one group's aggregate into its published figure, hiding it below `min_n`."""
    if agg.n < max(min_n, 1):
        return Score(agg.key, agg.n, hidden=agg.n > 0)
    mean = agg.total / agg.n
    top = 100.0 * agg.high / agg.n
    top_margin = proportion_margin(agg.high, agg.n)
    m_margin = mean_margin(agg.total, agg.total_sq, agg.n)
    names = CATEGORY_NAMES.get(metric, CATEGORY_NAMES[Metric.CUSTOM])
    categories = dict(zip(names, (agg.low, agg.n - agg.low - agg.high, agg.high), strict=True))
    if metric == Metric.NPS:
        score, margin = nps(agg.high, agg.low, agg.n), nps_margin(agg.high, agg.low, agg.n)
    elif metric == Metric.CES:
        score, margin = mean, m_margin
    else:
        score, margin = top, top_margin
    return Score(
        agg.key,
        agg.n,
        score=score,
        margin=margin,
        mean=mean,
        mean_margin=m_margin,
        top_box=top,
        top_box_margin=top_margin,
        categories=categories,
        distribution=distribution,
    )


# -- SQL building blocks ----------------------------------------------------------------------


def goodness(table: sa.Table = RESPONSE) -> sa.ColumnElement[int]:
    """The value with higher always better: lower-is-better answers are flipped."""
    c = table.c
    return sa.case((c.lower_is_better, c.scale_min + c.scale_max - c.value), else_=c.value).label(
        "g"
    )


def band_of(metric: str, g: int, lo: int, hi: int) -> int:
    """-1 low (detractor, bottom box, below the midpoint), 0 middle, +1 high, on g's scale."""
    if metric == Metric.NPS:
        return -1 if g <= lo + 6 else 1 if g >= lo + 9 else 0
    if metric == Metric.CES:
        # Above / below the midpoint: 5-7 and 1-3 on the 7-point agreement scale.
        return -1 if g * 2 < lo + hi else 1 if g * 2 > lo + hi else 0
    # Top-two-box and bottom-two-box; on a 3-point scale the middle point counts as top only.
    if g >= hi - 1:
        return 1
    return -1 if g <= lo + 1 else 0


def _any_of(column: sa.ColumnElement[Any], values: Sequence[str]) -> sa.ColumnElement[bool]:
    return column == values[0] if len(values) == 1 else column.in_(values)


def _has_tag(dialect: str, tags_column: sa.ColumnElement[Any], tag: str) -> sa.Exists:
    elements = _tag_elements(dialect, tags_column)
    return sa.select(sa.literal(1)).select_from(elements).where(elements.c.value == tag).exists()


def _tag_elements(dialect: str, tags_column: sa.ColumnElement[Any]) -> sa.TableValuedAlias:
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
        (filters.agents, "agent"),
        (filters.teams, "team"),
        (filters.queues, "queue"),
        (filters.journey_stages, "journey_stage"),
        (filters.locales, "locale"),
    ):
        if values:
            where.append(_any_of(c[column], values))
    tags = INVITATION.c.tags
    where.extend(_has_tag(dialect, tags, tag) for tag in filters.tags)
    return where


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


@dataclass(frozen=True, slots=True)
class _Source:
    """The table a view reads, joined to the invitation when tags are involved."""

    table: sa.Table
    time_column: str
    from_: sa.FromClause
    key: sa.ColumnElement[Any] | None


def _source(
    conn: sa.Connection,
    *,
    table: sa.Table,
    time_column: str,
    filters: Filters,
    group_by: Dimension | None,
    tz: ZoneInfo,
    where: list[sa.ColumnElement[bool]],
) -> _Source:
    dialect = conn.dialect.name
    from_: sa.FromClause = table
    needs_invitation = table is RESPONSE and (filters.tags or group_by is Dimension.TAG)
    if needs_invitation:
        from_ = table.join(INVITATION, INVITATION.c.id == table.c.invitation_id)
    key: sa.ColumnElement[Any] | None = None
    if group_by is Dimension.TAG:
        elements = _tag_elements(dialect, INVITATION.c.tags)
        from_ = sa.join(from_, elements, sa.true())
        key = elements.c.value
    elif group_by is not None and group_by.is_time:
        span = _span(
            conn, table=table, time_column=time_column, filters=filters, where=where, from_=from_
        )
        key = time_bucket(dialect, table.c[time_column], group_by, tz, span)
    elif group_by is not None:
        key = table.c[_COLUMN[group_by]]
    return _Source(table, time_column, from_, key)


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
    lo_dt = filters.start or _as_utc(lo) or now
    hi_dt = filters.end or _as_utc(hi) or now
    return lo_dt - timedelta(days=1), hi_dt + timedelta(days=1)


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back the stored text for a bare MIN()
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)  # noqa: S101
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- views ------------------------------------------------------------------------------------


def scores(
    conn: sa.Connection,
    metric: str,
    filters: Filters = Filters(),
    group_by: Dimension | None = None,
    config: ReportConfig = ReportConfig(),
) -> list[Score]:
    """The metric per group (one row when ungrouped), ordered by key."""
    where = [RESPONSE.c.metric == metric, *conditions(RESPONSE, "answered_at", filters, _d(conn))]
    src = _source(
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
    rows = (
        sa.select(_key(src), goodness().label("g"), r.value, r.scale_min, r.scale_max)
        .select_from(src.from_)
        .where(*where)
        .subquery("rows")
    )
    # One GROUP BY (group, score, scale): at most a few dozen rows per group come back, and
    # n, the bands, the sums and the distribution all follow from those counts.
    counted = conn.execute(
        sa.select(
            rows.c.key, rows.c.g, rows.c.scale_min, rows.c.scale_max, sa.func.count()
        ).group_by(rows.c.key, rows.c.g, rows.c.scale_min, rows.c.scale_max)
    ).all()
    sums: dict[str | None, list[float]] = {}
    distributions: dict[str | None, dict[int, int]] = {}
    for k, g, lo, hi, count in counted:
        n = int(count)
        acc = sums.setdefault(k, [0, 0, 0, 0.0, 0.0])
        band = band_of(metric, int(g), int(lo), int(hi))
        acc[0] += n
        acc[1] += n if band < 0 else 0
        acc[2] += n if band > 0 else 0
        acc[3] += float(g) * n
        acc[4] += float(g) * float(g) * n
        dist = distributions.setdefault(k, {})
        dist[int(g)] = dist.get(int(g), 0) + n
    results = [
        score_of(
            metric,
            Aggregate(k, int(acc[0]), int(acc[1]), int(acc[2]), acc[3], acc[4]),
            distributions[k],
            config.min_n,
        )
        for k, acc in sums.items()
    ]
    if group_by is None and not results:
        results = [Score(None, 0)]
    return sorted(results, key=lambda s: (s.key is None, s.key or ""))


def _key(src: _Source) -> sa.Label[Any]:
    return (src.key if src.key is not None else sa.literal(None, sa.String)).label("key")


def _d(conn: sa.Connection) -> str:
    return conn.dialect.name


FUNNEL_STEPS = ("invited", "sent", "delivered", "answered", "commented")
DELIVERED_STATUSES = ("delivered", "read", "live")


@dataclass(frozen=True, slots=True)
class Funnel:
    """Invitations at each step, all counted under the same filters as the invited total."""

    key: str | None
    invited: int
    sent: int
    delivered: int
    answered: int
    commented: int

    @property
    def response_rate(self) -> float | None:
        return None if self.sent == 0 else 100.0 * self.answered / self.sent

    def as_dict(self) -> dict[str, Any]:
        steps = {step: getattr(self, step) for step in FUNNEL_STEPS}
        rates = {
            step: None if self.invited == 0 else round(100.0 * count / self.invited, 2)
            for step, count in steps.items()
        }
        rate = self.response_rate
        return {
            "key": self.key,
            **steps,
            "pct_of_invited": rates,
            "response_rate": None if rate is None else round(rate, 2),
        }


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
    inv = INVITATION.c
    where = conditions(INVITATION, "created_at", filters, _d(conn))
    src = _source(
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
    rows = (
        sa.select(
            _key(src),
            inv.sent_at,
            sa.case((delivered, 1), else_=0).label("delivered"),
            inv.answered_at,
            sa.case((inv.id.in_(commented_ids), 1), else_=0).label("commented"),
        )
        .select_from(src.from_)
        .where(*where)
        .subquery("rows")
    )
    counts = conn.execute(
        sa.select(
            rows.c.key,
            sa.func.count(),
            sa.func.count(rows.c.sent_at),
            sa.func.coalesce(sa.func.sum(rows.c.delivered), 0),
            sa.func.count(rows.c.answered_at),
            sa.func.coalesce(sa.func.sum(rows.c.commented), 0),
        ).group_by(rows.c.key)
    ).all()
    result = [Funnel(k, *(int(v) for v in values)) for k, *values in counts]
    if group_by is None and not result:
        result = [Funnel(None, 0, 0, 0, 0, 0)]
    return sorted(result, key=lambda f: (f.key is None, f.key or ""))


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

    @property
    def goodness(self) -> int:
        """The value with higher always better, as reports count it."""
        return self.scale_min + self.scale_max - self.value if self.lower_is_better else self.value

    def as_dict(self) -> dict[str, Any]:
        return {
            name: getattr(self, name).isoformat() if name == "answered_at" else getattr(self, name)
            for name in self.__slots__
        }


RESPONSE_COLUMNS = tuple(ResponseRow.__slots__)


def _response_query(
    dialect: str, filters: Filters, metric: str | None
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
            INVITATION.c.tags,
            r.is_test,
            r.lower_is_better,
        )
        .select_from(
            RESPONSE.join(INVITATION, INVITATION.c.id == r.invitation_id).outerjoin(
                COMMENT, COMMENT.c.response_id == r.id
            )
        )
        .where(*where)
    )
    return query, where


def _row(values: Sequence[Any]) -> ResponseRow:
    *head, answered_at, comment, tags, is_test, lower = values
    build: Any = ResponseRow  # the leading columns line up with the dataclass fields
    return build(  # type: ignore[no-any-return]
        *head, _as_utc(answered_at), comment, list(tags or []), bool(is_test), bool(lower)
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
    query, where = _response_query(_d(conn), filters, metric)
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
    query, _ = _response_query(_d(conn), filters, metric)
    r = RESPONSE.c
    if after is not None:
        moment = sa.literal(after[0], UTCDateTime())
        query = query.where(
            sa.or_(r.answered_at > moment, sa.and_(r.answered_at == moment, r.id > after[1]))
        )
    rows = conn.execute(query.order_by(r.answered_at, r.id).limit(limit)).all()
    return [_row(values) for values in rows]


def response_by_id(conn: sa.Connection, response_id: int) -> ResponseRow | None:
    """One response with its comment and tags, a test answer too."""
    query, _ = _response_query(_d(conn), Filters(test=Rehearsals.INCLUDE), None)
    values = conn.execute(query.where(RESPONSE.c.id == response_id)).first()
    return None if values is None else _row(values)


def latest_comments(
    conn: sa.Connection,
    filters: Filters = Filters(),
    metric: str | None = None,
    limit: int = 10,
) -> list[ResponseRow]:
    """The newest follow-up comments under the filters."""
    query, _ = _response_query(_d(conn), filters, metric)
    rows = conn.execute(
        query.where(COMMENT.c.id.is_not(None))
        .order_by(COMMENT.c.created_at.desc(), COMMENT.c.id.desc())
        .limit(limit)
    ).all()
    return [_row(values) for values in rows]


def distinct_values(conn: sa.Connection, dimension: Dimension, limit: int = 200) -> list[str]:
    """Known values of a dimension, for the dashboard's filter lists."""
    if dimension is Dimension.TAG:
        elements = _tag_elements(_d(conn), INVITATION.c.tags)
        query = (
            sa.select(elements.c.value)
            .select_from(INVITATION)
            .join(elements, sa.true())
            .where(INVITATION.c.is_test == sa.false())
        )
        column: sa.ColumnElement[Any] = elements.c.value
    else:
        column = RESPONSE.c[_COLUMN[dimension]]
        query = sa.select(column).where(RESPONSE.c.is_test == sa.false())
    rows = conn.execute(
        query.where(column.is_not(None)).group_by(column).order_by(column).limit(limit)
    ).scalars()
    return [str(v) for v in rows]
