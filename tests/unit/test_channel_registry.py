"""The channel registry: a channel registers once and the core's channel sets follow."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bots.channels import BUILT_IN, register_channels, registered
from scoring.channels import (
    CHANNELS,
    E164_PHONE,
    TELEGRAM_CHAT,
    WHATSAPP_PHONE,
    AddressKind,
    Channel,
    ChannelRegistry,
    ChannelSpec,
    UnknownChannel,
)
from scoring.storage import identity
from tests.fakes import RecordingSender

PIGEON = ChannelSpec(Channel("pigeon"), E164_PHONE, messaging=True, buttons=3)
BOARD = ChannelSpec(
    Channel("board"), AddressKind("board_id", re.compile(r"B\d+"), "a board id is B and digits")
)


@pytest.fixture
def pigeon() -> Iterator[ChannelSpec]:
    """A channel no core module names, registered from this test only."""
    CHANNELS.register(PIGEON)
    CHANNELS.register(BOARD)
    yield PIGEON
    CHANNELS.unregister(PIGEON.name)
    CHANNELS.unregister(BOARD.name)


def test_built_in_channels_give_the_sets_the_core_relies_on() -> None:
    """Phone identity, messaging expiry and the sendable list come out as the product defines."""
    assert CHANNELS.phone() == {"sms", "whatsapp", "voice"}
    assert CHANNELS.messaging() == {"sms", "whatsapp", "telegram"}
    assert CHANNELS.sendable() == ["sms", "whatsapp", "voice", "telegram"]
    assert [s.name for s in CHANNELS if s.voice] == ["voice"]
    assert [s.name for s in CHANNELS if s.deep_link] == ["telegram"]


def test_a_channel_registered_from_a_test_shows_up_in_the_derived_sets(
    pigeon: ChannelSpec,
) -> None:
    """Registering is all it takes: no core list names the new channel."""
    assert pigeon.name in CHANNELS.phone()
    assert pigeon.name in CHANNELS.messaging()
    assert CHANNELS.sendable()[-2:] == ["pigeon", "board"]
    assert "board" not in CHANNELS.phone()
    assert CHANNELS.get("pigeon") is pigeon


def test_a_new_phone_channel_shares_the_person_with_sms(pigeon: ChannelSpec) -> None:
    """An opt-out on SMS covers the new phone channel: both name the same number."""
    assert identity(pigeon.name, "+31612345678") == identity("sms", "+31612345678")
    assert identity("board", "B12") == "board:B12"


def test_unregistered_channel_is_an_error_that_lists_the_known_ones() -> None:
    """A name nobody registered fails loudly, never as a silent non-phone channel."""
    with pytest.raises(UnknownChannel, match="unknown channel 'fax'; known channels: sms, "):
        CHANNELS.get("fax")
    with pytest.raises(UnknownChannel):
        identity("fax", "+31612345678")
    assert CHANNELS.find("fax") is None
    assert not CHANNELS.is_voice("fax")


def test_a_name_registered_twice_must_describe_the_same_channel() -> None:
    """Registering again is harmless; a second, different description of a name is refused."""
    registry = register_channels(ChannelRegistry())
    register_channels(registry)
    assert [s.name for s in registry] == [s.name for s in BUILT_IN]
    with pytest.raises(ValueError, match="'sms' is already registered"):
        registry.register(ChannelSpec(Channel.SMS, TELEGRAM_CHAT))


def test_a_sender_must_belong_to_a_registered_channel() -> None:
    """A plug-in that sends on a channel nobody described stops the app from starting."""
    sender = RecordingSender()
    assert registered({"sms": sender}) == {"sms": sender}
    with pytest.raises(UnknownChannel, match="'fax'"):
        registered({"fax": sender})


def test_registered_names_are_the_channel_constants() -> None:
    """A name read back from storage maps to the very constant its adapter registered."""
    assert CHANNELS.channel("telegram") is Channel.TELEGRAM
    assert Channel("sms") == Channel.SMS
    assert Channel.SMS.value == "sms"


@pytest.mark.parametrize(
    ("kind", "address", "fits"),
    [
        (E164_PHONE, "+31612345678", True),
        (WHATSAPP_PHONE, "+31612345678", True),
        (E164_PHONE, "0612345678", False),
        (E164_PHONE, "+0612345678", False),
        (TELEGRAM_CHAT, "-100123456", True),
        (TELEGRAM_CHAT, "@someone", False),
    ],
)
def test_address_kind_takes_only_its_own_addresses(
    kind: AddressKind, address: str, fits: bool
) -> None:
    """An E.164 number fits a phone channel, a numeric chat id fits Telegram, nothing else."""
    assert kind.fits(address) is fits


def test_a_whatsapp_address_is_the_same_person_as_the_bare_number() -> None:
    """The `whatsapp:` prefix is how Twilio writes the number, not part of who it is."""
    assert identity("whatsapp", "whatsapp:+31 6 1234 5678") == identity("voice", "+31612345678")
