"""Every channel this build ships, registered once by the composition root.

A new channel: its adapter under `bots/<channel>/` with a `ChannelSpec` (see
`scoring/channels.py`), the spec added to `BUILT_IN` below, and its plug-in (`bots/plugins.py`)
returning its sender under the spec's name. The core derives everything else from the registry.
"""

from __future__ import annotations

from collections.abc import Mapping

from bots.console import CONSOLE
from bots.telegram.channel import TELEGRAM
from bots.twilio.channels import SMS, VOICE, WHATSAPP
from flows.ports import Sender
from scoring.channels import CHANNELS, ChannelRegistry, ChannelSpec

# In the order error messages list them.
BUILT_IN: tuple[ChannelSpec, ...] = (SMS, WHATSAPP, VOICE, TELEGRAM, CONSOLE)


def register_channels(registry: ChannelRegistry = CHANNELS) -> ChannelRegistry:
    """Register the built-in channels; safe to call more than once."""
    for spec in BUILT_IN:
        registry.register(spec)
    return registry


def registered(senders: Mapping[str, Sender]) -> Mapping[str, Sender]:
    """A plug-in's senders, each under a registered channel's name; else fail at start-up."""
    for name in senders:
        CHANNELS.get(name)
    return senders
