"""The Twilio channel plug-in: SMS, WhatsApp and voice senders plus the webhooks."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import APIRouter

from bots.container import Container
from bots.settings import ConfigError, Settings
from bots.twilio import messaging, status, voice
from bots.twilio.channels import SMS, VOICE, WHATSAPP
from bots.twilio.client import TwilioRest
from bots.twilio.senders import MessagingSender, VoiceSender
from bots.twilio.whatsapp import Pacer, SharedPairs, SmsFallback, WhatsAppSender
from flows.ports import Sender
from scoring.storage import Pseudonymiser

log = logging.getLogger(__name__)


def is_configured(settings: Settings) -> bool:
    """Twilio is on when an account is named (or, in development, signatures are skipped)."""
    return bool(settings.twilio_account_sid) or settings.twilio_skip_signature


class TwilioPlugin:
    name = "twilio"

    def __init__(self, container: Container) -> None:
        self.container = container
        settings = container.settings
        self.enabled = is_configured(settings)
        if self.enabled and settings.twilio_auth_token is None:
            if not settings.twilio_skip_signature:
                raise ConfigError(
                    "TWILIO_AUTH_TOKEN is required to check Twilio's webhook signatures "
                    "(set TWILIO_SKIP_SIGNATURE=true only for local development)"
                )
            log.warning("TWILIO_AUTH_TOKEN is not set: Twilio sending is off")
        self._rest: TwilioRest | None = None
        self._senders = self._build_senders(settings) if self.enabled else {}

    def _build_senders(self, settings: Settings) -> dict[str, Sender]:
        if not settings.twilio_account_sid or settings.twilio_auth_token is None:
            return {}
        rest = self._rest = TwilioRest(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            settings.twilio_api_base_url,
        )
        public = settings.public_url
        # Twilio can only call back to a public URL; without one we send without callbacks.
        callback = f"{public}{status.STATUS_PATH}" if public else None
        senders: dict[str, Sender] = {}
        if settings.twilio_sms_from:
            senders[SMS.name] = MessagingSender(
                rest, from_=settings.twilio_sms_from, whatsapp=False, status_callback=callback
            )
        if settings.twilio_whatsapp_from:
            container = self.container
            pseudonymise = Pseudonymiser(settings.secret())
            pair_seconds = settings.twilio_whatsapp_pair_seconds
            # The pair rate lives in the database: every worker and instance keeps one pace.
            shared = SharedPairs(
                container.db, pseudonymise, settings.twilio_whatsapp_from, pair_seconds
            )
            sms = senders.get(SMS.name)
            senders[WHATSAPP.name] = WhatsAppSender(
                rest,
                container.db,
                pseudonymise,
                container.flows,
                container.service.render,
                from_=settings.twilio_whatsapp_from,
                status_callback=callback,
                clock=container.service.clock,
                pacer=Pacer(settings.twilio_whatsapp_rate, pair_seconds, shared=shared),
                sms_fallback=(
                    SmsFallback(
                        container.db, sms, container.service.outbound, container.service.clock
                    )
                    if sms is not None
                    else None
                ),
            )
        if settings.twilio_voice_from and public:
            senders[VOICE.name] = VoiceSender(
                rest,
                from_=settings.twilio_voice_from,
                voice_url=f"{public}{voice.VOICE_PATH}",
                status_callback=callback,
            )
        elif settings.twilio_voice_from:
            log.warning(
                "TWILIO_VOICE_FROM is set but SURVEYBOT_PUBLIC_URL is not: outbound survey calls "
                "need a public URL for Twilio to fetch the call's TwiML; voice sending is off"
            )
        return senders

    def senders(self) -> Mapping[str, Sender]:
        return self._senders

    def router(self) -> APIRouter | None:
        if not self.enabled:
            return None
        router = APIRouter()
        router.include_router(messaging.router)
        router.include_router(voice.router)
        router.include_router(status.router)
        return router

    async def start(self) -> None:
        if self.enabled:
            log.info(
                "Twilio webhooks on %s, %s and %s; sending on: %s",
                messaging.MESSAGING_PATH,
                voice.VOICE_PATH,
                status.STATUS_PATH,
                ", ".join(sorted(self._senders)) or "nothing",
            )

    async def stop(self) -> None:
        if self._rest is not None:
            self._rest.close()


def twilio_plugin(container: Container) -> TwilioPlugin:
    return TwilioPlugin(container)
