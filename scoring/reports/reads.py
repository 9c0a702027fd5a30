"""One connection's grouped scans, shared between the cards of a page.

The overview asks for a dozen groupings of the same answers: the metric overall, per week, per
day (time effects), per agent, per team, each agent's team (the league) and per channel
(response bias), and the funnel overall and per channel. Each was a scan of its own. Here a
page scans once per grain and sums the finer counts in Python, which gives exactly the
figures a scan of their own gives: counts are integers, and every coarser group is a union of
finer ones with no answer in two of them.

- Time buckets (week, month, day of the week) are unions of local days: one scan per day.
- Agent, team and channel, and the ungrouped figure, under `last` attribution (each answer has
  one agent and one team): one scan grouped by (flow, agent, team, channel); a flow filter
  picks rows of it. Other attributions count one answer in several groups: those scan alone.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from scoring.reports import queries
from scoring.reports.figures import Funnel, Score
from scoring.reports.filters import Attribution, Dimension, Filters, ReportConfig
from scoring.reports.queries import Count, scores_from_counts
from scoring.reports.sql import RESPONSE, answer_rows, goodness

T = TypeVar("T")

# Groupings the (flow, agent, team, channel) scan answers, by their place in its key.
CUBE_PLACE = {Dimension.FLOW: 0, Dimension.AGENT: 1, Dimension.TEAM: 2, Dimension.CHANNEL: 3}
# (flow, agent, team, channel, goodness, scale min, scale max, answers)
CubeRow = tuple[str, str | None, str | None, str, int, int, int, int]


def week_of(day: str) -> str:
    """The Monday starting a local day's ISO week, as both databases name the week bucket."""
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.isoweekday() - 1)).isoformat()


def _coarser(group_by: Dimension | None) -> Callable[[str], str | None] | None:
    """How a local day's key becomes this grouping's key; None when it cannot."""
    if group_by is None:
        return lambda _day: None
    if group_by is Dimension.DAY:
        return lambda day: day
    if group_by is Dimension.WEEK:
        return week_of
    if group_by is Dimension.MONTH:
        return lambda day: day[:8] + "01"
    if group_by is Dimension.DOW:
        return lambda day: str(date.fromisoformat(day).isoweekday())
    return None


def _summed(rows: Iterable[tuple[tuple[str | None, int, int, int], int]]) -> list[Count]:
    totals: dict[tuple[str | None, int, int, int], int] = {}
    for key, n in rows:
        totals[key] = totals.get(key, 0) + n
    return [(k, g, lo, hi, n) for (k, g, lo, hi), n in totals.items()]


