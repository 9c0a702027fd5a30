"""Response bias: who answers, beside what they answer.

Dissatisfied customers answer less, so a segment's score means little without its response
rate. And customers who answer late resemble those who never answer (the continuum of
resistance): when the late half scores lower than the early half, the silent ones probably
would too, and the published score is likely too kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from scoring.reports.definitions import definition
from scoring.reports.figures import Funnel, Score, score_of
from scoring.reports.filters import Filters
from scoring.reports.formulas import Aggregate, proportion_interval
from scoring.reports.significance import Difference, difference
from scoring.reports.sql import RESPONSE, answer_rows, goodness


@dataclass(frozen=True, slots=True)
class RateRow:
    """One segment: its response rate (answers over sends) and its score."""

    key: str | None
    sent: int
    answered: int
    score: Score

    def as_dict(self) -> dict[str, Any]:
        rate = None if self.sent == 0 else 100.0 * self.answered / self.sent
        interval = proportion_interval(self.answered, self.sent) if self.sent else None
        return {
            "key": self.key,
            "sent": self.sent,
            "answered": self.answered,
            "response_rate": None if rate is None else round(rate, 2),
            "response_rate_interval": None
            if interval is None
            else [round(interval[0], 2), round(interval[1], 2)],
            "score": self.score.as_dict(),
        }


def rate_rows(funnels: Sequence[Funnel], scores: Sequence[Score]) -> list[RateRow]:
    """Each segment's funnel beside its score (a segment with sends but no answers too)."""
    by_key = {s.key: s for s in scores}
    return [RateRow(f.key, f.sent, f.answered, by_key.get(f.key, Score(f.key, 0))) for f in funnels]


@dataclass(frozen=True, slots=True)
class EarlyLate:
    """The faster half of the answers (by time from send to answer) against the slower half."""

    median_seconds: float | None
    early: Score
    late: Score
    result: Difference | None

    def as_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "median_delay_seconds": self.median_seconds,
            "early": self.early.as_dict(),
            "late": self.late.as_dict(),
            "comparison": None
            if r is None
            else {
                "test": r.test,
                "difference": round(r.difference, 3),
                "statistic": round(r.statistic, 3),
                "p": round(r.p, 4),
                "significant": r.significant,
                "direction": r.direction,
            },
        }


def answer_delays(
    conn: sa.Connection, metric: str, filters: Filters
) -> list[tuple[float, int, int, int, int]]:
    """(whole minutes from send to answer, goodness, scale min, scale max, count) of answers.

    Grouped by the database to the minute, so a year of answers comes back as a few thousand
    rows instead of one per answer. The delay is stored on the response in whole seconds
    (`scoring.answer_facts`); answers to a question never sent have none and do not count.
    """
    r = RESPONSE.c
    dialect = conn.dialect.name
    where, from_ = answer_rows(conn, metric, filters, r.answer_delay_seconds.is_not(None))
    minutes: sa.ColumnElement[Any]
    if dialect == "postgresql":  # floored, as the exact interval was before it was stored
        minutes = sa.cast(sa.func.floor(r.answer_delay_seconds / sa.literal(60.0)), sa.Integer)
    else:  # SQLite divides integers as the stored seconds were divided before
        minutes = r.answer_delay_seconds // 60
    rows = (
        sa.select(minutes.label("minutes"), goodness(), r.scale_min, r.scale_max)
        .select_from(from_)
        .where(*where)
        .subquery("delays")
    )
    c = rows.c
    grouped = conn.execute(
        sa.select(c.minutes, c.g, c.scale_min, c.scale_max, sa.func.count()).group_by(
            c.minutes, c.g, c.scale_min, c.scale_max
        )
    ).all()
    return [
        (60.0 * max(0, int(m or 0)), int(g), int(lo), int(hi), int(n))
        for m, g, lo, hi, n in grouped
    ]


def early_late(
    metric: str, delays: Sequence[tuple[float, int, int, int, int]], min_n: int
) -> EarlyLate:
    """Split at the median delay (to the minute); answers at the median minute count as early."""
    spec = definition(metric)
    ordered = sorted(delays, key=lambda d: d[0])
    total_n = sum(d[4] for d in ordered)
    median = _median([(d[0], d[4]) for d in ordered], total_n)
    halves: tuple[list[tuple[float, int, int, int, int]], ...] = (
        [d for d in ordered if median is not None and d[0] <= median],
        [d for d in ordered if median is not None and d[0] > median],
    )
    scores: list[Score] = []
    aggs: list[Aggregate] = []
    for name, part in zip(("early", "late"), halves, strict=True):
        n = sum(c for *_, c in part)
        low = sum(c for _, g, lo, hi, c in part if spec.band(g, lo, hi) < 0)
        high = sum(c for _, g, lo, hi, c in part if spec.band(g, lo, hi) > 0)
        total = float(sum(g * c for _, g, _, _, c in part))
        total_sq = float(sum(g * g * c for _, g, _, _, c in part))
        agg = Aggregate(name, n, low, high, total, total_sq)
        dist: dict[int, int] = {}
        for _, g, _, _, c in part:
            dist[g] = dist.get(g, 0) + c
        aggs.append(agg)
        scores.append(score_of(metric, agg, dist, min_n) if n else Score(name, 0))
    shown = all(not s.hidden and s.n for s in scores)
    result = difference(spec.headline, aggs[1], aggs[0]) if shown else None
    return EarlyLate(median, scores[0], scores[1], result)


def _median(weighted: Sequence[tuple[float, int]], n: int) -> float | None:
    """The median of values given with their counts, sorted by value."""
    if n == 0:
        return None

    def at(rank: int) -> float:  # the value at 0-based position `rank`
        seen = 0
        for value, count in weighted:
            seen += count
            if rank < seen:
                return value
        return weighted[-1][0]

    if n % 2:
        return at(n // 2)
    return (at(n // 2 - 1) + at(n // 2)) / 2
