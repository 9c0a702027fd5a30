"""The reporting service: every report the API, the dashboard and the CLI show, from one place.

Each method is one read on a connection of its own, so the figures of one page come from the
same moment; callers run it off the event loop (`Database.report`). A new report is a method here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from scoring.reports import queries
from scoring.reports import responses as rows
from scoring.reports.definitions import HEADLINE_METRICS
from scoring.reports.figures import Funnel, Score
from scoring.reports.filters import Dimension, ReportConfig
from scoring.reports.offers import OfferRow, offer_audit
from scoring.reports.params import View, filters_json, parse_view
from scoring.reports.responses import ResponseRow

# The filters the dashboard offers a list of known values for.
OPTION_DIMENSIONS = (
    Dimension.CHANNEL,
    Dimension.AGENT,
    Dimension.TEAM,
    Dimension.QUEUE,
    Dimension.JOURNEY_STAGE,
    Dimension.LOCALE,
    Dimension.TAG,
)


@dataclass(frozen=True, slots=True)
class MetricReport:
    """A metric overall and per group."""

    view: View
    metric: str
    overall: Score
    groups: list[Score]

    def as_dict(self) -> dict[str, Any]:
        v = self.view
        return {
            "metric": self.metric,
            "group_by": v.group_by.value if v.group_by else None,
            "timezone": v.config.timezone.key,
            "min_n": v.config.min_n,
            "filters": filters_json(v.filters),
            "overall": self.overall.as_dict(),
            "groups": [g.as_dict() for g in self.groups],
        }


@dataclass(frozen=True, slots=True)
class FunnelReport:
    """The response-rate funnel overall and per group."""

    view: View
    overall: Funnel
    groups: list[Funnel]

    def as_dict(self) -> dict[str, Any]:
        v = self.view
        return {
            "group_by": v.group_by.value if v.group_by else None,
            "filters": filters_json(v.filters),
            "overall": self.overall.as_dict(),
            "groups": [g.as_dict() for g in self.groups],
        }


@dataclass(frozen=True, slots=True)
class Overview:
    """The dashboard's overview: a card per headline metric, a trend, a breakdown, the funnel."""

    view: View
    cards: dict[str, Score]
    trend: list[Score]
    groups: list[Score]
    funnel: Funnel
    comments: list[ResponseRow]
    options: dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class ResponsePage:
    """One page of responses, with the total under the filters."""

    total: int
    rows: list[ResponseRow]
    options: dict[str, list[str]]  # empty unless asked for


class ReportService:
    """Reports over one database, in one time zone, for one set of loaded flows."""

    def __init__(self, engine: sa.Engine, config: ReportConfig, flows: Mapping[str, str]) -> None:
        self.engine = engine
        self.config = config
        self.flows = flows  # flow id -> its metric, to check and default a view's metric

    def view(self, params: Mapping[str, Any]) -> View:
        """Parse report parameters (raises `ParamError` naming the parameter at fault)."""
        return parse_view(params, self.flows, self.config)

    def metrics(self, v: View) -> MetricReport:
        """The overall figure plus one per group, in one read transaction."""
        metric = v.require_metric()
        with self.engine.connect() as conn:
            overall = queries.scores(conn, metric, v.filters, None, v.config)[0]
            groups = (
                queries.scores(conn, metric, v.filters, v.group_by, v.config) if v.group_by else []
            )
        return MetricReport(v, metric, overall, groups)

    def funnel(self, v: View) -> FunnelReport:
        """Invited, sent, delivered, answered and commented, overall and per group."""
        with self.engine.connect() as conn:
            overall = queries.funnel(conn, v.filters, None, v.config)[0]
            groups = queries.funnel(conn, v.filters, v.group_by, v.config) if v.group_by else []
        return FunnelReport(v, overall, groups)

    def overview(self, v: View, metric: str, bucket: Dimension, by: Dimension) -> Overview:
        """Everything the overview page shows for `metric`, from one connection."""
        with self.engine.connect() as conn:
            cards = {
                m.value: queries.scores(conn, m, v.filters, None, v.config)[0]
                for m in HEADLINE_METRICS
            }
            if metric not in cards:
                cards[metric] = queries.scores(conn, metric, v.filters, None, v.config)[0]
            trend = queries.scores(conn, metric, v.filters, bucket, v.config)
            groups = queries.scores(conn, metric, v.filters, by, v.config)
            funnel = queries.funnel(conn, v.filters, None, v.config)[0]
            comments = rows.latest_comments(conn, v.filters, None, 8)
            options = self._options(conn)
        return Overview(v, cards, trend, groups, funnel, comments, options)

    def responses(
        self, v: View, *, limit: int, offset: int = 0, options: bool = False
    ) -> ResponsePage:
        """One page of responses, newest first; with the filter options when asked."""
        with self.engine.connect() as conn:
            total, page = rows.responses(conn, v.filters, v.metric, limit=limit, offset=offset)
            known = self._options(conn) if options else {}
        return ResponsePage(total, page, known)

    def response_batch(
        self, v: View, after: tuple[datetime, int] | None, limit: int
    ) -> list[ResponseRow]:
        """The next export batch after (answered_at, id), oldest first."""
        with self.engine.connect() as conn:
            return rows.responses_after(conn, v.filters, v.metric, after=after, limit=limit)

    def response(self, response_id: int) -> ResponseRow | None:
        """One response with its comment and tags."""
        with self.engine.connect() as conn:
            return rows.response_by_id(conn, response_id)

    def offers(self, v: View) -> tuple[list[OfferRow], list[OfferRow]]:
        """The offer audit: eligible, skipped by hand, sent, per team and agent, with flags."""
        with self.engine.connect() as conn:
            return offer_audit(conn, v.filters, v.config)

    def _options(self, conn: sa.Connection) -> dict[str, list[str]]:
        return {d.value: queries.distinct_values(conn, d) for d in OPTION_DIMENSIONS}
