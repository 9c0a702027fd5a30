"""Report parameters as the API, the dashboard and the CLI hand them in, parsed into one View."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scoring.reports.filters import Dimension, Rehearsals, ReportConfig
from scoring.reports.params import ParamError, View, parse_view

AMS = ZoneInfo("Europe/Amsterdam")
FLOWS = {"nps": "nps", "csat": "csat", "ces-effort": "ces"}
CONFIG = ReportConfig(timezone=AMS, min_n=10)


def _view(**params: Any) -> View:
    return parse_view(params, FLOWS, CONFIG)


def _refused(**params: Any) -> ParamError:
    with pytest.raises(ParamError) as caught:
        _view(**params)
    return caught.value


def test_a_flow_gives_the_view_its_metric_and_dates_are_whole_local_days() -> None:
    """flow=ces-effort means CES; from/to dates cover whole Amsterdam days, `to` inclusive."""
    v = _view(flow="ces-effort", **{"from": "2026-03-01", "to": "2026-03-31"})
    assert v.metric == "ces"
    assert v.filters.flows == ("ces-effort",)
    assert v.filters.start == datetime(2026, 3, 1, tzinfo=AMS)
    assert v.filters.end == datetime(2026, 4, 1, tzinfo=AMS)
    assert (v.group_by, v.filters.test, v.config) == (None, Rehearsals.EXCLUDE, CONFIG)


def test_repeated_parameters_are_kept_and_empty_ones_dropped() -> None:
    """channel=sms&channel=whatsapp&channel= is either channel; a single value is a tuple too."""
    v = _view(channel=["sms", "whatsapp", ""], agent="Bram", group_by="week", test=["only"])
    assert v.filters.channels == ("sms", "whatsapp")
    assert v.filters.agents == ("Bram",)
    assert (v.group_by, v.filters.test) == (Dimension.WEEK, Rehearsals.ONLY)
    assert v.metric is None


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"flow": "nope"}, "flow", "unknown flow(s) nope; known: ces-effort, csat, nps"),
        ({"from": "2026-13-01"}, "from", "'2026-13-01' is not a date (YYYY-MM-DD)"),
        ({"to": "1899-12-31"}, "to", "dates must lie between 2000 and 2100"),
        ({"metric": "stars"}, "metric", "metric must be one of csat, nps, ces, fcr, custom"),
        ({"group_by": "hour"}, "group_by", "group_by must be one of flow, channel"),
        ({"test": "maybe"}, "test", "test must be one of exclude, include, only"),
    ],
)
def test_a_bad_parameter_is_refused_by_name(
    params: dict[str, str], param: str, message: str
) -> None:
    """Each refusal names the parameter at fault and says what it accepts."""
    error = _refused(**params)
    assert error.param == param
    assert error.message.startswith(message)


def test_a_metric_report_without_a_flow_or_metric_asks_for_one() -> None:
    """No flow and no metric: the view parses, but a score needs a metric."""
    v = _view()
    with pytest.raises(ParamError) as caught:
        v.require_metric()
    assert caught.value.param == "metric"
    assert caught.value.message == "give a flow or a metric (nps, csat, ces)"
