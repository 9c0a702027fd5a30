"""Invitations: ask one customer one question on one channel."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from sqlmodel import col, select

from bots.api.deps import (
    FORBIDDEN,
    UNAUTHORIZED,
    AdminDep,
    ContainerDep,
    Role,
    ViewerDep,
    invalid,
    not_found,
)
from bots.container import Container
from bots.telegram.deeplink import deep_link_for
from flows.service import NewInvitation, NotFound, SurveyService, UnknownFlow
from flows.waiting import WaitReason
from scoring.channels import CHANNELS, Channel
from scoring.scales import unknown_locale
from scoring.tables import Invitation, InvitationStatus

router = APIRouter(prefix="/api/v1/invitations", tags=["invitations"], responses=UNAUTHORIZED)


def invitation_problem(
    body: InvitationIn, service: SurveyService, senders: Iterable[str]
) -> str | None:
    """What stops a valid request from becoming an invitation here (the API's 422), or None.

    The API and `surveybot invite --csv` both ask this, so a file is checked like a request.
    """
    return next(iter(invitation_problems(body, service, senders)), None)


def invitation_problems(
    body: InvitationIn, service: SurveyService, senders: Iterable[str]
) -> list[str]:
    """Every reason of `invitation_problem`, so a CSV line names all of them at once."""
    problems = []
    if (problem := unsendable(body.channel, senders)) is not None:
        problems.append(problem)
    try:
        service.pick_flow(body.flow, body.journey_stage)
    except UnknownFlow as exc:
        problems.append(str(exc))
    return problems


def unsendable(channel: Channel, configured: Iterable[str]) -> str | None:
    """Why this server cannot send on `channel` (the API's 422), or None when it can."""
    if channel in configured:
        return None
    spec = CHANNELS.find(channel)
    needs = spec.needs if spec is not None and spec.needs else "a channel adapter"
    return (
        f"channel '{channel.value}' is not configured on this server: it needs {needs} "
        "(or try it locally with `surveybot dev-fakes`; see the README)"
    )


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    address: str | None = Field(
        default=None,
        description="E.164 phone number (sms, whatsapp, voice) or Telegram chat id; "
        "omit for a Telegram deep link",
        max_length=64,
    )
    flow: str | None = Field(default=None, description="flow id; default: by journey_stage")
    locale: str | None = Field(default=None, description="nl or en; default: the server's")
    interaction_id: str | None = Field(default=None, max_length=128)
    agent: str | None = Field(default=None, max_length=128)
    team: str | None = Field(default=None, max_length=128)
    queue: str | None = Field(default=None, max_length=128)
    journey_stage: str | None = Field(default=None, max_length=64)
    tags: list[str] = Field(default_factory=list, max_length=20)
    timezone: str | None = Field(default=None, max_length=64)
    test: bool = Field(
        default=False,
        description="a rehearsal: sent as usual, but left out of reports, exports and alerts",
    )
    last_customer_message_at: AwareDatetime | None = Field(
        default=None,
        description="WhatsApp: when the customer last wrote to this sender (the CRM's "
        "conversation); inside 24 hours the question goes out as interactive content",
    )
    whatsapp_opt_in: bool = Field(
        default=False,
        description="WhatsApp: the customer agreed to messages from you; needed to send "
        "outside the 24-hour window (kept on the contact for later invitations)",
    )
    agents: list[Annotated[str, Field(max_length=128)]] = Field(
        default_factory=list,
        max_length=50,
        description="every agent that handled the contact, in order; `agent` is the last",
    )
    teams: list[Annotated[str, Field(max_length=128)]] = Field(
        default_factory=list,
        max_length=50,
        description="every team that handled the contact, in order; `team` is the last",
    )
    transfers: int | None = Field(default=None, ge=0, le=1000)
    channel_switches: int | None = Field(
        default=None, ge=0, le=1000, description="channels the customer used before this one"
    )
    previous_channels: list[Annotated[str, Field(max_length=32)]] | None = Field(
        default=None, max_length=50, description="those channels by name (count = switches)"
    )
    disposition: str | None = Field(default=None, max_length=128)
    handle_time_seconds: int | None = Field(default=None, ge=0, le=10_000_000)
    direction: Literal["inbound", "outbound"] | None = None
    bot_only: bool = Field(default=False, description="no human agent took part")
    auto_closed: bool = Field(default=False, description="closed by a timeout, not by an agent")
    no_survey: bool = Field(
        default=False, description="the agent asks not to survey this contact (counted per agent)"
    )
    no_survey_reason: str | None = Field(default=None, max_length=255)

    @field_validator(
        "address",
        "flow",
        "interaction_id",
        "agent",
        "team",
        "queue",
        "journey_stage",
        "tags",
        "agents",
        "teams",
        "previous_channels",
        "disposition",
        "no_survey_reason",
    )
    @classmethod
    def _storable(cls, value: str | list[str] | None) -> str | list[str] | None:
        # PostgreSQL cannot store NUL; SQLite would. Refused alike, so both stores agree.
        texts = value if isinstance(value, list) else [value or ""]
        if any("\x00" in text for text in texts):
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("channel", mode="before")
    @classmethod
    def _channel_is_sendable(cls, value: object) -> object:
        # Only channels an invitation can go out on; 'console' is live-only.
        if str(getattr(value, "value", value)) not in CHANNELS.sendable():
            raise ValueError(f"must be one of {', '.join(CHANNELS.sendable())}")
        return value

    @field_validator("locale")
    @classmethod
    def _locale_is_known(cls, value: str | None) -> str | None:
        if value is not None and (problem := unknown_locale(value)) is not None:
            raise ValueError(problem)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Amsterdam"
            ) from None
        return value

    @model_validator(mode="after")
    def _chain_agrees(self) -> Self:
        # `agent` is the last of `agents`: both given and different would store two stories.
        for single, chain in (("agent", "agents"), ("team", "teams")):
            last, members = getattr(self, single), getattr(self, chain)
            if last is not None and members and members[-1] != last:
                raise ValueError(
                    f"{single} {last!r} is not the last of {chain} {members!r}; "
                    f"give {chain} alone, or make {single} its last entry"
                )
        switches, previous = self.channel_switches, self.previous_channels
        if switches is not None and previous is not None and switches != len(previous):
            raise ValueError(
                f"channel_switches {switches} does not match the {len(previous)} "
                "previous_channels; give one of them"
            )
        return self

    @model_validator(mode="after")
    def _address_fits_channel(self) -> Self:
        spec = CHANNELS.find(self.channel)
        if spec is None or not spec.sendable:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS.sendable())}")
        self.channel = spec.name
        address = (self.address or "").removeprefix("whatsapp:").strip()
        # No address on a deep-link channel: the customer opens a link instead.
        if (address or not spec.deep_link) and not spec.address.fits(address):
            raise ValueError(spec.address.error)
        self.address = address or None
        return self

    def to_new(self) -> NewInvitation:
        """The core's request, from this validated input."""
        return NewInvitation(
            channel=self.channel,
            address=self.address or "",
            flow_id=self.flow,
            locale=self.locale,
            interaction_id=self.interaction_id,
            agent=self.agent,
            team=self.team,
            queue=self.queue,
            journey_stage=self.journey_stage,
            tags=tuple(self.tags),
            timezone=self.timezone,
            test=self.test,
            last_customer_message_at=self.last_customer_message_at,
            whatsapp_opt_in=self.whatsapp_opt_in,
            agents=tuple(self.agents),
            teams=tuple(self.teams),
            transfers=self.transfers,
            channel_switches=self.channel_switches,
            previous_channels=(
                tuple(self.previous_channels) if self.previous_channels is not None else None
            ),
            disposition=self.disposition,
            handle_time_seconds=self.handle_time_seconds,
            direction=self.direction,
            bot_only=self.bot_only,
            auto_closed=self.auto_closed,
            no_survey=self.no_survey,
            no_survey_reason=self.no_survey_reason,
        )


