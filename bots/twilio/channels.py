"""The channels Twilio carries, as the core sees them."""

from __future__ import annotations

from scoring.channels import E164_PHONE, WHATSAPP_PHONE, Channel, ChannelSpec

_ACCOUNT = "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN"

SMS = ChannelSpec(Channel.SMS, E164_PHONE, messaging=True, needs=f"{_ACCOUNT} and TWILIO_SMS_FROM")
# WhatsApp could draw up to 3 reply buttons or a 10-row list; our sender sends text for now.
WHATSAPP = ChannelSpec(
    Channel.WHATSAPP, WHATSAPP_PHONE, messaging=True, needs=f"{_ACCOUNT} and TWILIO_WHATSAPP_FROM"
)
VOICE = ChannelSpec(
    Channel.VOICE,
    E164_PHONE,
    voice=True,
    needs=f"{_ACCOUNT}, TWILIO_VOICE_FROM and SURVEYBOT_PUBLIC_URL",
)
