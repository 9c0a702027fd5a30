"""The reporting service for this app's settings, database and flows (API, dashboard, CLI)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bots.settings import Settings
from flows.models import Flow
from scoring.reports.filters import Attribution, ReportConfig
from scoring.reports.service import ReportService

if TYPE_CHECKING:  # the CLI builds one without the whole app
    from bots.container import Container


def report_config(settings: Settings) -> ReportConfig:
    """The report time zone and the smallest group whose score is shown."""
    return ReportConfig(
        timezone=ZoneInfo(settings.report_timezone),
        min_n=settings.min_group_n,
        holiday_country=settings.holiday_country,
        attribution=Attribution(settings.attribution),
    )


def report_service_for(
    settings: Settings, engine: sa.Engine, flows: Mapping[str, Flow]
) -> ReportService:
    """A reporting service over `engine`, knowing which metric each flow measures."""
    return ReportService(
        engine, report_config(settings), {fid: f.metric.value for fid, f in flows.items()}
    )


def report_service(container: Container) -> ReportService:
    """Cheap to build: it holds the engine, the settings' report config and the flow metrics."""
    return report_service_for(container.settings, container.db.engine, container.flows)
