"""The reporting service: every report the API, the dashboard and the CLI show, from one place.

Each method is one read on a connection of its own, so the figures of one page come from the
same moment; callers run it off the event loop (`Database.report`). A new report is a method here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from scoring.reports import queries
from scoring.reports import responses as rows
from scoring.reports.comparisons import Flag, flags_for
from scoring.reports.csv_format import CsvFormat, raw_response_csv
from scoring.reports.definitions import HEADLINE_METRICS
from scoring.reports.figures import Funnel, Score
from scoring.reports.filters import Dimension, Filters, ReportConfig
from scoring.reports.league import League, agent_teams, league
from scoring.reports.not_sent import NotSent, not_sent
from scoring.reports.offers import OfferRow, offer_audit
from scoring.reports.overview_cache import LARGE, cache_for
from scoring.reports.params import View, filters_json, parse_view
from scoring.reports.pooling import Pooling, resolve
from scoring.reports.reads import Reads
from scoring.reports.response_bias import (
    EarlyLate,
    RateRow,
    answer_delays,
    early_late,
    rate_rows,
)
from scoring.reports.responses import RAW_ANSWERED_AT, ResponseRow
from scoring.reports.sql import as_utc
from scoring.reports.time_effects import TimeEffects, time_effects
from scoring.reports.unsent import unsent

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
    pooling: Pooling = field(default_factory=lambda: Pooling((), False))
    versions: dict[str | None, int] = field(default_factory=dict)  # answers per question version
    flags: dict[str | None, Flag] = field(default_factory=dict)  # per group: beyond chance?

    def as_dict(self) -> dict[str, Any]:
        v = self.view
        return {
            "metric": self.metric,
            **self.pooling.as_dict(),
            "versions": [{"flow_version": k, "n": n} for k, n in self.versions.items()],
            # More than one wording or scale in one figure: split by flow_version to compare.
            "mixed_versions": len(self.versions) > 1,
            "group_by": v.group_by.value if v.group_by else None,
            "timezone": v.config.timezone.key,
            "min_n": v.config.min_n,
            "filters": filters_json(v.filters),
            "overall": self.overall.as_dict(),
            "groups": [self._group(g) for g in self.groups],
        }

    def _group(self, g: Score) -> dict[str, Any]:
        flag = self.flags.get(g.key)
        return {**g.as_dict(), "comparison": flag.as_dict() if flag else None}


@dataclass(frozen=True, slots=True)
class FunnelReport:
    """The response-rate funnel overall and per group."""

    view: View
    overall: Funnel
    groups: list[Funnel]
    # Invitations that never went out, by channel and reason.
    not_sent: list[NotSent] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        v = self.view
        return {
            "group_by": v.group_by.value if v.group_by else None,
            "filters": filters_json(v.filters),
            "overall": self.overall.as_dict(),
            "groups": [g.as_dict() for g in self.groups],
            "not_sent": [n.as_dict() for n in self.not_sent],
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
    pooling: dict[str, Pooling]  # per card's metric: which flow it counts, which are separate
    flags: Flags
    league: League
    not_sent: list[NotSent] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ResponseBias:
    """Who answers beside what they answer: rates per segment, early against late."""

    metric: str
    by: Dimension
    rows: list[RateRow]
    early_late: EarlyLate

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "group_by": self.by.value,
            "groups": [r.as_dict() for r in self.rows],
            "early_late": self.early_late.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class Flags:
    """The overview's comparisons: trend periods against the previous, groups against the rest."""

    trend: dict[str | None, Flag]
    groups: dict[str | None, Flag]


@dataclass(frozen=True, slots=True)
class ResponsePage:
    """One page of responses, with the total under the filters."""

    total: int
    rows: list[ResponseRow]
    options: dict[str, list[str]]  # empty unless asked for


def with_unsent(
    conn: sa.Connection, funnels: list[Funnel], v: View, group_by: Dimension | None
) -> list[Funnel]:
    """The funnel rows with their never-sent invitations, by the status that stopped them."""
    stopped = unsent(conn, v.filters, group_by, v.config)
    return [replace(f, not_sent=stopped.get(f.key, {})) for f in funnels]


@dataclass(frozen=True, slots=True)
class OverviewPage:
    """The `/admin` overview with its time-effects and response-bias cards."""

    overview: Overview
    effects: TimeEffects
    bias: ResponseBias


