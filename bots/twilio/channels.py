"""The channels Twilio carries, as the core sees them."""

from __future__ import annotations

from scoring.channels import E164_PHONE, WHATSAPP_PHONE, Channel, ChannelSpec

_ACCOUNT = "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN"

SMS = ChannelSpec(Channel.SMS, E164_PHONE, messaging=True, needs=f"{_ACCOUNT} and TWILIO_SMS_FROM")
# In session WhatsApp draws up to 3 reply buttons or a 10-row list; NPS' 11 points go in two
# steps (band, then score). Outside the 24-hour window only an approved template goes out.
WHATSAPP = ChannelSpec(
    Channel.WHATSAPP,
    WHATSAPP_PHONE,
    messaging=True,
    buttons=3,
    lists=True,
    list_items=10,
    steps=2,
    needs=f"{_ACCOUNT} and TWILIO_WHATSAPP_FROM",
)
VOICE = ChannelSpec(
    Channel.VOICE,
    E164_PHONE,
    voice=True,
    needs=f"{_ACCOUNT}, TWILIO_VOICE_FROM and SURVEYBOT_PUBLIC_URL",
)
