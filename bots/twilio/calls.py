"""Opening a survey on a live call. Synchronous: runs on the database thread.

Two ways in: a caller moved into the survey at the end of a service call (the entry URL carries
the flow and the interaction's metadata), or our own outbound call answered (the URL carries
the invitation id). Both land on an open invitation and the question to ask.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.models import Flow
from flows.ports import SendResult
from flows.render import Reply, ReplyKind
from flows.service import NewInvitation, NotFound, SurveyService
from scoring.channels import Channel
from scoring.tables import Invitation, InvitationStatus


@dataclass(frozen=True, slots=True)
class CallStart:
    """What the entry URL's query says about the call."""

    flow: str | None = None
    locale: str | None = None
    interaction: str | None = None
    agent: str | None = None
    team: str | None = None
    queue: str | None = None
    stage: str | None = None
    invitation: str | None = None
    # The rest of the contact, as NewInvitation has it (lists from comma-separated values).
    agents: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    transfers: int | None = None
    channel_switches: int | None = None
    previous_channels: tuple[str, ...] | None = None
    disposition: str | None = None
    handle_time_seconds: int | None = None
    direction: str | None = None
    bot_only: bool = False
    auto_closed: bool = False


@dataclass(frozen=True, slots=True)
class Opened:
    """The first words of the call and, while it is open, the invitation they belong to."""

    replies: list[Reply]
    invitation: Invitation | None
    flow: Flow | None


def open_call(
    service: SurveyService, start: CallStart, caller: str, call_sid: str, voice_flow: str
) -> Opened:
    if start.invitation:
        return _answered_outbound(service, start.invitation, call_sid)
    flow_id = start.flow
    if not flow_id and not (start.stage and start.stage in service.journey_flows):
        flow_id = voice_flow  # TWILIO_VOICE_FLOW, unless the journey stage names one
    invitation = service.create_invitation(
        NewInvitation(
            channel=Channel.VOICE,
            address=caller,
            flow_id=flow_id,
            locale=start.locale,
            # Without an interaction id the call itself is the interaction: a retried entry
            # request for the same call then finds this invitation instead of making another.
            interaction_id=start.interaction or call_sid,
            agent=start.agent,
            team=start.team,
            queue=start.queue,
            journey_stage=start.stage,
            agents=start.agents,
            teams=start.teams,
            transfers=start.transfers,
            channel_switches=start.channel_switches,
            previous_channels=start.previous_channels,
            disposition=start.disposition,
            handle_time_seconds=start.handle_time_seconds,
            direction=start.direction,
            bot_only=start.bot_only,
            auto_closed=start.auto_closed,
        ),
        live=True,  # the caller is on the line: no fatigue rules, no queue
    )
    if invitation.status == InvitationStatus.PENDING:
        # Not the CallSid: a redirected call is the contact centre's call, not a message of
        # ours, and one call may run two surveys.
        invitation = service.mark_sent(invitation.public_id, SendResult(None, "live"))
    return _current_prompt(service, invitation)


def _answered_outbound(service: SurveyService, public_id: str, call_sid: str) -> Opened:
    try:
        invitation = service.get_invitation(public_id)
    except NotFound:
        return Opened([service.render.closed(service.default_locale)], None, None)
    if invitation.channel != Channel.VOICE:
        return Opened([service.render.closed(invitation.locale)], None, None)
    if invitation.status == InvitationStatus.PENDING:
        # Answered before our own bookkeeping of the send finished: open it now.
        invitation = service.mark_sent(public_id, SendResult(call_sid, "in-progress"))
    return _current_prompt(service, invitation)


def _current_prompt(service: SurveyService, invitation: Invitation) -> Opened:
    """The question (or, after a retried request mid-survey, the follow-up) to speak now."""
    locale = invitation.locale
    match invitation.status:
        case InvitationStatus.OPEN | InvitationStatus.FOLLOW_UP:
            flow = service.flow(invitation.flow_id)
            if invitation.status == InvitationStatus.FOLLOW_UP and flow.follow_up is not None:
                reply = service.render.follow_up(flow, Channel.VOICE, locale)
            else:
                reply = service.render.question(flow, Channel.VOICE, locale)
            return Opened([reply], invitation, flow)
        case InvitationStatus.OPTED_OUT:
            return Opened([service.render.system(ReplyKind.OPTED_OUT, locale)], None, None)
        case InvitationStatus.INELIGIBLE | InvitationStatus.SKIPPED:
            return Opened([], None, None)  # no survey on this contact: the call just ends
        case _:
            return Opened([service.render.closed(locale)], None, None)
