"""The channel registry: what each channel is, so the core never keeps a list of channel names.

A channel describes itself once with a `ChannelSpec` (its name, the kind of address it reaches,
what it can do) and is registered into `CHANNELS` by the composition root. Every set the core
needs (the phone channels that share one identity, the messaging channels that expire and get
reminders, the channels an invitation can be sent on) is derived from the registry.

Where a new channel goes: its adapter under `bots/<channel>/` with a `ChannelSpec` beside it,
that spec in `bots/channels.py` `BUILT_IN`, and its sender returned, under the spec's name, by
its plug-in (`bots/plugins.py`). Nothing in `flows/` or `scoring/` changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema


class Channel(str):
    """A channel's name, as stored and as passed between the layers; open to any registered one.

    The constants name the channels this build ships, for the adapters and tests that name one;
    the core never branches on them, it asks the registry.
    """

    __slots__ = ()

    CONSOLE: ClassVar[Channel]
    SMS: ClassVar[Channel]
    WHATSAPP: ClassVar[Channel]
    VOICE: ClassVar[Channel]
    TELEGRAM: ClassVar[Channel]

    @property
    def value(self) -> str:
        return str(self)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, _source: Any, _handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # Any string parses; whether it names a registered channel is the caller's check,
        # with the caller's error message.
        return core_schema.no_info_after_validator_function(
            cls, core_schema.str_schema(), serialization=core_schema.to_string_ser_schema()
        )


Channel.CONSOLE = Channel("console")
Channel.SMS = Channel("sms")
Channel.WHATSAPP = Channel("whatsapp")
Channel.VOICE = Channel("voice")
Channel.TELEGRAM = Channel("telegram")

_NOT_DIGITS = re.compile(r"[^\d+]")


@dataclass(frozen=True, slots=True)
class AddressKind:
    """What an address on a channel looks like, and who it identifies."""

    name: str
    pattern: re.Pattern[str]
    error: str  # what a wrong address is told
    # The address is a phone number: every phone channel shares one identity (the number), so
    # an opt-out or the fatigue rules on SMS also cover WhatsApp and voice.
    phone: bool = False
    prefixes: tuple[str, ...] = ()  # written before the address, not part of who it is

    def fits(self, address: str) -> bool:
        return self.pattern.fullmatch(address) is not None

    def identity(self, channel: str, address: str) -> str:
        """Who this address is, across channels."""
        if self.phone:
            for prefix in self.prefixes:
                address = address.removeprefix(prefix)
            return "tel:" + _NOT_DIGITS.sub("", address)
        return f"{channel}:{address.strip()}"


_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_E164_ERROR = "address must be a phone number in E.164 form, e.g. +31612345678"
# A pasted `whatsapp:` address still names the number, on any phone channel.
E164_PHONE = AddressKind("e164", _E164, _E164_ERROR, phone=True, prefixes=("whatsapp:",))
WHATSAPP_PHONE = AddressKind("whatsapp", _E164, _E164_ERROR, phone=True, prefixes=("whatsapp:",))
TELEGRAM_CHAT = AddressKind(
    "telegram_chat", re.compile(r"^-?\d{1,20}$"), "a Telegram address is a numeric chat id"
)
ANY_TEXT = AddressKind("text", re.compile(r".+", re.DOTALL), "an address is required")


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """One channel, as the core sees it."""

    name: Channel
    address: AddressKind
    # Asynchronous: the customer answers when they like, so the survey expires after the flow's
    # messaging expiry and may get a reminder. A call or the console answers on the spot.
    messaging: bool = False
    voice: bool = False  # a call: spoken wording, keypad answers
    buttons: int = 0  # answer buttons one message can carry; 0 means text only
    lists: bool = False  # can offer the choices as a pick list
    list_items: int = 0  # choices one pick list holds
    # Steps a question may take when its scale fits no single message: 2 lets a long scale be
    # offered as bands first, then the points of the chosen band (flows.buttons.plan).
    steps: int = 1
    # An invitation without an address becomes a link the customer opens (Telegram's deep link).
    deep_link: bool = False
    sendable: bool = True  # invitations can be sent on it (the console only runs live)
    needs: str = ""  # the settings that turn it on, for the error when it is off


class UnknownChannel(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown channel '{name}'; known channels: {', '.join(known)}")


class ChannelRegistry:
    """The channels this process knows, in registration order."""

    def __init__(self) -> None:
        self._specs: dict[str, ChannelSpec] = {}

    def register(self, spec: ChannelSpec) -> ChannelSpec:
        """Add a channel; registering the same spec again is a no-op, a different one an error."""
        known = self._specs.get(spec.name)
        if known is not None and known != spec:
            raise ValueError(f"channel '{spec.name}' is already registered as {known}")
        self._specs[spec.name] = spec
        return spec

    def unregister(self, name: str) -> None:
        self._specs.pop(name, None)

    def get(self, name: str) -> ChannelSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownChannel(name, self.names()) from None

    def find(self, name: str | None) -> ChannelSpec | None:
        return self._specs.get(name) if name is not None else None

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[ChannelSpec]:
        return iter(list(self._specs.values()))

    def names(self) -> list[str]:
        return list(self._specs)

    def channel(self, name: str) -> Channel:
        """The registered name as a `Channel` (the very constant an adapter registered)."""
        return self.get(name).name

    # -- the derived sets -------------------------------------------------------------------

    def phone(self) -> frozenset[str]:
        """Channels whose address is a phone number: they share one identity per number."""
        return frozenset(s.name for s in self if s.address.phone)

    def messaging(self) -> frozenset[str]:
        """Channels where a survey waits for the customer: expiry and reminders apply."""
        return frozenset(s.name for s in self if s.messaging)

    def sendable(self) -> list[str]:
        """Channels an invitation can be sent on, in registration order."""
        return [s.name for s in self if s.sendable]

    def is_voice(self, name: str | None) -> bool:
        spec = self.find(name)
        return spec is not None and spec.voice

    def first(self, *, phone: bool) -> ChannelSpec:
        """The first sendable channel whose address is (or is not) a phone number."""
        for spec in self:
            if spec.sendable and spec.address.phone is phone:
                return spec
        kind = "phone" if phone else "non-phone"
        raise LookupError(f"no {kind} channel is registered; known: {', '.join(self.names())}")


# The process's registry: filled by the composition root, read by every layer.
CHANNELS = ChannelRegistry()
