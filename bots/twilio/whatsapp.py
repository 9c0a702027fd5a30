"""WhatsApp sends: interactive content inside the 24-hour window, the approved template outside.

Never free-form text outside the window: WhatsApp refuses it (63016), and since April 2025 also
a template's text sent as Body. With no approved template, or no consent, the question is not
sent and the invitation records why (`whatsapp_template_missing`, `..._not_approved`,
`whatsapp_no_opt_in`), for the API, the dashboard and the funnel.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bots.twilio.client import Sent, TwilioApiError, TwilioRest
from bots.twilio.content import SESSION, TEMPLATE, Definition, band_purpose, by_purpose
from bots.twilio.senders import send_error as generic_send_error
from flows.models import Flow
from flows.ports import Outbound, Sender, SendError, SendResult
from flows.render import Renderer, Reply, ReplyKind
from scoring import whatsapp as store
from scoring.db import Database
from scoring.whatsapp import APPROVED, Pseudonymise, SendContext

log = logging.getLogger(__name__)

WHATSAPP_PREFIX = "whatsapp:"
VALIDITY_PERIOD_S = 4 * 3600
# Why a WhatsApp question did not go out (invitation.status_reason).
TEMPLATE_MISSING = "whatsapp_template_missing"
TEMPLATE_NOT_APPROVED = "whatsapp_template_not_approved"
NO_OPT_IN = "whatsapp_no_opt_in"
OUTSIDE_WINDOW = "whatsapp_outside_window"
NOT_A_USER = "whatsapp_not_a_user"
# Not a WhatsApp user, and the flow asked for SMS then: the invitation went by SMS.
SENT_BY_SMS = "whatsapp_not_a_user_sent_by_sms"
# 63016: outside the window. 63018 (Twilio) and 131056 (WhatsApp's pair rate): slow down and
# try again. 63003 / 63024: the number has no WhatsApp.
WINDOW_CLOSED_CODES = frozenset({63016})
RATE_LIMIT_CODES = frozenset({63018, 131056})
NOT_A_USER_CODES = frozenset({63003, 63024})


class SharedPairs:
    """WhatsApp's pair rate kept in the database: one pace per person for every process.

    Each send takes the person's next slot in one atomic UPDATE (`whatsapp_pace`), so two
    workers or two instances never send to one person closer than `pair_seconds` apart.
    """

    def __init__(
        self,
        db: Database,
        pseudonymise: Pseudonymise,
        sender: str,
        pair_seconds: float,
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.pseudonymise = pseudonymise
        self.sender = sender.removeprefix(WHATSAPP_PREFIX)
        self.pair_seconds = pair_seconds
        self._wall = wall

    async def delay(self, address: str) -> float:
        """Seconds to wait before this person's message; the slot is reserved."""
        now = self._wall()
        pseudonym = self.pseudonymise("whatsapp", address.removeprefix(WHATSAPP_PREFIX))
        at = await self.db.run(
            store.reserve_slot, self.db.engine, pseudonym, self.sender, now, self.pair_seconds
        )
        return max(0.0, at - now)


class Pacer:
    """The sender's rate (messages/s) and WhatsApp's pair rate (one person, one per N s).

    The sender's rate is per process (set it per worker); the pair rate is per process too
    unless `shared` keeps it in the database, as the app does.
    """

    def __init__(
        self,
        rate: float,
        pair_seconds: float,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        shared: SharedPairs | None = None,
    ) -> None:
        self.interval = 1.0 / rate
        self.pair_seconds = pair_seconds
        self._clock = clock or (lambda: asyncio.get_running_loop().time())
        self._sleep = sleep
        self._shared = shared if pair_seconds > 0 else None
        self._next = 0.0
        self._last: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, address: str) -> None:
        local_pairs = self._shared is None
        async with self._lock:
            now = self._clock()
            last = self._last.get(address, -1e9) if local_pairs else -1e9
            at = max(now, self._next, last + self.pair_seconds)
            self._next = at + self.interval
            if local_pairs:
                self._last[address] = at
            if len(self._last) > 10_000:  # only the last few seconds matter
                self._last = {a: t for a, t in self._last.items() if t > now - self.pair_seconds}
        delay = at - now
        if self._shared is not None:
            delay = max(delay, await self._shared.delay(address))
        if delay > 0:
            await self._sleep(delay)


