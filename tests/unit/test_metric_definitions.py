"""Each metric's definition: its standard scale, its bands, its score and its margin."""

from __future__ import annotations

import pytest

from scoring.reports.definitions import DEFINITIONS, Headline, band_of, definition
from scoring.reports.formulas import Aggregate, mean_margin, nps_margin, proportion_margin
from scoring.scales import Direction, Metric

CES_TEN = [1, 2, 3, 4, 5, 6, 7, 5, 5, 5]


def _bands(metric: str, lo: int, hi: int) -> list[int]:
    return [band_of(metric, g, lo, hi) for g in range(lo, hi + 1)]


def test_every_metric_has_exactly_one_definition() -> None:
    """Each Metric value is defined once, under its own name, with higher as the good end."""
    assert set(DEFINITIONS) == set(Metric)
    assert all(d.metric is m for m, d in DEFINITIONS.items())
    assert {d.direction for d in DEFINITIONS.values()} == {Direction.HIGHER_IS_BETTER}


def test_nps_definition_counts_detractors_passives_and_promoters() -> None:
    """0-10; 0-6 detractors, 7-8 passives, 9-10 promoters; score in points with Rocks' margin."""
    nps = definition("nps")
    assert (nps.scale, nps.headline) == ((0, 10), Headline.NET)
    assert nps.categories == ("detractors", "passives", "promoters")
    assert _bands("nps", 0, 10) == [-1] * 7 + [0, 0] + [1, 1]
    score, margin = nps.score(Aggregate(None, 10, 3, 5, 0.0, 0.0))
    assert score == pytest.approx(20.0)
    assert margin == pytest.approx(nps_margin(5, 3, 10))
    assert nps.score_range(0, 10) == (-100.0, 100.0)


def test_csat_definition_is_the_top_two_box_share() -> None:
    """1-5; 1-2 dissatisfied, 3 neutral, 4-5 satisfied; score 0-100% with Agresti-Coull."""
    csat = definition("csat")
    assert (csat.scale, csat.headline) == ((1, 5), Headline.TOP_BOX)
    assert csat.categories == ("dissatisfied", "neutral", "satisfied")
    assert _bands("csat", 1, 5) == [-1, -1, 0, 1, 1]
    score, margin = csat.score(Aggregate(None, 10, 1, 8, 40.0, 170.0))
    assert score == pytest.approx(80.0)
    assert margin == pytest.approx(proportion_margin(8, 10))
    assert csat.score_range(1, 5) == (0.0, 100.0)


def test_ces_definition_is_the_mean_on_the_seven_point_scale() -> None:
    """1-7; 1-3 difficult, 4 neutral, 5-7 easy; the score is the mean with a t margin."""
    ces = definition("ces")
    assert (ces.scale, ces.headline) == ((1, 7), Headline.MEAN)
    assert ces.categories == ("difficult", "neutral", "easy")
    assert _bands("ces", 1, 7) == [-1, -1, -1, 0, 1, 1, 1]
    agg = Aggregate(None, 10, 3, 6, float(sum(CES_TEN)), float(sum(v * v for v in CES_TEN)))
    score, margin = ces.score(agg)
    assert score == pytest.approx(4.3)
    assert margin == pytest.approx(mean_margin(43.0, 215.0, 10))
    assert ces.score_range(1, 7) == (1.0, 7.0)
    assert ces.digits == 2


def test_custom_scales_count_as_top_two_box_and_unknown_metrics_as_custom() -> None:
    """A 3-point custom scale counts its middle as top-two, not bottom; unknown names are custom."""
    custom = definition("custom")
    assert (custom.scale, custom.headline) == ((1, 5), Headline.TOP_BOX)
    assert _bands("custom", 1, 3) == [-1, 1, 1]
    assert definition("no-such-metric") is custom
