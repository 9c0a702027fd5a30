"""Tests of a difference beyond chance, one per kind of score, at 95% (two-sided).

NPS     difference of two NPS: each NPS is p(promoter) - p(detractor) of a trinomial, with
        variance (p + d - (p - d)^2) / n; z = difference / sqrt(var1 + var2).
share   CSAT, FCR, top-two-box: the two-proportion z-test with the pooled proportion.
mean    CES: Welch's t-test (unequal variances, Welch-Satterthwaite degrees of freedom).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from scoring.reports.definitions import Headline
from scoring.reports.formulas import Aggregate

ALPHA = 0.05
TESTS = {Headline.NET: "nps", Headline.TOP_BOX: "share", Headline.MEAN: "mean"}


@dataclass(frozen=True, slots=True)
class Difference:
    """One group against another: the difference in the score's units, and its test."""

    test: str  # "nps", "share" or "mean"
    difference: float  # group minus the other, in points (NPS, %) or on the scale (mean)
    statistic: float  # z, or Welch's t
    p: float
    df: float | None = None  # Welch's degrees of freedom

    @property
    def significant(self) -> bool:
        return self.p < ALPHA

    @property
    def direction(self) -> int:
        """+1 significantly higher, -1 significantly lower, 0 within chance."""
        if not self.significant:
            return 0
        return 1 if self.difference > 0 else -1


def _normal_p(z: float) -> float:
    return 2.0 * (1.0 - NormalDist().cdf(abs(z)))


def nps_difference(a: Aggregate, b: Aggregate) -> Difference | None:
    if a.n < 2 or b.n < 2:
        return None
    pa, da, pb, db = a.high / a.n, a.low / a.n, b.high / b.n, b.low / b.n
    var = (pa + da - (pa - da) ** 2) / a.n + (pb + db - (pb - db) ** 2) / b.n
    diff = (pa - da) - (pb - db)
    if var <= 0:
        return Difference("nps", 100 * diff, 0.0, 1.0) if diff == 0 else None
    z = diff / math.sqrt(var)
    return Difference("nps", 100 * diff, z, _normal_p(z))


def share_difference(a: Aggregate, b: Aggregate) -> Difference | None:
    if a.n < 1 or b.n < 1:
        return None
    pooled = (a.high + b.high) / (a.n + b.n)
    diff = a.high / a.n - b.high / b.n
    var = pooled * (1 - pooled) * (1 / a.n + 1 / b.n)
    if var <= 0:
        return Difference("share", 0.0, 0.0, 1.0)
    z = diff / math.sqrt(var)
    return Difference("share", 100 * diff, z, _normal_p(z))


def mean_difference(a: Aggregate, b: Aggregate) -> Difference | None:
    if a.n < 2 or b.n < 2:
        return None
    ma, mb = a.total / a.n, b.total / b.n
    va = max(0.0, (a.total_sq - a.total * a.total / a.n) / (a.n - 1)) / a.n
    vb = max(0.0, (b.total_sq - b.total * b.total / b.n) / (b.n - 1)) / b.n
    if va + vb <= 0:
        return Difference("mean", ma - mb, 0.0, 1.0 if ma == mb else 0.0)
    t = (ma - mb) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1))
    return Difference("mean", ma - mb, t, t_two_sided_p(t, df), df)


def difference(headline: Headline, a: Aggregate, b: Aggregate) -> Difference | None:
    """The test that fits the score; None when either side is too small to test."""
    if headline is Headline.NET:
        return nps_difference(a, b)
    if headline is Headline.MEAN:
        return mean_difference(a, b)
    return share_difference(a, b)


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| > |t|) for Student's t with `df` degrees of freedom: I_{df/(df+t^2)}(df/2, 1/2)."""
    return _betainc(df / 2.0, 0.5, df / (df + t * t))


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function, by Lentz's continued fraction."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _betainc(b, a, 1.0 - x)
    tiny = 1e-300
    f, c, d = 1.0, 1.0, 0.0
    for i in range(400):
        m = i // 2
        if i == 0:
            numerator = 1.0
        elif i % 2 == 0:
            numerator = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))
        else:
            numerator = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1.0 + numerator * d
        d = tiny if abs(d) < tiny else d
        d = 1.0 / d
        c = 1.0 + numerator / c
        c = tiny if abs(c) < tiny else c
        f *= c * d
        if abs(1.0 - c * d) < 1e-14:
            break
    return front * (f - 1.0) / a
