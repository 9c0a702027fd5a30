"""One definition per metric: its standard scale and direction, its bands, score and margin.

Every figure is computed on goodness g, the answer re-expressed so that higher is better (a
lower-is-better answer is flipped to `scale_min + scale_max - value` first):

  NPS   %promoters (g >= 9) - %detractors (g <= 6); margin: adjusted Wald for a difference of
        proportions (Rocks 2016): add 3/4 of a respondent to promoters and to detractors.
  CSAT  % top-two-box (g >= scale_max - 1); margin: adjusted Wald (Agresti-Coull) proportion.
  CES   mean of g with a t-interval, and % above the midpoint (5-7 on a 7-point scale).
  FCR   % of yes (resolved in one go) with an Agresti-Coull interval; 1 yes, 2 no.
  other the mean and the top-two-box share, as CSAT.

A new metric is one more entry in DEFINITIONS (and a value of `scoring.scales.Metric`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from scoring.reports.formulas import (
    Aggregate,
    Interval,
    mean_interval,
    mean_margin,
    nps,
    nps_interval,
    nps_margin,
    proportion_interval,
    proportion_margin,
)
from scoring.scales import Direction, Metric

Band = int  # -1 low (detractor, bottom box, below the midpoint), 0 middle, +1 high


class Headline(StrEnum):
    """Which figure a metric publishes as its score."""

    NET = "net"  # % high minus % low, in points (-100..100)
    MEAN = "mean"  # the mean of g, on the scale itself
    TOP_BOX = "top_box"  # % high (0..100)


def nps_bands(g: int, lo: int, hi: int) -> Band:  # noqa: ARG001  (NPS counts from the bottom)
    """Detractors 0-6, passives 7-8, promoters 9-10."""
    return -1 if g <= lo + 6 else 1 if g >= lo + 9 else 0


def midpoint_bands(g: int, lo: int, hi: int) -> Band:
    """Above / below the midpoint: 5-7 and 1-3 on the 7-point agreement scale."""
    return -1 if g * 2 < lo + hi else 1 if g * 2 > lo + hi else 0


def two_box_bands(g: int, lo: int, hi: int) -> Band:
    """Top-two-box and bottom-two-box; on a 3-point scale the middle point counts as top only."""
    if g >= hi - 1:
        return 1
    return -1 if g <= lo + 1 else 0


def yes_no_bands(g: int, lo: int, hi: int) -> Band:  # noqa: ARG001  (two points only)
    """Yes (the good end) is high, no is low; there is no middle."""
    return 1 if g >= hi else -1


@dataclass(frozen=True, slots=True)
class MetricDefinition:
    """What a metric means: everything a report needs to know about it, in one place."""

    metric: Metric
    scale: tuple[int, int]  # the standard scale, for views that no loaded flow describes
    direction: Direction  # which end of the standard scale is the good one
    categories: tuple[str, str, str]  # the names of the low, middle and high bands
    bands: Callable[[int, int, int], Band]
    headline: Headline

    def band(self, g: int, lo: int, hi: int) -> Band:
        """The band of goodness `g` on a lo..hi scale."""
        return self.bands(g, lo, hi)

    def score(self, agg: Aggregate) -> tuple[float | None, float | None]:
        """(score, 95% margin) of a non-empty group."""
        if self.headline is Headline.NET:
            return nps(agg.high, agg.low, agg.n), nps_margin(agg.high, agg.low, agg.n)
        if self.headline is Headline.MEAN:
            return agg.total / agg.n, mean_margin(agg.total, agg.total_sq, agg.n)
        return 100.0 * agg.high / agg.n, proportion_margin(agg.high, agg.n)

    def interval(self, agg: Aggregate) -> Interval | None:
        """The 95% interval of the score itself, within the score's range (never score ± margin)."""
        if self.headline is Headline.NET:
            return nps_interval(agg.high, agg.low, agg.n)
        if self.headline is Headline.MEAN:
            return mean_interval(agg.total, agg.total_sq, agg.n, *map(float, self.scale))
        return proportion_interval(agg.high, agg.n)

    def score_range(self, lo: int, hi: int) -> tuple[float, float]:
        """The range the score can take on a lo..hi scale (a chart's y axis)."""
        if self.headline is Headline.NET:
            return -100.0, 100.0
        if self.headline is Headline.MEAN:
            return float(lo), float(hi)
        return 0.0, 100.0

    @property
    def digits(self) -> int:
        """Decimals a printed report shows: a mean on a 7-point scale needs two."""
        return 2 if self.headline is Headline.MEAN else 1


DEFINITIONS: dict[Metric, MetricDefinition] = {
    Metric.NPS: MetricDefinition(
        Metric.NPS,
        (0, 10),
        Direction.HIGHER_IS_BETTER,
        ("detractors", "passives", "promoters"),
        nps_bands,
        Headline.NET,
    ),
    Metric.CSAT: MetricDefinition(
        Metric.CSAT,
        (1, 5),
        Direction.HIGHER_IS_BETTER,
        ("dissatisfied", "neutral", "satisfied"),
        two_box_bands,
        Headline.TOP_BOX,
    ),
    Metric.CES: MetricDefinition(
        Metric.CES,
        (1, 7),
        Direction.HIGHER_IS_BETTER,  # "made it easy for me"; an effort question flips its scale
        ("difficult", "neutral", "easy"),
        midpoint_bands,
        Headline.MEAN,
    ),
    Metric.FCR: MetricDefinition(
        Metric.FCR,
        (1, 2),
        Direction.HIGHER_IS_BETTER,  # on goodness: 2 yes, 1 no (the flow asks 1 yes, and flips)
        ("not_resolved", "neutral", "resolved"),
        yes_no_bands,
        Headline.TOP_BOX,
    ),
    Metric.CUSTOM: MetricDefinition(
        Metric.CUSTOM,
        (1, 5),
        Direction.HIGHER_IS_BETTER,
        ("low", "middle", "high"),
        two_box_bands,
        Headline.TOP_BOX,
    ),
}
# The metrics the dashboard shows a card for, in this order.
HEADLINE_METRICS: tuple[Metric, ...] = (Metric.NPS, Metric.CSAT, Metric.CES, Metric.FCR)


def definition(metric: str) -> MetricDefinition:
    """The definition of `metric`; a metric nobody defined is counted as a custom scale."""
    try:
        return DEFINITIONS[Metric(metric)]
    except ValueError:
        return DEFINITIONS[Metric.CUSTOM]


def band_of(metric: str, g: int, lo: int, hi: int) -> Band:
    """-1 low (detractor, bottom box, below the midpoint), 0 middle, +1 high, on g's scale."""
    return definition(metric).band(g, lo, hi)
