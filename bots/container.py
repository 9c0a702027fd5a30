"""The composition root: build every adapter from settings, once.

`build()` is the one place that wires the app: the store and the service, the channel plug-ins
and their senders, the alert loop and the send workers. What it returns is read-only; tests
that need a stand-in pass it in (`build(settings, senders=..., clock=...)`) instead of
patching the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

from bots.channels import register_channels
from bots.connectors.targets import push_targets
from bots.settings import Settings
from flows.cases import AlertCases
from flows.loader import load_flows
from flows.models import Flow
from flows.policy import DispatchPolicy
from flows.ports import Sender
from flows.render import Renderer
from flows.service import SurveyService
from scoring.cases import SqlAlertCases
from scoring.db import Database, make_engine
from scoring.migrate import upgrade
from scoring.storage import Pseudonymiser, SqlSurveyStore

if TYPE_CHECKING:
    from bots.plugins import ChannelPlugin
    from bots.worker import Worker

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, eq=False)
class Container:
    """Everything a process runs on; `build()` makes it, nothing changes it afterwards."""

    settings: Settings
    db: Database
    flows: dict[str, Flow]
    service: SurveyService
    # Channel name -> sender, from the configured channels (a read-only view).
    senders: Mapping[str, Sender]
    # Alert cases, for the alert loop, the API and the dashboard.
    cases: AlertCases
    # The channel plug-ins (senders, webhooks, start/stop), configured or not.
    channels: tuple[ChannelPlugin, ...] = field(init=False)
    # What the web app starts and stops, in order: the channels, the alert loop and, with
    # SURVEYBOT_IN_PROCESS_WORKER, the send worker.
    plugins: tuple[ChannelPlugin, ...] = field(init=False)
    # The send worker of this process (`surveybot worker`, or in-process in the web app).
    worker: Worker = field(init=False)
    # The API's own worker: sends a just-created invitation at once, if it is due.
    api_worker: Worker = field(init=False)

    def channel(self, name: str) -> ChannelPlugin | None:
        return next((plugin for plugin in self.channels if plugin.name == name), None)

    def close(self) -> None:
        self.db.close()


def build(
    settings: Settings,
    *,
    migrate: bool = True,
    clock: Callable[[], datetime] = utc_now,
    senders: Mapping[str, Sender] | None = None,
) -> Container:
    """Wire the app. Broken flow files or settings fail here, before anything serves.

    `clock` and `senders` are the seams for tests and benchmarks: a fixed clock, and senders
    that stand in for (or add to) the configured channels' own.
    """
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
    store = SqlSurveyStore(
        engine,
        Pseudonymiser(settings.secret()),
        push_targets=push_targets(settings),
        group=db.group,
    )
    service = SurveyService(
        store,
        flows,
        Renderer(settings.company_name),
        clock,
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
        eligibility=settings.eligibility(),
    )
    wired: dict[str, Sender] = {}
    container = Container(settings, db, flows, service, MappingProxyType(wired), SqlAlertCases(db))
    try:
        _wire(container, wired, senders or {})
    except BaseException:
        container.close()
        raise
    return container


def _wire(container: Container, wired: dict[str, Sender], stand_ins: Mapping[str, Sender]) -> None:
    """Add the parts that are built from the container itself, then leave it frozen."""
    # Imported here: these modules import Container.
    from bots.alerts import AlertDeliverer  # noqa: PLC0415
    from bots.channels import registered  # noqa: PLC0415
    from bots.plugins import plugin_factories  # noqa: PLC0415
    from bots.worker import Worker, WorkerPlugin, worker_name  # noqa: PLC0415

    channels = tuple(factory(container) for factory in plugin_factories())
    for channel in channels:
        wired.update(registered(channel.senders()))
    wired.update(stand_ins)
    worker = Worker(container)
    plugins: list[ChannelPlugin] = [*channels, AlertDeliverer(container)]
    if container.settings.in_process_worker:
        plugins.append(WorkerPlugin(worker))
    # The one place these fields are set: the parts above needed the container first.
    for name, value in (
        ("channels", channels),
        ("plugins", tuple(plugins)),
        ("worker", worker),
        ("api_worker", Worker(container, name=f"api:{worker_name()}")),
    ):
        object.__setattr__(container, name, value)
