"""The Telegram channel, as the core sees it."""

from __future__ import annotations

from scoring.channels import TELEGRAM_CHAT, Channel, ChannelSpec

# An inline keyboard holds up to 100 buttons; no scale needs more than 11.
TELEGRAM = ChannelSpec(Channel.TELEGRAM, TELEGRAM_CHAT, messaging=True, buttons=100, deep_link=True)
