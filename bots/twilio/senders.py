"""Outbound: the opening question by SMS or WhatsApp, or a call that asks it."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlencode

from bots.twilio.client import Sent, TwilioApiError, TwilioRest
from flows.ports import Outbound, SendError, SendResult

# A survey about a contact is stale after a few hours: if Twilio's queue holds it this long,
# drop it rather than ask tomorrow about yesterday (Twilio allows 1..36000 s; 4 h also fits
# the older 14400 s cap).
VALIDITY_PERIOD_S = 4 * 3600
WHATSAPP_PREFIX = "whatsapp:"
# Twilio's error texts quote the number ("The 'To' number +316... is not valid"); never log it.
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")


def _scrubbed(text: str) -> str:
    return _PHONE.sub("<number>", text)


def send_error(exc: TwilioApiError) -> SendError:
    return SendError(
        _scrubbed(str(exc))[:200],
        code=str(exc.code) if exc.code is not None else None,
        permanent=exc.permanent,
        opted_out=exc.opted_out,
    )


def _result(sent: Sent) -> SendResult:
    return SendResult(sent.sid, sent.status)


class MessagingSender:
    """SMS or WhatsApp: the question as one message, with a status callback when we can."""

    def __init__(
        self,
        rest: TwilioRest,
        *,
        from_: str,
        whatsapp: bool,
        status_callback: str | None,
        validity_period: int = VALIDITY_PERIOD_S,
    ) -> None:
        self.rest = rest
        self.whatsapp = whatsapp
        self.from_ = self._address(from_)
        self.status_callback = status_callback
        self.validity_period = validity_period

    def _address(self, number: str) -> str:
        bare = number.removeprefix(WHATSAPP_PREFIX)
        return WHATSAPP_PREFIX + bare if self.whatsapp else bare

    async def send(self, message: Outbound) -> SendResult:
        try:
            sent = await self.rest.send_message(
                to=self._address(message.address),
                from_=self.from_,
                body=message.reply.text,
                validity_period=self.validity_period,
                status_callback=self.status_callback,
            )
        except TwilioApiError as exc:
            raise send_error(exc) from None
        return _result(sent)

    async def find_sent(self, message: Outbound, since: datetime) -> SendResult | None:
        """After a worker crashed mid-send: did this question reach Twilio after all?"""
        try:
            found = await self.rest.sent_bodies(to=self._address(message.address), since=since)
        except TwilioApiError:
            return None  # can't tell: the caller sends, preferring a duplicate to a loss
        return next((_result(sent) for sent, body in found if body == message.reply.text), None)


class VoiceSender:
    """A call whose TwiML URL is our voice webhook, opening this very invitation."""

    def __init__(
        self, rest: TwilioRest, *, from_: str, voice_url: str, status_callback: str | None
    ) -> None:
        self.rest = rest
        self.from_ = from_
        self.voice_url = voice_url
        self.status_callback = status_callback

    async def send(self, message: Outbound) -> SendResult:
        url = f"{self.voice_url}?{urlencode({'invitation': message.invitation_id})}"
        try:
            sent = await self.rest.place_call(
                to=message.address, from_=self.from_, url=url, status_callback=self.status_callback
            )
        except TwilioApiError as exc:
            raise send_error(exc) from None
        return _result(sent)
