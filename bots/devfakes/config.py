"""The fixed development identities the fakes and the server agree on."""

from __future__ import annotations

from dataclasses import dataclass

# Not secrets: they only open the local fakes, and `SURVEYBOT_ENV=production` never sees them.
ACCOUNT_SID = "AC" + "dev0fake" * 4
AUTH_TOKEN = "dev-fakes-twilio-auth-token"  # noqa: S105
BOT_TOKEN = "123456:dev-fakes-telegram-bot-token"  # noqa: S105
WEBHOOK_SECRET = "dev-fakes-webhook-secret"  # noqa: S105
SMS_FROM = "+3197010000001"
WHATSAPP_FROM = "+3197010000002"
VOICE_FROM = "+3197010000003"
BOT_USERNAME = "acme_dev_survey_bot"


@dataclass(frozen=True, slots=True)
class DevFakes:
    """Where the fakes listen and where the surveybot server they talk to listens."""

    port: int = 8010
    server: str = "http://127.0.0.1:8000"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """The settings that point a surveybot server at these fakes."""
        return {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": self.url,
            "TWILIO_CONTENT_BASE_URL": self.url,
            "TWILIO_SMS_FROM": SMS_FROM,
            "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
            "TWILIO_VOICE_FROM": VOICE_FROM,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_API_BASE_URL": f"{self.url}/bot",
            # Twilio signs, and calls back on, the server's own address.
            "SURVEYBOT_PUBLIC_URL": self.server,
            # Trying again and again, at any hour, on one number: no quiet hours, no cool-down.
            "SURVEYBOT_SEND_WINDOW": "off",
            "SURVEYBOT_COOLDOWN_DAYS": "0",
            "SURVEYBOT_ONE_OPEN_SURVEY": "false",
        }