class ReportService:
    """Reports over one database, in one time zone, for one set of loaded flows."""

    def __init__(self, engine: sa.Engine, config: ReportConfig, flows: Mapping[str, str]) -> None:
        self.engine = engine
        self.config = config
        self.flows = flows  # flow id -> its metric, to check and default a view's metric
        self.overview_cache = cache_for(engine)

    def view(self, params: Mapping[str, Any]) -> View:
        """Parse report parameters (raises `ParamError` naming the parameter at fault)."""
        return parse_view(params, self.flows, self.config)

    def metrics(self, v: View) -> MetricReport:
        """The overall figure plus one per group, in one read transaction."""
        metric = v.require_metric()
        filters, pooling = self.resolve(v, metric)
        with self.engine.connect() as conn:
            overall = queries.scores(conn, metric, filters, None, v.config)[0]
            groups = (
                queries.scores(conn, metric, filters, v.group_by, v.config) if v.group_by else []
            )
            versions = self._versions(conn, metric, filters, v.config)
        flags = flags_for(metric, v.group_by, groups, overall)
        return MetricReport(v, metric, overall, groups, pooling, versions, flags)

    def league(self, v: View) -> League:
        """Agents ranked by their score shrunk towards their team's (see `league`)."""
        metric = v.require_metric()
        filters, _ = self.resolve(v, metric)
        with self.engine.connect() as conn:
            return self._league(Reads(conn, shared=True), metric, filters)

    def time_effects(self, v: View, lang: str = "en") -> TimeEffects:
        """Weekdays, weekend and public holidays, each against the rest."""
        metric = v.require_metric()
        filters, _ = self.resolve(v, metric)
        with self.engine.connect() as conn:
            return self._time_effects(Reads(conn, shared=True), v, metric, filters, lang)

    @staticmethod
    def _time_effects(
        reads: Reads, v: View, metric: str, filters: Filters, lang: str
    ) -> TimeEffects:
        # Per day with no minimum: a quiet day still counts towards its segment's total.
        every_day = replace(v.config, min_n=0)
        days = reads.scores(metric, filters, Dimension.DAY, every_day)
        overall = reads.scores(metric, filters, None, v.config)[0]
        return time_effects(
            metric,
            days,
            overall,
            country=v.config.holiday_country,
            min_n=v.config.min_n,
            lang=lang,
        )

    def response_bias(self, v: View, by: Dimension) -> ResponseBias:
        """Response rate beside the score per segment, and early against late responders."""
        metric = v.require_metric()
        filters, _ = self.resolve(v, metric)
        with self.engine.connect() as conn:
            return self._response_bias(Reads(conn, shared=True), v, metric, filters, by)

    @staticmethod
    def _response_bias(
        reads: Reads, v: View, metric: str, filters: Filters, by: Dimension
    ) -> ResponseBias:
        funnels = reads.funnel(filters, by, v.config)
        scores = reads.scores(metric, filters, by, v.config)
        delays = reads.memo(
            ("delays", metric, filters), lambda c: answer_delays(c, metric, filters)
        )
        return ResponseBias(
            metric, by, rate_rows(funnels, scores), early_late(metric, delays, v.config.min_n)
        )

    def _league(self, reads: Reads, metric: str, filters: Filters) -> League:
        agents = reads.scores(metric, filters, Dimension.AGENT, self.config)
        teams = reads.scores(metric, filters, Dimension.TEAM, self.config)
        overall = reads.scores(metric, filters, None, self.config)[0]
        teams_of = agent_teams(reads.agent_teams(metric, filters))
        return league(metric, agents, teams_of, teams, overall)

    @staticmethod
    def _versions(
        conn: sa.Connection, metric: str, filters: Filters, config: ReportConfig
    ) -> dict[str | None, int]:
        found = queries.scores(conn, metric, filters, Dimension.FLOW_VERSION, config)
        return {s.key: s.n for s in found if s.n}

    def resolve(self, v: View, metric: str) -> tuple[Filters, Pooling]:
        """The view's filters for one question of `metric`, unless it pools on purpose."""
        return resolve(v.filters, metric, self.flows, pool=v.pool, group_by=v.group_by)

    def funnel(self, v: View) -> FunnelReport:
        """Invited, sent, delivered, answered and commented, overall and per group."""
        with self.engine.connect() as conn:
            overall = with_unsent(conn, queries.funnel(conn, v.filters, None, v.config), v, None)[0]
            groups = (
                with_unsent(
                    conn, queries.funnel(conn, v.filters, v.group_by, v.config), v, v.group_by
                )
                if v.group_by
                else []
            )
            reasons = not_sent(conn, v.filters)
        return FunnelReport(v, overall, groups, reasons)

    def overview(self, v: View, metric: str, bucket: Dimension, by: Dimension) -> Overview:
        """Everything the overview page shows for `metric`, from one connection."""
        with self.engine.connect() as conn:
            return self._overview(Reads(conn, shared=True), v, metric, bucket, by)

    def overview_page(
        self, v: View, metric: str, bucket: Dimension, by: Dimension, lang: str
    ) -> OverviewPage:
        """The overview, its time effects and its response bias by channel, from one connection.

        A scan two cards share runs once, and a slow page is kept for a minute (see
        `overview_cache`), so a busy dashboard over a large database does not rescan per load.
        """

        def compute() -> OverviewPage:
            filters, _ = self.resolve(v, metric)
            ahead = self._fetch_ahead(v, metric, filters, by)
            with self.engine.connect() as conn:
                reads = Reads(conn, shared=True)
                for fetched in ahead:
                    reads.adopt(fetched)
                found = self._overview(reads, v, metric, bucket, by)
                effects = self._time_effects(reads, v, metric, filters, lang)
                bias = self._response_bias(reads, v, metric, filters, Dimension.CHANNEL)
            return OverviewPage(found, effects, bias)

        key = ("overview", v, metric, bucket, by, lang, self.config, tuple(self.flows.items()))
        return self.overview_cache.get_or_compute(
            key, compute, lambda page: page.overview.funnel.invited >= LARGE
        )

    def _fetch_ahead(self, v: View, metric: str, filters: Filters, by: Dimension) -> list[Reads]:
        """The page's scans, run side by side on connections of their own.

        Each is a read the page makes anyway, under the key the page asks for it by, so the
        figures are the ones one connection would give; only the waiting overlaps (SQLite and
        PostgreSQL both run the scans on several cores; sqlite3 lets go of the GIL while
        SQLite works). The page then adopts them and runs the rest as before.
        """
        tz = v.config.timezone
        others = [
            (m, self.resolve(v, m)[0]) for m in sorted({*HEADLINE_METRICS, metric} - {metric})
        ]

        def days(reads: Reads) -> None:
            reads.counts(metric, filters, Dimension.DAY, tz)

        def groups(reads: Reads) -> None:
            # Under `last`, a grouping by agent, team or channel is the cube the league shares.
            reads.counts(metric, filters, by, tz)

        def funnels(reads: Reads) -> None:
            reads.funnel(v.filters, None, v.config)
            reads.funnel(filters, Dimension.CHANNEL, v.config)
            reads.memo(("unsent", v.filters), lambda c: unsent(c, v.filters, None, v.config))

        def the_rest(reads: Reads) -> None:
            for other, its_filters in others:
                reads.counts(other, its_filters, None, tz)
            reads.memo(("delays", metric, filters), lambda c: answer_delays(c, metric, filters))
            reads.memo(
                ("comments", v.filters), lambda c: rows.latest_comments(c, v.filters, None, 8)
            )
            reads.memo(("not sent", v.filters), lambda c: not_sent(c, v.filters))

        def run(task: Callable[[Reads], None]) -> Reads:
            with self.engine.connect() as conn:
                reads = Reads(conn, shared=True)
                task(reads)
                return reads  # its connection goes back to the pool; the page adopts its scans

        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="surveybot-overview") as pool:
            return list(pool.map(run, (days, groups, funnels, the_rest)))

    def _overview(
        self, reads: Reads, v: View, metric: str, bucket: Dimension, by: Dimension
    ) -> Overview:
        conn = reads.conn
        pools = {m: self.resolve(v, m) for m in {*HEADLINE_METRICS, metric}}
        filters = pools[metric][0]
        # The groupings first: the page's own card is then summed from their scans.
        trend = reads.scores(metric, filters, bucket, v.config)
        groups = reads.scores(metric, filters, by, v.config)
        cards = {str(m): reads.scores(m, pools[m][0], None, v.config)[0] for m in pools}
        table = self._league(reads, metric, filters)
        stopped = reads.memo(("unsent", v.filters), lambda c: unsent(c, v.filters, None, v.config))
        funnel = replace(reads.funnel(v.filters, None, v.config)[0], not_sent=stopped.get(None, {}))
        comments = reads.memo(
            ("comments", v.filters), lambda c: rows.latest_comments(c, v.filters, None, 8)
        )
        # The known filter values do not depend on the filters: kept apart, a change of filters
        # reuses them (when slow to find, see `overview_cache`).
        options: dict[str, list[str]] = self.overview_cache.get_or_compute(
            ("options",), lambda: self._options(conn), lambda _: funnel.invited >= LARGE
        )
        reasons = reads.memo(("not sent", v.filters), lambda c: not_sent(c, v.filters))
        pooling = {str(m): p for m, (_, p) in pools.items()}
        flags = Flags(
            flags_for(metric, bucket, trend, cards[metric]),
            flags_for(metric, by, groups, cards[metric]),
        )
        return Overview(
            v, cards, trend, groups, funnel, comments, options, pooling, flags, table, reasons
        )

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

    def response_csv_batch(
        self, v: View, after: tuple[datetime, int] | None, limit: int, fmt: CsvFormat
    ) -> tuple[str, int, tuple[datetime, int] | None]:
        """The next export batch as CSV lines, its row count, the key after it (None: done)."""
        with self.engine.connect() as conn:
            batch = rows.raw_responses_after(conn, v.filters, v.metric, after=after, limit=limit)
        if not batch:
            return "", 0, None
        last = batch[-1]
        lines, count = raw_response_csv(batch, fmt)
        moment = as_utc(last[RAW_ANSWERED_AT])
        assert moment is not None  # noqa: S101  (answered_at is NOT NULL)
        return lines, count, (moment, int(last[0]))

    def response(self, response_id: int) -> ResponseRow | None:
        """One response with its comment and tags."""
        with self.engine.connect() as conn:
            return rows.response_by_id(conn, response_id)

    def offers(self, v: View) -> tuple[list[OfferRow], list[OfferRow]]:
        """The offer audit: eligible, skipped by hand, sent, per team and agent, with flags."""
        with self.engine.connect() as conn:
            return offer_audit(conn, v.filters, v.config)

    def _options(self, conn: sa.Connection) -> dict[str, list[str]]:
        return queries.known_values(conn, OPTION_DIMENSIONS)
