"""The score formulas and their margins of error, on hand-computed cases."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bots.admin import auth
from bots.alerts import sign
from bots.api.deps import Role
from scoring.cases import backoff, in_band
from scoring.reports.buckets import utc_offsets
from scoring.reports.figures import score_of
from scoring.reports.formulas import Aggregate, mean_margin, nps, nps_margin, proportion_margin, t95
from tests.conftest import make_settings


def test_nps_is_percent_promoters_minus_percent_detractors() -> None:
    """5 promoters, 2 passives, 3 detractors out of 10 is NPS +20."""
    assert nps(5, 3, 10) == pytest.approx(20.0)


def test_nps_margin_is_adjusted_wald_for_a_difference_of_proportions() -> None:
    """n'=13, p'=5.75/13, d'=3.75/13: 1.96*sqrt((p'+d'-(p'-d')^2)/13) = 45.71 points."""
    assert nps_margin(5, 3, 10) == pytest.approx(45.7106, abs=1e-3)


def test_all_promoters_scores_100_with_a_nonzero_margin() -> None:
    """Ten 9s and 10s: NPS 100, and the adjusted interval still says n is small (29.42)."""
    assert nps(10, 0, 10) == 100.0
    assert nps_margin(10, 0, 10) == pytest.approx(29.4195, abs=1e-3)


def test_no_answers_give_no_score_and_no_margin() -> None:
    """n = 0 is 'no data', never 0 or a division error."""
    assert (nps(0, 0, 0), nps_margin(0, 0, 0), proportion_margin(0, 0)) == (None, None, None)
    assert mean_margin(0.0, 0.0, 0) is None


def test_proportion_margin_is_agresti_coull() -> None:
    """8 of 10: p~=(8+1.92)/13.84, 1.96*sqrt(p~(1-p~)/13.84) = 23.74 points."""
    assert proportion_margin(8, 10) == pytest.approx(23.7373, abs=1e-3)


def test_mean_margin_is_a_t_interval_from_sums() -> None:
    """Values 1..7,5,5,5: sd 1.8288, t(9)=2.262: margin 1.308."""
    values = [1, 2, 3, 4, 5, 6, 7, 5, 5, 5]
    margin = mean_margin(sum(values), sum(v * v for v in values), len(values))
    assert margin == pytest.approx(2.2622 * 1.82878 / 10**0.5, rel=1e-3)


@pytest.mark.parametrize(("df", "expected"), [(1, 12.706), (4, 2.776), (9, 2.262), (30, 2.042)])
def test_t_quantile_matches_the_table(df: int, expected: float) -> None:
    """The t expansion agrees with printed tables to three decimals."""
    assert t95(df) == pytest.approx(expected, abs=1e-3)


def test_group_below_the_minimum_shows_n_but_hides_the_score() -> None:
    """n=9 with a minimum of 10: n is there, score, margin and distribution are not."""
    hidden = score_of("nps", Aggregate("anna", 9, 1, 8, 80.0, 700.0), {9: 8, 3: 1}, 10)
    assert (hidden.n, hidden.hidden, hidden.score, hidden.margin) == (9, True, None, None)
    assert hidden.distribution == {}
    assert hidden.categories == {}


def test_csat_score_is_the_top_two_box_share() -> None:
    """8 of 10 answering 4-5 is CSAT 80%, with the proportion's margin."""
    score = score_of("csat", Aggregate(None, 10, 1, 8, 40.0, 170.0), {}, 10)
    assert score.score == pytest.approx(80.0)
    assert score.margin == pytest.approx(proportion_margin(8, 10))
    assert score.categories == {"dissatisfied": 1, "neutral": 1, "satisfied": 8}


def test_ces_score_is_the_mean_with_the_share_above_the_midpoint() -> None:
    """CES reports the mean (and its t margin) as the score and % of 5-7 beside it."""
    values = [1, 2, 3, 4, 5, 6, 7, 5, 5, 5]
    agg = Aggregate(None, 10, 3, 6, float(sum(values)), float(sum(v * v for v in values)))
    score = score_of("ces", agg, {}, 10)
    assert score.score == pytest.approx(4.3)
    assert score.top_box == pytest.approx(60.0)
    assert score.margin == pytest.approx(mean_margin(43.0, 215.0, 10))


def test_amsterdam_offsets_change_on_the_dst_sundays() -> None:
    """2026: +1h until 29 March 01:00 UTC, +2h until 25 October 01:00 UTC, then +1h."""
    changes = utc_offsets(
        ZoneInfo("Europe/Amsterdam"),
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 12, 31, tzinfo=UTC),
    )
    assert [(c.strftime("%m-%d %H:%M"), o) for c, o in changes] == [
        ("01-01 00:00", 3600),
        ("03-29 01:00", 7200),
        ("10-25 01:00", 3600),
    ]


@pytest.mark.parametrize(
    ("value", "band", "alerts"),
    [
        (6, (0, 6), True),
        (7, (0, 6), False),
        (0, (0, 6), True),
        (5, (5, 7), True),
        (3, (None, None), False),
    ],
)
def test_alert_band_is_inclusive(
    value: int, band: tuple[int | None, int | None], alerts: bool
) -> None:
    """Both ends of alert_min..alert_max alert; a flow without a band never does."""
    assert in_band(value, *band) is alerts


def test_failed_alerts_back_off_but_keep_retrying() -> None:
    """2, 4, 8 ... seconds, capped at ten minutes: never given up."""
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 20)] == [2, 4, 8, 600]


def test_webhook_signature_is_hmac_sha256_of_timestamp_and_body() -> None:
    """A receiver recomputes HMAC(secret, 'ts.body') and compares."""
    import hashlib  # noqa: PLC0415
    import hmac  # noqa: PLC0415

    expected = hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("s3cret", "1700000000", b"{}") == f"sha256={expected}"


def test_session_cookie_is_refused_when_forged_expired_or_token_rotated() -> None:
    """The cookie MAC binds role, expiry and the role's current token."""
    settings = make_settings("sqlite://")
    cookie = auth.issue(settings, Role.VIEWER, now=1_000_000.0)
    assert auth.verify(settings, cookie, now=1_000_001.0) is Role.VIEWER
    assert auth.verify(settings, cookie.replace("viewer.", "admin.", 1), now=1_000_001.0) is None
    assert auth.verify(settings, cookie, now=1_000_000.0 + auth.SESSION_SECONDS + 1) is None
    rotated = make_settings("sqlite://", viewer_token="a-brand-new-viewer-token-123")
    assert auth.verify(rotated, cookie, now=1_000_001.0) is None