@dataclass(frozen=True, slots=True)
class Plan:
    """How one question goes out: session content, text in session, or the template."""

    mode: str  # session | text | template
    content_sid: str | None = None
    definition: Definition | None = None


def choose(
    ctx: SendContext, now: datetime, wanted: Mapping[str, Definition], *, template_only: bool
) -> Plan | SendError:
    """Inside the window: interactive (or text); outside: the approved template, or why not."""
    if ctx.window_open(now) and not template_only:
        session = ctx.contents.get(SESSION)
        if session is not None and SESSION in wanted:
            return Plan("session", session.content_sid, wanted[SESSION])
        return Plan("text")
    if not ctx.opted_in:
        return _refused(NO_OPT_IN)
    template = ctx.contents.get(TEMPLATE)
    if template is None or TEMPLATE not in wanted:
        return _refused(TEMPLATE_MISSING)
    if template.approval_status != APPROVED:
        return _refused(TEMPLATE_NOT_APPROVED)
    return Plan("template", template.content_sid, wanted[TEMPLATE])


def _refused(reason: str) -> SendError:
    # The reason is the message (it becomes status_reason); no provider code: nothing was sent.
    return SendError(reason, permanent=True)


class WhatsAppSender:
    """The question (and its reminder) on WhatsApp, by the rules above."""

    def __init__(
        self,
        rest: TwilioRest,
        db: Database,
        pseudonymise: Pseudonymise,
        flows: Mapping[str, Flow],
        renderer: Renderer,
        *,
        from_: str,
        status_callback: str | None,
        clock: Callable[[], datetime],
        pacer: Pacer,
        sms_fallback: SmsFallback | None = None,
    ) -> None:
        self.rest = rest
        self.db = db
        self.pseudonymise = pseudonymise
        self.flows = flows
        self.renderer = renderer
        self.sender = from_.removeprefix(WHATSAPP_PREFIX)
        self.from_ = WHATSAPP_PREFIX + self.sender
        self.status_callback = status_callback
        self.clock = clock
        self.pacer = pacer
        self.sms_fallback = sms_fallback

    async def send(self, message: Outbound) -> SendResult:
        return await self._send(message, template_only=False)

    async def send_template(self, message: Outbound) -> SendResult:
        """After a 63016: the window was closed after all, so the approved template goes."""
        return await self._send(message, template_only=True)

    async def _send(self, message: Outbound, *, template_only: bool) -> SendResult:
        engine = self.db.engine
        ctx = await self.db.run(
            store.send_context, engine, self.pseudonymise, message.invitation_id, self.sender
        )
        if ctx is None:
            raise SendError("invitation or address is gone", permanent=True)
        flow = self.flows[message.flow_id]
        wanted = by_purpose(flow, message.locale, self.renderer)
        chosen = choose(ctx, self.clock(), wanted, template_only=template_only)
        if isinstance(chosen, SendError):
            raise chosen
        try:
            sent = await self._deliver(message, chosen)
        except TwilioApiError as exc:
            if exc.code in WINDOW_CLOSED_CODES and chosen.mode != "template":
                await self.db.run(
                    store.close_window, engine, self.pseudonymise, message.address, self.sender
                )
                return await self._send(message, template_only=True)
            if exc.code in NOT_A_USER_CODES and self.wants_sms(message.flow_id):
                assert self.sms_fallback is not None  # noqa: S101
                return await self.sms_fallback.send(message.invitation_id)
            raise _send_error(exc) from None
        await self.db.run(
            store.record_send, engine, sent.sid, ctx.invitation_id, chosen.mode, self.clock()
        )
        log.info("whatsapp question for %s sent as %s", message.invitation_id, chosen.mode)
        return SendResult(sent.sid, sent.status, buttons_live=chosen.mode != "text")

    def wants_sms(self, flow_id: str) -> bool:
        """This flow asks a number without WhatsApp by SMS, and an SMS sender is set up."""
        flow = self.flows.get(flow_id)
        wanted = flow is not None and flow.whatsapp is not None and flow.whatsapp.sms_fallback
        return wanted and self.sms_fallback is not None

    async def _deliver(self, message: Outbound, chosen: Plan) -> Sent:
        await self.pacer.wait(message.address)
        to = WHATSAPP_PREFIX + message.address.removeprefix(WHATSAPP_PREFIX)
        if chosen.content_sid is None or chosen.definition is None:
            return await self.rest.send_message(
                to=to,
                from_=self.from_,
                body=message.reply.text,
                validity_period=VALIDITY_PERIOD_S,
                status_callback=self.status_callback,
            )
        return await self.rest.send_message(
            to=to,
            from_=self.from_,
            content_sid=chosen.content_sid,
            content_variables=chosen.definition.variables(message.invitation_id),
            validity_period=VALIDITY_PERIOD_S,
            status_callback=self.status_callback,
        )

    async def send_band(
        self, address: str, invitation_id: str, flow_id: str, locale: str, *, low: int, high: int
    ) -> bool:
        """The second step of a two-step question: the points of the band the customer tapped.

        In session (the customer just wrote to us). False when that content is not synced, so
        the caller asks for the score in words instead.
        """
        flow = self.flows.get(flow_id)
        if flow is None:
            return False
        purpose = band_purpose(low, high)
        definition = by_purpose(flow, locale, self.renderer).get(purpose)
        ctx = await self.db.run(
            store.send_context, self.db.engine, self.pseudonymise, invitation_id, self.sender
        )
        content = ctx.contents.get(purpose) if ctx is not None else None
        if definition is None or content is None or ctx is None:
            return False
        outbound = Outbound(invitation_id, "whatsapp", address, locale, flow_id, _EMPTY)
        try:
            sent = await self._deliver(outbound, Plan("session", content.content_sid, definition))
        except TwilioApiError as exc:
            log.warning("second step for %s not sent: %s (code %s)", invitation_id, exc, exc.code)
            return False
        await self.db.run(
            store.record_send, self.db.engine, sent.sid, ctx.invitation_id, "session", self.clock()
        )
        return True


