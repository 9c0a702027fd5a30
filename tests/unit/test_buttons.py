"""The button codec: what a question offers as buttons, and the payload bound to its invitation."""

from __future__ import annotations

import uuid

import pytest

from bots.telegram.channel import TELEGRAM
from bots.twilio.channels import SMS
from flows.buttons import MAX_PAYLOAD_BYTES, ButtonPress, decode, encode, offered
from flows.loader import load_bundled_flows
from flows.render import Renderer
from scoring.channels import E164_PHONE, Channel, ChannelSpec

INVITATION = str(uuid.uuid4())
FLOWS = load_bundled_flows()


@pytest.mark.parametrize("value", [-10, 0, 1, 5, 10, 100, 999])
def test_a_button_payload_comes_back_as_the_same_press(value: int) -> None:
    """Encoding then decoding gives the invitation and the value, within 64 bytes."""
    data = encode(INVITATION, value)
    assert len(data.encode()) <= MAX_PAYLOAD_BYTES
    assert decode(data) == ButtonPress(INVITATION, value)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "v1:abc:9",
        f"sb0:{uuid.UUID(INVITATION).hex}:9",  # another version
        f"sb1:{uuid.UUID(INVITATION).hex.upper()}:9",
        f"sb1:{uuid.UUID(INVITATION).hex}:1000",
        f"sb1:{uuid.UUID(INVITATION).hex}:9:extra",
        f"sb1:{INVITATION}:9",  # the dashed form is not what we send
        "sb1:" + "0" * 80,
    ],
)
def test_a_payload_we_did_not_make_decodes_to_nothing(data: str | None) -> None:
    """Anything a client sends back that is not our format is a stale button, not an answer."""
    assert decode(data) is None


def test_a_question_offers_its_scale_as_buttons_where_the_channel_draws_them() -> None:
    """Telegram gets all eleven NPS choices; a text-only channel gets none."""
    question = Renderer("Acme").question(FLOWS["nps"], Channel.TELEGRAM, "nl")
    assert [c.value for c in offered(question, TELEGRAM)] == list(range(11))
    assert offered(question, SMS) == ()


def test_a_scale_that_does_not_fit_gets_no_partial_buttons() -> None:
    """Three buttons per message cannot carry a 1-5 scale: the text asks instead."""
    three = ChannelSpec(Channel("three"), E164_PHONE, messaging=True, buttons=3)
    question = Renderer("Acme").question(FLOWS["csat"], Channel.SMS, "en")
    assert len(question.choices) == 5
    assert offered(question, three) == ()
