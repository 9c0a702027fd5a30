"""The composition root: build every adapter from settings, once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bots.channels import register_channels
from bots.settings import Settings
from flows.loader import load_flows
from flows.models import Flow
from flows.policy import DispatchPolicy
from flows.ports import Sender
from flows.render import Renderer
from flows.service import SurveyService
from scoring.db import Database, make_engine
from scoring.migrate import upgrade
from scoring.storage import Pseudonymiser, SqlSurveyStore

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    db: Database
    flows: dict[str, Flow]
    service: SurveyService
    senders: dict[str, Sender] = field(default_factory=dict)

    def close(self) -> None:
        self.db.close()


def build(settings: Settings, *, migrate: bool = True) -> Container:
    """Wire the app. Broken flow files or settings fail here, before anything serves."""
    register_channels()
    flows = load_flows(settings.flows_dir)
    for flow_id in {settings.default_flow, *settings.journey_flows.values()}:
        if flow_id not in flows:
            raise ValueError(f"configured flow '{flow_id}' does not exist; known: {sorted(flows)}")
    for warning in settings.warnings():
        log.warning("%s", warning)
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    db = Database(engine)
    store = SqlSurveyStore(engine, Pseudonymiser(settings.secret()))
    service = SurveyService(
        store,
        flows,
        Renderer(settings.company_name),
        utc_now,
        journey_flows=settings.journey_flows,
        default_flow=settings.default_flow,
        default_locale=settings.default_locale,
        policy=DispatchPolicy(
            cooldown=timedelta(days=settings.cooldown_days),
            sample_percent=settings.sample_percent,
            one_open_survey=settings.one_open_survey,
            send_delay=timedelta(minutes=settings.send_delay_minutes),
            window=settings.window(),
            default_timezone=settings.default_timezone,
            reminder_after=timedelta(hours=settings.reminder_hours)
            if settings.reminder_hours
            else None,
            attempts=settings.send_attempts,
        ),
    )
    return Container(settings, db, flows, service)
