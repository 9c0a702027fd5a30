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
from scoring.reports.sql import INVITATION, RESPONSE, as_utc, conditions, goodness


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
) -> list[tuple[float, int, int, int]]:
    """(seconds from send to answer, goodness, scale min, scale max) of each sent answer."""
    r = RESPONSE.c
    where = [
        r.metric == metric,
        INVITATION.c.sent_at.is_not(None),
        *conditions(RESPONSE, "answered_at", filters, conn.dialect.name),
    ]
    rows = conn.execute(
        sa.select(r.answered_at, INVITATION.c.sent_at, goodness(), r.scale_min, r.scale_max)
        .select_from(RESPONSE.join(INVITATION, INVITATION.c.id == r.invitation_id))
        .where(*where)
    ).all()
    found = []
    for answered, sent, g, lo, hi in rows:
        a, s = as_utc(answered), as_utc(sent)
        if a is None or s is None:
            continue
        found.append((max(0.0, (a - s).total_seconds()), int(g), int(lo), int(hi)))
    return found


def early_late(metric: str, delays: Sequence[tuple[float, int, int, int]], min_n: int) -> EarlyLate:
    """Split at the median delay: ties go to the early half, so the late half is never larger."""
    spec = definition(metric)
    ordered = sorted(delays, key=lambda d: d[0])
    half = (len(ordered) + 1) // 2
    halves = (ordered[:half], ordered[half:])
    scores: list[Score] = []
    aggs: list[Aggregate] = []
    for name, part in zip(("early", "late"), halves, strict=True):
        low = sum(1 for _, g, lo, hi in part if spec.band(g, lo, hi) < 0)
        high = sum(1 for _, g, lo, hi in part if spec.band(g, lo, hi) > 0)
        total = float(sum(g for _, g, _, _ in part))
        total_sq = float(sum(g * g for _, g, _, _ in part))
        agg = Aggregate(name, len(part), low, high, total, total_sq)
        dist: dict[int, int] = {}
        for _, g, _, _ in part:
            dist[g] = dist.get(g, 0) + 1
        aggs.append(agg)
        scores.append(score_of(metric, agg, dist, min_n) if part else Score(name, 0))
    shown = all(not s.hidden and s.n for s in scores)
    result = difference(spec.headline, aggs[1], aggs[0]) if shown else None
    if not ordered:
        median = None
    elif len(ordered) % 2:
        median = ordered[len(ordered) // 2][0]
    else:
        median = (ordered[len(ordered) // 2 - 1][0] + ordered[len(ordered) // 2][0]) / 2
    return EarlyLate(median, scores[0], scores[1], result)
