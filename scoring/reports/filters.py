"""What a view can filter on and group by, and the settings every report shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

DEFAULT_MIN_N = 10


class Dimension(StrEnum):
    """What a view can be grouped by."""

    FLOW = "flow"
    CHANNEL = "channel"
    AGENT = "agent"
    TEAM = "team"
    QUEUE = "queue"
    JOURNEY_STAGE = "journey_stage"
    LOCALE = "locale"
    TAG = "tag"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    DOW = "dow"  # ISO day of the week, "1" (Monday) to "7" (Sunday)
    FLOW_VERSION = "flow_version"  # the question's wording and scale, as a hash
    # Effort drivers, from the invitation: "0", "1", "2", "3+" (none when not given).
    TRANSFERS = "transfers"
    CHANNEL_SWITCHES = "channel_switches"
    TEAMS_INVOLVED = "teams_involved"

    @property
    def is_time(self) -> bool:
        return self in (Dimension.DAY, Dimension.WEEK, Dimension.MONTH, Dimension.DOW)

    @property
    def is_effort(self) -> bool:
        return self in (
            Dimension.TRANSFERS,
            Dimension.CHANNEL_SWITCHES,
            Dimension.TEAMS_INVOLVED,
        )


class Attribution(StrEnum):
    """Whose response it is in a view by agent or team: the chain's last, first, or every one."""

    LAST = "last"
    FIRST = "first"
    ALL = "all"  # each agent (team) in the chain counts the response once


class Rehearsals(StrEnum):
    """Test answers (`surveybot try`, `"test": true` invitations) in a view: out by default."""

    EXCLUDE = "exclude"
    INCLUDE = "include"
    ONLY = "only"


@dataclass(frozen=True, slots=True)
class Filters:
    """A view's filters; each tuple is "any of these", tags are "all of these"."""

    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    flows: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    journey_stages: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    test: Rehearsals = Rehearsals.EXCLUDE
    flow_versions: tuple[str, ...] = ()  # responses only: an invitation has no version
    # Read from the stored chain: it decides the agent/team groups and what the agent and team
    # filters select, so a row's drill-down shows that row's responses.
    attribution: Attribution = Attribution.LAST

    def __post_init__(self) -> None:
        for moment in (self.start, self.end):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("filter periods must be timezone-aware")


@dataclass(frozen=True, slots=True)
class ReportConfig:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Amsterdam"))
    min_n: int = DEFAULT_MIN_N
    holiday_country: str = "NL"  # whose public holidays the time-effects report names
    attribution: Attribution = Attribution.LAST  # the server's default (SURVEYBOT_ATTRIBUTION)