class WaitingOut(BaseModel):
    """Why a pending invitation has not gone out yet, and when it will."""

    reason: WaitReason = Field(
        description="send_window (outside local sending hours), send_delay, retry (after a "
        "failed send), due (the next worker round), sending, or deep_link (waits for the "
        "customer to open the Telegram link)"
    )
    until: datetime | None = Field(description="when it goes (UTC); none for a deep link")
    attempts: int = Field(description="failed sends so far")
    detail: str | None = Field(description="the last failure, for a retry")


class InvitationOut(BaseModel):
    id: str
    flow: str
    channel: str
    locale: str
    status: str
    status_reason: str | None
    delivery_status: str | None
    interaction_id: str | None
    agent: str | None
    team: str | None
    queue: str | None
    journey_stage: str | None
    tags: list[str]
    test: bool = Field(description="a test survey: left out of reports, exports and alerts")
    created_at: datetime
    sent_at: datetime | None
    expires_at: datetime | None
    answered_at: datetime | None
    waiting: WaitingOut | None = Field(
        default=None, description="for a pending invitation: why it waits and until when"
    )
    deep_link_token: str | None = None
    deep_link: str | None = Field(default=None, description="Telegram: t.me link to hand out")
    last_customer_message_at: datetime | None = None
    whatsapp_opt_in: bool = False
    agents: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)
    transfers: int | None = None
    channel_switches: int | None = None
    previous_channels: list[str] | None = None
    disposition: str | None = None
    handle_time_seconds: int | None = None
    direction: str | None = None
    bot_only: bool = False
    auto_closed: bool = False
    no_survey: bool = False
    no_survey_reason: str | None = None

    @classmethod
    def of(cls, row: Invitation) -> InvitationOut:
        return cls(
            id=row.public_id,
            flow=row.flow_id,
            channel=row.channel,
            locale=row.locale,
            status=row.status,
            status_reason=row.status_reason,
            delivery_status=row.delivery_status,
            interaction_id=row.interaction_id,
            agent=row.agent,
            team=row.team,
            queue=row.queue,
            journey_stage=row.journey_stage,
            tags=list(row.tags or []),
            test=row.is_test,
            created_at=row.created_at,
            sent_at=row.sent_at,
            expires_at=row.expires_at,
            answered_at=row.answered_at,
            deep_link_token=row.deep_link_token,
            last_customer_message_at=row.last_customer_message_at,
            whatsapp_opt_in=row.whatsapp_opt_in,
            agents=list(row.agents or []),
            teams=list(row.teams or []),
            transfers=row.transfers,
            channel_switches=row.channel_switches,
            previous_channels=row.previous_channels,
            disposition=row.disposition,
            handle_time_seconds=row.handle_time_seconds,
            direction=row.direction,
            bot_only=row.bot_only,
            auto_closed=row.auto_closed,
            no_survey=row.no_survey,
            no_survey_reason=row.no_survey_reason,
        )


