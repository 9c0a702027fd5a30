"""Each answer stores the version of the question it answered; reports split and filter by it."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bots.console import run_console_survey
from bots.container import Container
from flows.loader import load_flows
from flows.version import flow_version
from scoring.db import make_engine
from scoring.migrate import upgrade
from scoring.reports.filters import ReportConfig
from scoring.reports.service import ReportService
from scoring.tables import Response
from tests.integration.answer_rows import Row, contact, insert


def test_a_stored_answer_carries_the_flows_version(container: Container) -> None:
    """An answer through the survey engine stores the hash of the nps question and scale."""
    out = io.StringIO()
    assert (
        run_console_survey(
            container.service, "nps", locale="en", who="t", inp=io.StringIO("9\n"), out=out
        )
        == 0
    )
    with container.db.engine.connect() as conn:
        stored = conn.execute(sa.select(Response.__table__.c.flow_version)).scalar_one()  # type: ignore[attr-defined]
    assert stored == flow_version(container.flows["nps"])
    assert len(stored) == 12


def test_rewording_a_question_or_changing_its_scale_changes_the_version() -> None:
    """Another question text or another label is another version; the thanks text is not."""
    nps = load_flows(None)["nps"]
    reworded = nps.model_copy(
        update={
            "question": nps.question.model_copy(
                update={
                    "text": nps.question.text.model_copy(update={"en": "Would you recommend us?"})
                }
            )
        }
    )
    points = list(nps.scale.points)
    points[0] = points[0].model_copy(update={"label": {"nl": "nooit", "en": "never"}})
    relabelled = nps.model_copy(update={"scale": nps.scale.model_copy(update={"points": points})})
    thanked = nps.model_copy(update={"thanks": nps.thanks.model_copy(update={"en": "Cheers!"})})
    assert flow_version(reworded) != flow_version(nps)
    assert flow_version(relabelled) != flow_version(nps)
    assert flow_version(thanked) == flow_version(nps)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    upgrade(built)
    contact(built)
    yield built
    built.dispose()


def test_reports_split_and_filter_by_flow_version(engine: Engine) -> None:
    """Two versions of the nps question: group_by=flow_version splits, flow_version filters."""
    insert(engine, [Row(10, flow_version="aaaaaaaaaaaa") for _ in range(10)])
    insert(engine, [Row(3, flow_version="bbbbbbbbbbbb") for _ in range(10)])
    insert(engine, [Row(8) for _ in range(2)])  # stored before versions were kept
    reports = ReportService(engine, ReportConfig(), {"nps": "nps"})
    split = reports.metrics(reports.view({"flow": "nps", "group_by": "flow_version"}))
    assert {g.key: (g.n, g.score) for g in split.groups} == {
        "aaaaaaaaaaaa": (10, 100.0),
        "bbbbbbbbbbbb": (10, -100.0),
        None: (2, None),
    }
    only = reports.metrics(reports.view({"flow": "nps", "flow_version": "bbbbbbbbbbbb"}))
    assert (only.overall.n, only.overall.score) == (10, -100.0)


def test_a_figure_that_mixes_versions_says_so(engine: Engine) -> None:
    """The ungrouped report lists its versions with n and flags the mix."""
    insert(engine, [Row(10, flow_version="aaaaaaaaaaaa") for _ in range(4)])
    insert(engine, [Row(3, flow_version="bbbbbbbbbbbb") for _ in range(6)])
    reports = ReportService(engine, ReportConfig(), {"nps": "nps"})
    data = reports.metrics(reports.view({"flow": "nps"})).as_dict()
    assert data["mixed_versions"] is True
    assert data["versions"] == [
        {"flow_version": "aaaaaaaaaaaa", "n": 4},
        {"flow_version": "bbbbbbbbbbbb", "n": 6},
    ]