class SmsFallback:
    """The question by SMS to the same number, for a flow that wants it (`sms_fallback`).

    The invitation moves to the SMS channel first (so the customer's SMS answer finds it),
    with `status_reason` saying why; then the SMS sender sends the question as SMS renders it.
    """

    def __init__(
        self,
        db: Database,
        sms: Sender,
        outbound_of: Callable[[str], Outbound | None],
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.sms = sms
        self.outbound_of = outbound_of
        self.clock = clock

    async def send(self, public_id: str) -> SendResult:
        moved = await self.db.run(
            store.move_to_sms, self.db.engine, public_id, SENT_BY_SMS, self.clock()
        )
        outbound = await self.db.run(self.outbound_of, public_id) if moved else None
        if outbound is None:
            raise SendError(NOT_A_USER, permanent=True)
        log.info("invitation %s has no WhatsApp: asking by SMS", public_id)
        return await self.sms.send(outbound)


def _send_error(exc: TwilioApiError) -> SendError:
    code = exc.code
    if code in RATE_LIMIT_CODES:
        # A rate limit passes: the queue retries with its backoff.
        return SendError(f"rate limited (Twilio error {code})", code=str(code), permanent=False)
    if code in NOT_A_USER_CODES:
        return SendError(NOT_A_USER, code=str(code), permanent=True)
    if code in WINDOW_CLOSED_CODES:
        return SendError(OUTSIDE_WINDOW, code=str(code), permanent=True)
    return generic_send_error(exc)


# The second step's words are in its Content resource; the Outbound needs a reply all the same.
_EMPTY = Reply(ReplyKind.QUESTION, "")
