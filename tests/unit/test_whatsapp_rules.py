"""WhatsApp's rules without I/O: which message may go out, two-step choices, pacing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bots.channels import register_channels
from bots.twilio.content import SESSION, TEMPLATE, by_purpose
from bots.twilio.whatsapp import Pacer, Plan, choose
from flows.buttons import decode, decode_band, encode, encode_band, plan
from flows.loader import load_flows
from flows.ports import SendError
from flows.render import Renderer
from scoring.channels import Channel
from scoring.whatsapp import Content, SendContext

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
register_channels()
FLOWS = load_flows(None)
RENDER = Renderer("Acme")


def context(*, last: datetime | None, opted_in: bool, template: str | None) -> SendContext:
    contents = {SESSION: Content(SESSION, "HX" + "1" * 32, "unsubmitted")}
    if template is not None:
        contents[TEMPLATE] = Content(TEMPLATE, "HX" + "2" * 32, template)
    return SendContext(1, last, opted_in, contents)


WANTED = by_purpose(FLOWS["csat"], "nl", RENDER)


@pytest.mark.parametrize(
    ("last", "opted_in", "template", "expected"),
    [
        (NOW - timedelta(hours=23), False, None, "session"),
        (NOW - timedelta(hours=25), True, "approved", "template"),
        (None, True, None, "whatsapp_template_missing"),
        (None, True, "rejected", "whatsapp_template_not_approved"),
        (None, True, "pending", "whatsapp_template_not_approved"),
        (None, True, "paused", "whatsapp_template_not_approved"),
        (None, False, "approved", "whatsapp_no_opt_in"),
    ],
)
def test_the_window_and_the_template_decide_what_goes_out(
    last: datetime | None, opted_in: bool, template: str | None, expected: str
) -> None:
    """Inside 24 hours: interactive; outside: the approved template for a consenting customer."""
    chosen = choose(
        context(last=last, opted_in=opted_in, template=template), NOW, WANTED, template_only=False
    )
    found = chosen.mode if isinstance(chosen, Plan) else str(chosen)
    assert found == expected
    if isinstance(chosen, SendError):
        assert chosen.permanent


def test_never_free_form_text_outside_the_window() -> None:
    """Whatever is stored, a closed window never yields a text or session send."""
    for template in (None, "approved", "rejected"):
        for opted_in in (True, False):
            ctx = context(last=NOW - timedelta(days=2), opted_in=opted_in, template=template)
            chosen = choose(ctx, NOW, WANTED, template_only=False)
            assert not isinstance(chosen, Plan) or chosen.mode == "template"


def test_nps_is_two_steps_where_a_message_holds_ten_and_csat_one() -> None:
    """0-10 does not fit a 10-row list: bands 0-6, 7-8, 9-10 first; CSAT and CES fit one list."""
    nps = RENDER.question(FLOWS["nps"], Channel.WHATSAPP, "en")
    steps = plan(nps, at_once=10, per_step=3, steps=2)
    assert [(b.low, b.high) for b in steps.bands] == [(0, 6), (7, 8), (9, 10)]
    assert [len(b.choices) for b in steps.bands] == [7, 2, 2]
    for flow in ("csat", "ces"):
        reply = RENDER.question(FLOWS[flow], Channel.WHATSAPP, "en")
        assert plan(reply, at_once=10, per_step=3, steps=2).steps == 1
    assert plan(nps, at_once=10, per_step=3, steps=1).steps == 0  # no steps: text alone


def test_band_payloads_are_bound_to_one_invitation_and_never_read_as_a_score() -> None:
    invitation = str(uuid.uuid4())
    band = decode_band(encode_band(invitation, 7, 8))
    assert band is not None
    assert (band.invitation_id, band.low, band.high) == (invitation, 7, 8)
    assert decode(encode_band(invitation, 7, 8)) is None
    assert decode_band(encode(invitation, 7)) is None
    assert decode_band("sb1:" + uuid.UUID(invitation).hex + ":b8-7") is None


def test_the_pacer_keeps_the_sender_rate_and_the_pair_rate() -> None:
    """10/s overall; one person gets at most one message per 6 s."""
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(round(seconds, 3))

    async def run() -> None:
        pacer = Pacer(10, 6, clock=lambda: now[0], sleep=sleep)
        for address in ("+31600000001", "+31600000002", "+31600000003"):
            await pacer.wait(address)
        await pacer.wait("+31600000001")

    asyncio.run(run())
    assert waits == [0.1, 0.2, 6.0]
