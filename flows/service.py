"""The survey service: runs the engine against storage, one transaction per inbound event."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flows import eligibility
from flows.eligibility import Eligibility
from flows.engine import (
    CommentRecorded,
    Completed,
    Conversation,
    Expired,
    GaveUp,
    LateAnswer,
    OptedOut,
    ScoreRecorded,
    State,
    Step,
    Turn,
)
from flows.models import Flow
from flows.policy import DispatchPolicy
from flows.ports import Clock, Outbound, SendError, SendResult
from flows.render import Renderer, Reply, ReplyKind
from flows.store import AnswerTransaction, InvitationTransaction, SurveyStore
from flows.text import clean_text
from flows.version import flow_version
from flows.waiting import Waiting, explain
from scoring.channels import CHANNELS, Channel
from scoring.normalise import Answer, is_help, is_optin, is_optout, normalise
from scoring.privacy import ErasureCounts
from scoring.scales import LOCALES
from scoring.storage import DuplicateEvent, SurveyRow
from scoring.tables import Contact, Invitation, InvitationStatus

log = logging.getLogger(__name__)


class UnknownFlow(LookupError):
    def __init__(self, flow_id: str, known: list[str]) -> None:
        super().__init__(f"unknown flow '{flow_id}'; known flows: {', '.join(sorted(known))}")


class NotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class NewInvitation:
    channel: Channel
    address: str
    flow_id: str | None = None
    locale: str | None = None
    interaction_id: str | None = None
    agent: str | None = None
    team: str | None = None
    queue: str | None = None
    journey_stage: str | None = None
    tags: tuple[str, ...] = ()
    timezone: str | None = None
    # A rehearsal (`surveybot try`, or `"test": true` on the API): stored like any survey,
    # counted in no report and alerting nobody.
    test: bool = False
    # WhatsApp: the customer's last message as the CRM saw it (opens the 24-hour window), and
    # their consent to business-initiated messages.
    last_customer_message_at: datetime | None = None
    whatsapp_opt_in: bool = False
    # The whole contact, in order (`agent` and `team` are the last of these), and what the
    # eligibility rules read. Stored as given.
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
    no_survey: bool = False
    no_survey_reason: str | None = None

    def __post_init__(self) -> None:
        # One chain, whichever way it came: `agent` alone is a chain of one, and a chain's
        # last member is `agent`.
        for single, chain in (("agent", "agents"), ("team", "teams")):
            members = getattr(self, chain)
            if members:
                object.__setattr__(self, single, members[-1])
            elif getattr(self, single):
                object.__setattr__(self, chain, (getattr(self, single),))
        if self.channel_switches is None and self.previous_channels is not None:
            object.__setattr__(self, "channel_switches", len(self.previous_channels))


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a customer, on any channel."""

    channel: Channel
    address: str
    text: str
    provider: str | None = None  # with event_key: the idempotency key of a provider event
    event_key: str | None = None
    invitation_id: str | None = None  # set when the channel knows which survey (a button)
    # A tapped choice (a button), not typed text: it answers the question or does nothing. It
    # never becomes the open comment, and a value off the scale (a forged button) is ignored
    # rather than re-prompted.
    choice: bool = False
    # The channel draws answer buttons (SendResult.buttons_live): when the question moves on,
    # the outcome names the messages whose buttons to take away.
    buttons: bool = False
    # The channel's calls to make after the commit, planned from the outcome inside the
    # answer's transaction and stored with it ({"method", "payload", "expires_at"}): they are
    # made exactly when the answer is stored, never lost by a restart, and a duplicate event
    # (rolled back) stores none.
    after: Callable[[InboundResult], Sequence[Mapping[str, Any]]] | None = field(
        default=None, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        # Every channel builds one of these at its edge: cleaning here covers them all.
        for name in ("address", "text", "event_key", "invitation_id"):
            value = getattr(self, name)
            if value is not None and value is not (cleaned := clean_text(value)):
                object.__setattr__(self, name, cleaned)


@dataclass(frozen=True, slots=True)
class DeepLinkResult:
    """`bound`: this chat now owns the invitation, send its question; else `replies` say why not."""

    bound: str | None = None
    replies: list[Reply] = field(default_factory=list)
    invitation_id: str | None = None
    flow_id: str | None = None
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryChange:
    """What a provider's delivery report changes; None leaves a field as it is."""

    message_status: str | None = None  # the sent message's delivery status
    message_error: str | None = None
    delivery_status: str | None = None  # the invitation's copy of its question's status
    status: InvitationStatus | None = None  # the survey closes with this status
    status_reason: str | None = None
    opted_out: bool = False  # the provider says the person opted out (see mark_failed)


class DecideDelivery(Protocol):
    """The channel's rules: from what is stored (None: no such row) to what changes."""

    def __call__(
        self,
        message_status: str | None,
        delivery_status: str | None,
        invitation_status: str | None,
    ) -> DeliveryChange: ...


@dataclass(frozen=True, slots=True)
class DeliveryEffect:
    ours: bool  # False: a provider id we never sent (another app on the same number)
    opted_out_invitation: str | None = None


# Outcomes of a choice that did nothing (see Inbound.choice).
STALE_CHOICE = "stale_choice"  # the question was answered before: a tap on an old button
BAD_CHOICE = "bad_choice"  # not a point on the survey's scale
FOREIGN_CHOICE = "foreign_choice"  # names no survey of this person's


@dataclass(frozen=True, slots=True)
class InboundResult:
    """What to answer the customer, and what happened (for logs and the provider event)."""

    replies: list[Reply]
    survey: SurveyRow | None = None
    outcome: str = "answer"
    duplicate: bool = False
    events: list[str] = field(default_factory=list)
    # Provider ids of sent messages whose answer buttons no longer apply (see Inbound.buttons).
    stale_buttons: tuple[str, ...] = ()

    @property
    def invitation_id(self) -> str | None:
        return self.survey.public_id if self.survey else None

    @property
    def survey_id(self) -> int | None:
        return self.survey.id if self.survey else None


class SurveyService:
    """Everything the channels and the API ask of the core. Synchronous; one call = one txn."""

    def __init__(
        self,
        store: SurveyStore,
        flows: Mapping[str, Flow],
        renderer: Renderer,
        clock: Clock,
        *,
        journey_flows: Mapping[str, str] | None = None,
        default_flow: str = "csat",
        default_locale: str = "nl",
        policy: DispatchPolicy | None = None,
        eligibility: Eligibility | None = None,
    ) -> None:
        self.store = store
        self.flows = flows
        self.render = renderer
        self.clock = clock
        self.journey_flows = dict(journey_flows or {})
        self.default_flow = default_flow
        self.default_locale = default_locale
        self.policy = policy or DispatchPolicy()
        self.eligibility = eligibility or Eligibility()

    # -- choosing a flow --------------------------------------------------------------------

    def flow(self, flow_id: str) -> Flow:
        try:
            return self.flows[flow_id]
        except KeyError:
            raise UnknownFlow(flow_id, list(self.flows)) from None

    def pick_flow(self, flow_id: str | None, journey_stage: str | None) -> Flow:
        """A named flow wins; else the journey stage's flow; else the default."""
        if flow_id:
            return self.flow(flow_id)
        if journey_stage and journey_stage in self.journey_flows:
            return self.flow(self.journey_flows[journey_stage])
        return self.flow(self.default_flow)

    def _locale(self, locale: str | None) -> str:
        return locale if locale in LOCALES else self.default_locale

    # -- invitations ------------------------------------------------------------------------

    def create_invitation(self, new: NewInvitation, *, live: bool = False) -> Invitation:
        """Store an invitation and queue its send, in one transaction.

        Idempotent on (flow, interaction id, contact). A person who opted out, or whom the
        fatigue rules protect, gets an invitation row that says so and nothing is queued.
        `live` invitations (a caller already on the line, the console) skip the fatigue rules
        and the queue: the question is asked straight away.
        """
        return self.create_many([new], live=live)[0]

    def create_many(
        self,
        news: Sequence[NewInvitation],
        *,
        live: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> list[Invitation]:
        """Create several invitations all-or-nothing: one transaction for the lot."""
        flows = [self.pick_flow(new.flow_id, new.journey_stage) for new in news]
        now = self.clock()
        created = []
        with self.store.invitations() as tx:
            for done, (new, flow) in enumerate(zip(news, flows, strict=True), 1):
                created.append(self._create(tx, new, flow, now, live=live))
                if progress is not None:
                    progress(done)
        return created

    def _create(
        self,
        tx: InvitationTransaction,
        new: NewInvitation,
        flow: Flow,
        now: datetime,
        *,
        live: bool,
    ) -> Invitation:
        policy = self.policy.for_flow(flow)
        if new.address:
            contact = tx.contact(new.channel, new.address, now)
        else:
            # A Telegram deep link: who will open it is not known yet.
            contact = tx.placeholder_contact(new.channel, now)
        if new.timezone:
            contact.timezone = new.timezone
        assert contact.id is not None  # noqa: S101
        if new.interaction_id:
            existing = tx.invitation_by_interaction(flow.id, new.interaction_id, contact.id)
            if existing is not None:
                return existing
        invitation = Invitation(
            public_id=str(uuid.uuid4()),
            flow_id=flow.id,
            channel=new.channel,
            contact_id=contact.id,
            locale=self._locale(new.locale),
            interaction_id=new.interaction_id,
            agent=new.agent,
            team=new.team,
            queue=new.queue,
            journey_stage=new.journey_stage,
            tags=list(new.tags),
            # Only an invitation without a chat id waits for the customer to open a link; one
            # with a chat id is sent, and a live token would be a second way in.
            deep_link_token=(
                secrets.token_urlsafe(24)
                if CHANNELS.get(new.channel).deep_link and not new.address
                else None
            ),
            created_at=now,
            is_test=new.test,
            last_customer_message_at=new.last_customer_message_at,
            whatsapp_opt_in=new.whatsapp_opt_in,
            agents=list(new.agents),
            teams=list(new.teams),
            transfers=new.transfers,
            channel_switches=new.channel_switches,
            previous_channels=(
                list(new.previous_channels) if new.previous_channels is not None else None
            ),
            disposition=new.disposition,
            handle_time_seconds=new.handle_time_seconds,
            direction=new.direction,
            bot_only=new.bot_only,
            auto_closed=new.auto_closed,
            no_survey=new.no_survey,
            no_survey_reason=new.no_survey_reason,
        )
        if (excluded := self.eligibility.for_flow(flow).reason(new)) is not None:
            invitation.status = InvitationStatus.INELIGIBLE
            invitation.status_reason = excluded
            invitation.closed_at = now
        elif new.no_survey:
            invitation.status = InvitationStatus.SKIPPED
            invitation.status_reason = eligibility.NO_SURVEY_BY_AGENT
            invitation.closed_at = now
            # Counted per agent in the offer audit; the agent's own words stay out of the log
            # (free text can hold a phone number).
            log.info(
                "no survey by agent %s on invitation %s", new.agent or "-", invitation.public_id
            )
        elif tx.is_opted_out(contact.pseudonym):
            invitation.status = InvitationStatus.OPTED_OUT
            invitation.status_reason = "contact opted out"
            invitation.closed_at = now
        elif (
            not live
            and new.address
            and (reason := self._throttle(tx, contact.pseudonym, policy, invitation, now))
        ):
            invitation.status = InvitationStatus.THROTTLED
            invitation.status_reason = reason
            invitation.closed_at = now
        tx.add_invitation(invitation)
        if invitation.status == InvitationStatus.PENDING and new.address and not live:
            assert invitation.id is not None  # noqa: S101
            due = policy.send_time(now, new.address, contact.timezone)
            tx.enqueue(invitation.id, "invite", due, now)
        return invitation

    @staticmethod
    def _throttle(
        tx: InvitationTransaction,
        pseudonym: str,
        policy: DispatchPolicy,
        invitation: Invitation,
        now: datetime,
    ) -> str | None:
        """Why the fatigue rules skip this invitation, or None to send it."""
        if policy.one_open_survey and tx.has_open_survey(pseudonym):
            return "another survey is still open for this contact"
        if policy.cooldown and tx.surveyed_since(pseudonym, now - policy.cooldown):
            return f"surveyed within the last {policy.cooldown.days} days"
        if not policy.sampled_in(invitation.public_id):
            return f"not in the {policy.sample_percent:g}% sample"
        return None

    def waiting(self, invitations: Sequence[Invitation]) -> dict[int, Waiting]:
        """Why each pending invitation waits (send window, delay, retry) and until when."""
        pending = [i for i in invitations if i.status == InvitationStatus.PENDING and i.id]
        if not pending:
            return {}
        jobs = self.store.queued_sends([i.id for i in pending if i.id is not None])
        now = self.clock()
        found: dict[int, Waiting] = {}
        for invitation in pending:
            assert invitation.id is not None  # noqa: S101
            flow = self.flows.get(invitation.flow_id)
            delay = self.policy.for_flow(flow).send_delay if flow else self.policy.send_delay
            found[invitation.id] = explain(
                created_at=invitation.created_at,
                job=jobs.get(invitation.id),
                send_delay=delay,
                now=now,
                deep_link=invitation.deep_link_token is not None,
            )
        return found

    def get_invitation(self, public_id: str) -> Invitation:
        with self.store.invitations() as tx:
            invitation = tx.invitation(public_id)
        if invitation is None:
            raise NotFound(f"no invitation {public_id}")
        return invitation

    def outbound(self, public_id: str) -> Outbound | None:
        """The opening question to send, or None when the invitation is not pending."""
        with self.store.invitations() as tx:
            invitation = tx.invitation(public_id)
            if invitation is None or invitation.status != InvitationStatus.PENDING:
                return None
            flow = self.flow(invitation.flow_id)
            turn = Conversation(
                flow, Channel(invitation.channel), invitation.locale, self.render
            ).begin()
            return self._outbound(tx, invitation, turn.replies[0])

    def mark_sent(self, public_id: str, result: SendResult) -> Invitation:
        """The question went out: the conversation is open from now on."""
        now = self.clock()
        with self.store.invitations() as tx:
            invitation = tx.invitation(public_id, lock=True)
            if invitation is None:
                raise NotFound(public_id)
            if invitation.status != InvitationStatus.PENDING:
                return invitation
            flow = self.flow(invitation.flow_id)
            invitation.status = InvitationStatus.OPEN
            invitation.sent_at = now
            invitation.provider_message_id = result.provider_message_id
            invitation.delivery_status = result.status
            assert invitation.id is not None  # noqa: S101
            if CHANNELS.get(invitation.channel).messaging:
                invitation.expires_at = now + flow.expiry.messaging
                policy = self.policy.for_flow(flow)
                if policy.reminder_after is not None and result.status != "live":
                    contact = tx.contact_of(invitation)
                    due = policy.window_time(
                        now + policy.reminder_after, contact.address or "", contact.timezone
                    )
                    if due < invitation.expires_at:
                        tx.enqueue(invitation.id, "reminder", due, now)
            tx.save_state(invitation.id, Step.QUESTION, 0, now)
            tx.record_outbound(
                invitation_id=invitation.id,
                channel=invitation.channel,
                kind=ReplyKind.QUESTION,
                status=result.status,
                provider_message_id=result.provider_message_id,
                contact_id=invitation.contact_id,
                buttons_live=result.buttons_live,
                now=now,
            )
            return invitation

    def mark_failed(self, public_id: str, error: SendError) -> Invitation:
        now = self.clock()
        with self.store.invitations() as tx:
            invitation = tx.invitation(public_id, lock=True)
            if invitation is None:
                raise NotFound(public_id)
            invitation.status = InvitationStatus.FAILED
            invitation.status_reason = str(error)[:255]
            invitation.delivery_status = "failed"
            invitation.closed_at = now
            if error.opted_out:
                contact = tx.contact_of(invitation)
                tx.opt_out(contact.pseudonym, contact.channel, now)
                invitation.status = InvitationStatus.OPTED_OUT
            assert invitation.id is not None  # noqa: S101
            tx.record_outbound(
                invitation_id=invitation.id,
                channel=invitation.channel,
                kind=ReplyKind.QUESTION,
                status="failed",
                error_code=error.code,
                contact_id=invitation.contact_id,
                now=now,
            )
            return invitation

    def reminder(self, public_id: str) -> Outbound | None:
        """The one reminder, if the survey is still open and unanswered; else None."""
        with self.store.invitations() as tx:
            invitation = tx.invitation(public_id)
            if invitation is None or invitation.status != InvitationStatus.OPEN:
                return None
            if invitation.expires_at is not None and invitation.expires_at <= self.clock():
                return None
            if tx.was_sent(invitation, ReplyKind.REMINDER):
                return None  # one reminder, even if a worker died before finishing its job
            flow = self.flow(invitation.flow_id)
            reply = self.render.reminder(flow, Channel(invitation.channel), invitation.locale)
            return self._outbound(tx, invitation, reply)

    @staticmethod
    def _outbound(tx: InvitationTransaction, invitation: Invitation, reply: Reply) -> Outbound:
        contact = tx.contact_of(invitation)
        return Outbound(
            invitation_id=invitation.public_id,
            channel=invitation.channel,
            address=contact.address or "",
            locale=invitation.locale,
            flow_id=invitation.flow_id,
            reply=reply,
            deep_link_token=invitation.deep_link_token,
        )

    def mark_reminded(self, public_id: str, result: SendResult) -> tuple[str, ...]:
        """Record the reminder; returns the messages whose buttons it replaces (Telegram)."""
        now = self.clock()
        with self.store.invitations() as tx:
            invitation = tx.invitation(public_id)
            if invitation is None or invitation.id is None:
                return ()
            # The reminder carries the question's buttons: the question's own are stale now.
            stale = tx.take_live_buttons(invitation.id) if result.buttons_live else ()
            tx.record_outbound(
                invitation_id=invitation.id,
                channel=invitation.channel,
                kind=ReplyKind.REMINDER,
                status=result.status,
                provider_message_id=result.provider_message_id,
                contact_id=invitation.contact_id,
                buttons_live=result.buttons_live,
                now=now,
            )
            return stale

    def start_now(self, new: NewInvitation) -> tuple[Invitation, list[Reply]]:
        """Create and open an invitation in one go, for live channels (a call, the console)."""
        invitation = self.create_invitation(new, live=True)
        if invitation.status in (InvitationStatus.INELIGIBLE, InvitationStatus.SKIPPED):
            return invitation, []  # not a survey contact: the call just ends
        if invitation.status == InvitationStatus.OPTED_OUT:
            return invitation, [self.render.opted_out(invitation.locale, new.channel)]
        if invitation.status != InvitationStatus.PENDING:
            # The same interaction again (a retried call): it is already running or over.
            return invitation, [self.render.closed(invitation.locale)]
        outbound = self.outbound(invitation.public_id)
        assert outbound is not None  # noqa: S101
        return self.mark_sent(invitation.public_id, SendResult(None, "live")), [outbound.reply]

    # -- deep links, buttons and blocked chats (Telegram today) ------------------------------

    def open_deep_link(
        self, token: str, channel: Channel, address: str, *, provider: str, event_key: str
    ) -> DeepLinkResult:
        """Bind the invitation made for a deep link to the chat that opened it.

        The token is single-use: only a pending invitation still on its placeholder contact (no
        address) can be bound, once. The same chat opening the link again gets its question
        again; any other chat is told the link was used, and learns nothing about the invitation.
        A redelivered event changes nothing (`duplicate`).
        """
        now = self.clock()
        try:
            with self.store.invitations() as tx:
                contact = tx.contact(channel.value, address, now)
                invitation = tx.invitation_by_deep_link(token, channel.value)
                result = self._bind(tx, invitation, contact, channel, now)
                # Last, as `receive` does: a redelivered event fails here and undoes the binding.
                tx.record_event(
                    {
                        "provider": provider,
                        "event_key": event_key,
                        "invitation_id": invitation.id if invitation is not None else None,
                        "outcome": "deep_link" if result.bound else "deep_link_refused",
                        "detail": None,
                        "reply": [r.as_dict() for r in result.replies],
                        "received_at": now,
                    }
                )
                return result
        except DuplicateEvent:
            return DeepLinkResult(duplicate=True)

    def _bind(
        self,
        tx: InvitationTransaction,
        invitation: Invitation | None,
        contact: Contact,
        channel: Channel,
        now: datetime,
    ) -> DeepLinkResult:
        if invitation is None:
            return DeepLinkResult(
                replies=[self.render.system(ReplyKind.NO_SURVEY, self.default_locale)]
            )
        locale = invitation.locale
        if invitation.contact_id == contact.id:
            if invitation.status != InvitationStatus.OPEN:
                return DeepLinkResult(replies=[self.render.closed(locale)])
            flow = self.flow(invitation.flow_id)
            question = self.render.question(flow, channel, locale)
            return DeepLinkResult(
                replies=[question], invitation_id=invitation.public_id, flow_id=flow.id
            )
        if tx.contact_of(invitation).address:  # bound to the chat that opened it first
            return DeepLinkResult(replies=[self.render.system(ReplyKind.LINK_USED, locale)])
        if invitation.status != InvitationStatus.PENDING:
            return DeepLinkResult(replies=[self.render.closed(locale)])
        assert contact.id is not None  # noqa: S101
        invitation.contact_id = contact.id
        if tx.is_opted_out(contact.pseudonym):
            invitation.status = InvitationStatus.OPTED_OUT
            invitation.status_reason = "contact opted out"
            invitation.closed_at = now
            return DeepLinkResult(replies=[self.render.opted_out(locale, channel)])
        return DeepLinkResult(bound=invitation.public_id, invitation_id=invitation.public_id)

    def record_buttons(
        self, public_id: str, channel: Channel, kind: str, provider_message_id: str
    ) -> None:
        """A message with a survey's answer buttons went out (a re-prompt): keep its id."""
        now = self.clock()
        with self.store.invitations() as tx:
            invitation = tx.invitation(public_id)
            if invitation is None or invitation.id is None:
                return
            tx.record_outbound(
                invitation_id=invitation.id,
                contact_id=invitation.contact_id,
                channel=channel.value,
                kind=kind,
                status="sent",
                provider_message_id=provider_message_id,
                buttons_live=True,
                now=now,
            )

    def record_delivery(self, provider_message_id: str, decide: DecideDelivery) -> DeliveryEffect:
        """Apply a delivery report to the message and its survey, in one transaction."""
        now = self.clock()
        with self.store.invitations() as tx:
            message = tx.outbound_by_provider_id(provider_message_id)
            invitation = tx.invitation_by_provider_id(provider_message_id)
            if message is None and invitation is None:
                return DeliveryEffect(ours=False)
            change = decide(
                message.status if message is not None else None,
                invitation.delivery_status if invitation is not None else None,
                invitation.status if invitation is not None else None,
            )
            if message is not None and change.message_status is not None:
                message.status = change.message_status
                message.error_code = change.message_error or message.error_code
                message.updated_at = now
            if invitation is None or change.delivery_status is None:
                return DeliveryEffect(ours=True)
            invitation.delivery_status = change.delivery_status
            if change.status is not None:
                invitation.status, invitation.closed_at = change.status, now
                if change.status_reason is not None:
                    invitation.status_reason = change.status_reason
            return DeliveryEffect(True, invitation.public_id if change.opted_out else None)

    def is_opted_out(self, channel: Channel, address: str) -> bool:
        with self.store.answers() as tx:
            return tx.is_opted_out(tx.pseudonymise(channel.value, address))

    def opt_out(self, channel: Channel, address: str) -> int:
        """Opt this person out (a blocked bot counts as STOP); returns the surveys closed."""
        now = self.clock()
        with self.store.answers() as tx:
            return tx.opt_out(tx.pseudonymise(channel.value, address), channel.value, now)

    def erase_person(self, address: str, channel: str | None = None) -> ErasureCounts | None:
        """Erase this person's address and free text on every channel; None if unknown."""
        return self.store.erase(address, self.clock(), channel)

    # -- inbound ----------------------------------------------------------------------------

    def receive(self, inbound: Inbound) -> InboundResult:
        """Handle one customer message; a repeated provider event gets the stored reply."""
        return self._receive(inbound, silent=False)

    def silence(self, inbound: Inbound) -> InboundResult:
        """The customer said nothing (a voice Gather that timed out)."""
        return self._receive(inbound, silent=not inbound.text.strip())

    def _receive(self, inbound: Inbound, *, silent: bool, again: bool = False) -> InboundResult:
        now = self.clock()
        try:
            with self.store.answers() as tx:
                outcome = self._handle(tx, inbound, now, silent=silent)
                if inbound.after is not None:
                    calls = inbound.after(outcome)
                    if calls:
                        tx.defer_calls(inbound.channel.value, inbound.address, calls, now)
                if inbound.provider and inbound.event_key:
                    # Stored last, in the same transaction: a retry that races this one
                    # fails on the unique key, rolls back, and replays what we said.
                    tx.record_event(
                        {
                            "provider": inbound.provider,
                            "event_key": inbound.event_key,
                            "invitation_id": outcome.survey_id,
                            "outcome": outcome.outcome,
                            "detail": ",".join(outcome.events)[:255] or None,
                            "reply": [r.as_dict() for r in outcome.replies],
                            "received_at": now,
                        }
                    )
                return outcome
        except self.store.conflicts:
            # Another instance changed this survey between our read and our write (a unique
            # key caught it): run once more on what it left, which replays or continues.
            if again:
                raise
            return self._receive(inbound, silent=silent, again=True)
        except DuplicateEvent:
            stored = self.store.stored_reply(inbound.provider or "", inbound.event_key or "")
            if stored is None:  # the other transaction rolled back after all: try once more
                return self._receive(inbound, silent=silent)
            replies = [Reply.from_dict(r) for r in stored.reply]
            return InboundResult(replies, None, stored.outcome, duplicate=True)

    def first_step(self, inbound: Inbound) -> InboundResult:
        """The first tap of a two-step question (a band, not a score): may it go on?

        Outcome `band` when the tap's survey is this person's and still at its question: the
        channel then offers the band's points. A tap on another's survey, a closed one or one
        answered already stores nothing but the event, so a retried webhook changes nothing.
        """
        now = self.clock()
        try:
            with self.store.answers() as tx:
                survey = tx.open_survey(
                    inbound.channel.value, inbound.address, inbound.invitation_id
                )
                if survey is None:
                    result = InboundResult(
                        [self.render.closed(self.default_locale)], None, FOREIGN_CHOICE
                    )
                elif not survey.is_open:
                    result = InboundResult(
                        [self.render.closed(survey.locale)], survey, STALE_CHOICE
                    )
                elif survey.step not in {None, Step.QUESTION}:
                    result = InboundResult([], survey, STALE_CHOICE)
                else:
                    result = InboundResult([], survey, "band")
                if inbound.provider and inbound.event_key:
                    tx.record_event(
                        {
                            "provider": inbound.provider,
                            "event_key": inbound.event_key,
                            "invitation_id": result.survey_id,
                            "outcome": result.outcome,
                            "detail": None,
                            "reply": [r.as_dict() for r in result.replies],
                            "received_at": now,
                        }
                    )
                return result
        except DuplicateEvent:
            stored = self.store.stored_reply(inbound.provider or "", inbound.event_key or "")
            replies = [Reply.from_dict(r) for r in stored.reply] if stored else []
            return InboundResult(
                replies, None, stored.outcome if stored else "band", duplicate=True
            )

    def _handle(
        self, tx: AnswerTransaction, inbound: Inbound, now: datetime, *, silent: bool
    ) -> InboundResult:
        channel, address, text = inbound.channel.value, inbound.address, inbound.text
        if is_optout(text) or is_optin(text):
            return self._keyword(tx, inbound, now)
        survey = tx.open_survey(channel, address, inbound.invitation_id)
        if survey is None and inbound.choice:
            # A button naming no survey of this chat (forwarded, forged, or long gone): it
            # answers nothing, not even this chat's own survey. Nothing is stored.
            return InboundResult([self.render.closed(self.default_locale)], None, FOREIGN_CHOICE)
        if survey is None or not survey.is_open:
            return self._nothing_open(tx, inbound, survey)
        if inbound.choice:
            refused = self._refused_choice(survey, text)
            if refused is not None:
                return refused
        elif is_help(text):
            return InboundResult(
                [self.render.system(ReplyKind.HELP, survey.locale)], survey, "help"
            )
        return self._converse(tx, survey, inbound, now, silent=silent)

    def _refused_choice(self, survey: SurveyRow, text: str) -> InboundResult | None:
        """A choice past the question, or off the scale: nothing to store, nothing to say."""
        if survey.step not in {None, Step.QUESTION}:
            return InboundResult([], survey, STALE_CHOICE)
        scale = self.flow(survey.flow_id).scale
        try:
            on_scale = scale.contains(int(text))
        except ValueError:
            on_scale = False
        return None if on_scale else InboundResult([], survey, BAD_CHOICE)

    def _keyword(self, tx: AnswerTransaction, inbound: Inbound, now: datetime) -> InboundResult:
        """STOP and START act on the person, on every channel, survey or not."""
        pseudonym = tx.pseudonymise(inbound.channel.value, inbound.address)
        last = tx.last_survey(inbound.channel.value, inbound.address)
        locale = last.locale if last else self.default_locale
        if is_optout(inbound.text):
            closed = tx.opt_out(pseudonym, inbound.channel.value, now)
            log.info("opt-out recorded on %s; %d open survey(s) closed", inbound.channel, closed)
            return InboundResult([self.render.opted_out(locale, inbound.channel)], last, "optout")
        tx.opt_in(pseudonym)
        return InboundResult([self.render.system(ReplyKind.OPTED_IN, locale)], last, "optin")

    def _nothing_open(
        self, tx: AnswerTransaction, inbound: Inbound, pinned: SurveyRow | None
    ) -> InboundResult:
        last = pinned or tx.last_survey(inbound.channel.value, inbound.address)
        locale = last.locale if last else self.default_locale
        if is_help(inbound.text):
            return InboundResult([self.render.system(ReplyKind.HELP, locale)], last, "help")
        no_survey = self.render.system(ReplyKind.NO_SURVEY, locale)
        if last is not None and last.status != InvitationStatus.PENDING:
            # After a survey has closed: kept as 'late', never as a score. "This survey has
            # closed" answers a late score; anything else ("hallo", weeks later) is told that
            # nothing is open, as someone who never had a survey is.
            tx.add_late_answer(last.id, inbound.text, self.clock())
            late_score = self._reads_as_score(last, inbound)
            return InboundResult(
                [self.render.closed(locale) if late_score else no_survey], last, "late"
            )
        return InboundResult([no_survey], None, "no_survey")

    def _reads_as_score(self, survey: SurveyRow, inbound: Inbound) -> bool:
        flow = self.flows.get(survey.flow_id)
        if flow is None:
            return True
        outcome = normalise(inbound.text, flow.scale, locale=survey.locale, channel=inbound.channel)
        return isinstance(outcome, Answer)

    def _converse(
        self,
        tx: AnswerTransaction,
        survey: SurveyRow,
        inbound: Inbound,
        now: datetime,
        *,
        silent: bool,
    ) -> InboundResult:
        flow = self.flow(survey.flow_id)
        state = State(Step(survey.step or Step.QUESTION), survey.reprompts, survey.expires_at)
        conversation = Conversation(flow, Channel(survey.channel), survey.locale, self.render)
        turn = (
            conversation.silence(state)
            if silent
            else conversation.receive(state, inbound.text, now)
        )
        names = self._apply(tx=tx, flow=flow, survey=survey, inbound=inbound, turn=turn, now=now)
        tx.save_state(survey.id, turn.state.step, turn.state.reprompts, now)
        # Whatever a turn at the question did (a score, a re-prompt with buttons of its own, the
        # end), the buttons drawn so far no longer apply.
        at_question = inbound.buttons and state.step is Step.QUESTION
        stale = tx.take_live_buttons(survey.id) if at_question else ()
        return InboundResult(
            turn.replies, survey, _summary(names), events=names, stale_buttons=stale
        )

    def _apply(
        self,
        *,
        tx: AnswerTransaction,
        flow: Flow,
        survey: SurveyRow,
        inbound: Inbound,
        turn: Turn,
        now: datetime,
    ) -> list[str]:
        names: list[str] = []
        changes: dict[str, object] = {}
        for event in turn.events:
            names.append(type(event).__name__)
            match event:
                case ScoreRecorded(
                    value=value, raw_text=raw, normaliser_version=version, decision=decision
                ):
                    tx.add_response(
                        {
                            "invitation_id": survey.id,
                            "flow_id": flow.id,
                            "metric": flow.metric.value,
                            "value": value,
                            "scale_min": flow.scale.min,
                            "scale_max": flow.scale.max,
                            "lower_is_better": flow.scale.direction == "lower_is_better",
                            "raw_text": raw,
                            "normaliser_version": version,
                            "decision": decision or None,
                            "flow_version": flow_version(flow),
                            "channel": survey.channel,
                            "locale": survey.locale,
                            "agent": survey.agent,
                            "team": survey.team,
                            "queue": survey.queue,
                            "journey_stage": survey.journey_stage,
                            "answered_at": now,
                            "is_test": survey.is_test,
                        }
                    )
                    # Same transaction as the response, so an alert is never lost. A test
                    # answer alerts nobody: no case, no message to the team.
                    if not survey.is_test:
                        tx.open_case_if_alerting(
                            survey.id,
                            value,
                            alert_min=flow.alert_min,
                            alert_max=flow.alert_max,
                            now=now,
                        )
                    changes |= {"answered_at": now, "status": InvitationStatus.FOLLOW_UP.value}
                case CommentRecorded(text=text):
                    tx.add_comment(survey.id, text, now)
                    tx.note_comment(survey.id, now)
                case Completed():
                    changes |= {"status": InvitationStatus.COMPLETED.value, "closed_at": now}
                case GaveUp(reason=reason):
                    changes |= {
                        "status": InvitationStatus.UNANSWERED.value,
                        "status_reason": reason[:255],
                        "closed_at": now,
                    }
                case Expired():
                    changes |= {"status": InvitationStatus.EXPIRED.value, "closed_at": now}
                case LateAnswer(raw_text=raw):
                    tx.add_late_answer(survey.id, raw, now)
                case OptedOut():
                    pseudonym = tx.pseudonymise(inbound.channel.value, inbound.address)
                    tx.opt_out(pseudonym, inbound.channel.value, now)
                case _:
                    pass
        tx.update_invitation(survey.id, changes)
        return names


# The one word stored on a provider event: the most telling thing that happened, first match wins.
_OUTCOME_PRIORITY = (
    ("OptedOut", "optout"),
    ("LateAnswer", "late"),
    ("GaveUp", "give_up"),
    ("CommentRecorded", "comment"),
    ("ScoreRecorded", "answer"),
    ("Reprompted", "reprompt"),
    ("Completed", "completed"),
)


def _summary(names: list[str]) -> str:
    return next((word for name, word in _OUTCOME_PRIORITY if name in names), "none")