class Reads:
    """Grouped scans on one connection, each run once; with `shared`, coarser ones are summed.

    Without `shared` every figure is its own query (a single report asks for one or two).
    """

    def __init__(self, conn: sa.Connection, *, shared: bool = False) -> None:
        self.conn = conn
        self.shared = shared
        self._found: dict[Hashable, Any] = {}

    def _once(self, key: Hashable, compute: Callable[[], T]) -> T:
        if key not in self._found:
            self._found[key] = compute()
        found: T = self._found[key]
        return found

    def memo(self, key: Hashable, compute: Callable[[sa.Connection], T]) -> T:
        """Any other read of the page, run once under `key` (so it can be fetched ahead)."""
        return self._once(("memo", key), lambda: compute(self.conn))

    def adopt(self, other: Reads) -> None:
        """Take the scans another Reads already ran (on its own connection, ahead of time)."""
        for key, found in other._found.items():
            self._found.setdefault(key, found)

    def scores(
        self, metric: str, filters: Filters, group_by: Dimension | None, config: ReportConfig
    ) -> list[Score]:
        counted = self.counts(metric, filters, group_by, config.timezone)
        return scores_from_counts(metric, counted, grouped=group_by is not None, min_n=config.min_n)

    def counts(
        self, metric: str, filters: Filters, group_by: Dimension | None, tz: ZoneInfo
    ) -> list[Count]:
        """Answers per (group, score, scale), from the cheapest scan that holds them."""
        days_key = ("days", metric, filters, tz)
        last = filters.attribution is Attribution.LAST
        if self.shared and group_by is None and days_key in self._found:
            return self._from_days(days_key, group_by)
        # Ungrouped, the cube serves only once it is there: alone, a plain count is cheaper.
        cubed = group_by in CUBE_PLACE or (
            group_by is None and self._cube_key(metric, filters) in self._found
        )
        if self.shared and last and cubed:
            return self._from_cube(metric, filters, group_by)
        if self.shared and group_by is not None and _coarser(group_by) is not None:
            self._once(days_key, lambda: self._scan(metric, filters, Dimension.DAY, tz))
            return self._from_days(days_key, group_by)
        return self._once(
            ("counts", metric, filters, group_by, tz),
            lambda: self._scan(metric, filters, group_by, tz),
        )

    def _from_days(self, days_key: Hashable, group_by: Dimension | None) -> list[Count]:
        to_key = _coarser(group_by)
        assert to_key is not None  # noqa: S101
        days: list[Count] = self._found[days_key]
        return _summed(((to_key(str(k)), g, lo, hi), n) for k, g, lo, hi, n in days)

    @staticmethod
    def _cube_key(metric: str, filters: Filters) -> Hashable:
        return ("cube", metric, replace(filters, flows=()))

    def _scan(
        self, metric: str, filters: Filters, group_by: Dimension | None, tz: ZoneInfo
    ) -> list[Count]:
        config = ReportConfig(timezone=tz)
        return queries.score_counts(self.conn, metric, filters, group_by, config)

    def _cube(self, metric: str, filters: Filters) -> list[CubeRow]:
        everything = replace(filters, flows=())
        return self._once(
            self._cube_key(metric, filters), lambda: cube(self.conn, metric, everything)
        )

    def _from_cube(self, metric: str, filters: Filters, group_by: Dimension | None) -> list[Count]:
        rows = self._cube(metric, filters)
        flows = set(filters.flows)
        place = CUBE_PLACE[group_by] if group_by is not None else None
        return _summed(
            (
                (None if place is None else cast("str | None", row[place]), row[4], row[5], row[6]),
                row[7],
            )
            for row in rows
            if not flows or row[0] in flows
        )

    def agent_teams(
        self, metric: str, filters: Filters
    ) -> list[tuple[str | None, str | None, int]]:
        """(agent, team, answers): the last agent and team of each answer under the filters."""
        if not self.shared or filters.attribution is not Attribution.LAST:
            return self._once(
                ("agent teams", metric, filters),
                lambda: agent_team_counts(self.conn, metric, filters),
            )
        rows = self._cube(metric, filters)
        flows = set(filters.flows)
        totals: dict[tuple[str | None, str | None], int] = {}
        for row in rows:
            if not flows or row[0] in flows:
                totals[row[1], row[2]] = totals.get((row[1], row[2]), 0) + row[7]
        return [(agent, team, n) for (agent, team), n in totals.items()]

    def funnel(
        self, filters: Filters, group_by: Dimension | None, config: ReportConfig
    ) -> list[Funnel]:
        # Each funnel scans alone: SQLite sorts every invitation to group by flow and channel,
        # slower than the two scans (overall, per channel) a page asks for.
        return self._once(
            ("funnel", filters, group_by, config),
            lambda: queries.funnel(self.conn, filters, group_by, config),
        )


def cube(conn: sa.Connection, metric: str, filters: Filters) -> list[CubeRow]:
    """Answers per (flow, agent, team, channel, score, scale) under `last` attribution."""
    assert filters.attribution is Attribution.LAST  # noqa: S101  (one agent, one team each)
    r = RESPONSE.c
    where, from_ = answer_rows(conn, metric, filters)
    rows = (
        sa.select(
            r.flow_id, r.agent, r.team, r.channel, goodness().label("g"), r.scale_min, r.scale_max
        )
        .select_from(from_)
        .where(*where)
        .subquery("rows")
    )
    c = rows.c
    keys = (c.flow_id, c.agent, c.team, c.channel, c.g, c.scale_min, c.scale_max)
    found = conn.execute(sa.select(*keys, sa.func.count()).group_by(*keys)).all()
    return [
        (str(f), agent, team, str(ch), int(g), int(lo), int(hi), int(n))
        for f, agent, team, ch, g, lo, hi, n in found
    ]


def agent_team_counts(
    conn: sa.Connection, metric: str, filters: Filters
) -> list[tuple[str | None, str | None, int]]:
    """(agent, team, answers) under the filters, in one scan of its own."""
    r = RESPONSE.c
    where, from_ = answer_rows(conn, metric, filters)
    found = conn.execute(
        sa.select(r.agent, r.team, sa.func.count())
        .select_from(from_)
        .where(*where)
        .group_by(r.agent, r.team)
    ).all()
    return [(agent, team, int(n)) for agent, team, n in found]
