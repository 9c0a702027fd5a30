"""The arithmetic behind every figure: scores and their 95% margins from counts and sums."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Aggregate:
    """What the database returns per group: counts and sums, nothing per row."""

    key: str | None
    n: int
    low: int  # detractors / bottom / below the midpoint
    high: int  # promoters / top-two-box / above the midpoint
    total: float
    total_sq: float


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


Interval = tuple[float, float]


def _clamp(centre: float, margin: float, lo: float, hi: float) -> Interval:
    return max(lo, centre - margin), min(hi, centre + margin)


def nps_interval(promoters: int, detractors: int, n: int) -> Interval | None:
    """95% interval of NPS in points: adjusted Wald, centred on the adjusted estimate.

    The adjustment moves the centre towards 0, so the interval is not "score ± margin": a raw
    NPS of 100 on 10 answers has the interval [73.2, 100], never one that runs past 100.
    """
    margin = nps_margin(promoters, detractors, n)
    if margin is None:
        return None
    centre = 100.0 * (promoters - detractors) / (n + 3)
    return _clamp(centre, margin, -100.0, 100.0)


def proportion_interval(successes: int, n: int) -> Interval | None:
    """95% Agresti-Coull interval of a proportion in percent, centred on the adjusted p."""
    margin = proportion_margin(successes, n)
    if margin is None:
        return None
    centre = 100.0 * (successes + Z95**2 / 2) / (n + Z95**2)
    return _clamp(centre, margin, 0.0, 100.0)


def mean_interval(total: float, total_sq: float, n: int, lo: float, hi: float) -> Interval | None:
    """95% t-interval of a mean, cut to the scale lo..hi (a mean cannot leave its scale)."""
    margin = mean_margin(total, total_sq, n)
    if margin is None:
        return None
    return _clamp(total / n, margin, lo, hi)