def with_waiting(container: Container, rows: list[Invitation]) -> list[InvitationOut]:
    """The rows for the API, each pending one with why it waits."""
    waits = container.service.waiting(rows)
    out = []
    for row in rows:
        item = InvitationOut.of(row)
        wait = waits.get(row.id or 0)
        if wait is not None:
            item.waiting = WaitingOut(
                reason=wait.reason, until=wait.until, attempts=wait.attempts, detail=wait.detail
            )
        out.append(item)
    return out


def recent(
    container: Container, state: InvitationStatus | None, limit: int, *, test: bool
) -> list[InvitationOut]:
    query = select(Invitation).where(Invitation.is_test == test)
    if state is not None:
        query = query.where(Invitation.status == state.value)
    query = query.order_by(col(Invitation.created_at).desc(), col(Invitation.id).desc())
    with container.db.session() as session:
        rows = list(session.exec(query.limit(limit)).all())
    return [
        item.model_copy(update={"deep_link_token": None}) for item in with_waiting(container, rows)
    ]


class Refused(ValueError):
    """A valid request this server cannot turn into an invitation (the API's 422)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


async def submit(container: Container, body: InvitationIn) -> Invitation:
    """Store the invitation and send its question when due: the one path every caller takes
    (the API and the connectors), so eligibility, cool-down and opt-outs apply alike."""
    if (problem := invitation_problem(body, container.service, container.senders)) is not None:
        raise Refused("channel" if body.channel not in container.senders else "flow", problem)
    try:
        invitation = await container.db.run(container.service.create_invitation, body.to_new())
    except UnknownFlow as exc:
        raise Refused("flow", str(exc)) from None
    if invitation.status == "pending" and invitation.id is not None:
        # The job is queued with the invitation; send it now if it is due (no delay, inside
        # the send window). Otherwise the worker sends it when it is.
        await container.api_worker.send_now(invitation.id)
        invitation = await container.db.run(container.service.get_invitation, invitation.public_id)
    return invitation


@router.get("", response_model=list[InvitationOut])
async def list_invitations(
    container: ContainerDep,
    _role: ViewerDep,
    state: Annotated[InvitationStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    test: Annotated[bool, Query(description="list test invitations instead")] = False,
) -> list[InvitationOut]:
    """The newest invitations (e.g. ?status=pending: what waits, why, and until when)."""
    return await container.db.report(recent, container, state, limit, test=test)


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=InvitationOut, responses=FORBIDDEN
)
async def create_invitation(
    body: InvitationIn, container: ContainerDep, _role: AdminDep
) -> InvitationOut:
    """Create an invitation and send its question (idempotent on interaction_id)."""
    try:
        invitation = await submit(container, body)
    except Refused as exc:
        raise invalid(("body", exc.field), exc.problem) from None
    [out] = await container.db.run(with_waiting, container, [invitation])
    return out.model_copy(update={"deep_link": await deep_link_for(container, invitation)})


@router.get("/{invitation_id}", response_model=InvitationOut, responses=not_found("invitation"))
async def get_invitation(
    invitation_id: Annotated[str, Path(max_length=36)], container: ContainerDep, role: ViewerDep
) -> InvitationOut:
    """One invitation and where it stands (the deep link only for admins: it opens the survey)."""
    try:
        invitation = await container.db.run(container.service.get_invitation, invitation_id)
    except NotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such invitation") from None
    [out] = await container.db.run(with_waiting, container, [invitation])
    if role is not Role.ADMIN:
        return out.model_copy(update={"deep_link_token": None})
    return out.model_copy(update={"deep_link": await deep_link_for(container, invitation)})
