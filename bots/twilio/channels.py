"""The channels Twilio carries, as the core sees them."""

from __future__ import annotations

from scoring.channels import E164_PHONE, WHATSAPP_PHONE, Channel, ChannelSpec

SMS = ChannelSpec(Channel.SMS, E164_PHONE, messaging=True)
# WhatsApp could draw up to 3 reply buttons or a 10-row list; our sender sends text for now.
WHATSAPP = ChannelSpec(Channel.WHATSAPP, WHATSAPP_PHONE, messaging=True)
VOICE = ChannelSpec(Channel.VOICE, E164_PHONE, voice=True)
