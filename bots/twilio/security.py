"""Authenticate Twilio webhooks and read their form bodies.

Order matters: a body we cannot read is a 4xx that says why; a body whose signature does not
match the URL and every parameter is a 403 before anything is stored; then the AccountSid must
be ours (a valid signature from another account of the same person is still not ours).
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from fastapi import HTTPException, Request, status
from pydantic import BaseModel

from bots.settings import Settings
from bots.twilio.signature import signature_is_valid
from flows.text import clean_text

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # a Twilio webhook is a few hundred bytes; refuse anything silly
MAX_FIELDS = 200
SIGNATURE_HEADER = "x-twilio-signature"


class WebhookError(BaseModel):
    detail: str


# What a webhook refuses, documented on each Twilio route.
WEBHOOK_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": WebhookError, "description": "a required parameter is missing or malformed"},
    403: {"model": WebhookError, "description": "bad X-Twilio-Signature, or not our AccountSid"},
    413: {"model": WebhookError, "description": "body too large"},
    415: {"model": WebhookError, "description": "not application/x-www-form-urlencoded"},
}


class FormParams(dict[str, str]):
    """The POST parameters: the last value of each name, plus every value for the signature."""

    def __init__(self, pairs: list[tuple[str, str]], *, unstorable: bool = False) -> None:
        super().__init__(pairs)
        self._pairs = pairs
        self.unstorable = unstorable  # a NUL somewhere: clean() after the signature check

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Every (name, value) as posted, in order: what the signature covers."""
        return self._pairs

    def clean(self) -> FormParams:
        """The same parameters as text every store can hold (the signature is over the raw)."""
        if not self.unstorable:
            return self
        return FormParams([(key, clean_text(value)) for key, value in self._pairs])

    def getlist(self, name: str) -> list[str]:
        # RequestValidator signs every value of a repeated parameter; this is how it asks.
        return [value for key, value in self._pairs if key == name]

    def text(self, name: str, limit: int = 1600) -> str:
        """A parameter as stripped text, cut to `limit` characters ('' when missing)."""
        return self.get(name, "").strip()[:limit]


@dataclass(frozen=True, slots=True)
class Webhook:
    # No I-Twilio-Idempotency-Token: it is not signed, so nothing may be keyed on it alone,
    # and beside a SID (which every webhook we take must carry) it adds nothing.
    params: FormParams


def _bad(code: int, why: str) -> HTTPException:
    return HTTPException(code, why)


async def read_form(request: Request) -> FormParams:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/x-www-form-urlencoded", ""):
        raise _bad(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "Twilio webhooks are application/x-www-form-urlencoded",
        )
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise _bad(status.HTTP_413_CONTENT_TOO_LARGE, "webhook body too large")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise _bad(status.HTTP_413_CONTENT_TOO_LARGE, "webhook body too large")
    try:
        pairs = parse_form(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _bad(status.HTTP_400_BAD_REQUEST, "webhook body is not valid form data") from None
    # Strict UTF-8 never yields a lone surrogate, so a NUL is the one thing left to clean.
    return FormParams(pairs, unstorable=b"%00" in body or b"\x00" in body)


def parse_form(text: str) -> list[tuple[str, str]]:
    """`parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)`.

    The same pairs (tests/unit/test_twilio_form.py holds it to parse_qsl over fuzzed bodies),
    in a third of the time: most of a webhook's ~20 names and values hold no `+` or `%`, and
    parse_qsl spends its time on calls for those.
    """
    if not text:
        return []
    if text.count("&") >= MAX_FIELDS:
        raise ValueError("Max number of fields exceeded")
    pairs = []
    for field in text.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name, errors="strict")
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value, errors="strict")
        pairs.append((name, value))
    return pairs


def signed_url(request: Request, settings: Settings) -> str:
    """The URL Twilio signed: our public URL when configured (we sit behind a proxy), else
    the URL this request arrived on."""
    if settings.public_url:
        query = request.url.query
        return settings.public_url + request.url.path + (f"?{query}" if query else "")
    return str(request.url)


async def verified_webhook(request: Request, settings: Settings) -> Webhook:
    """Read and authenticate one webhook, or raise the 4xx that says why."""
    params = await read_form(request)
    if not settings.twilio_skip_signature:
        token = settings.twilio_auth_token
        signature = request.headers.get(SIGNATURE_HEADER)
        if token is None:
            # The plug-in refuses to start like this; kept as a guard, never as a bypass.
            raise _bad(status.HTTP_403_FORBIDDEN, "TWILIO_AUTH_TOKEN is not configured")
        if not signature:
            log.warning("Twilio webhook %s refused: no X-Twilio-Signature", request.url.path)
            raise _bad(status.HTTP_403_FORBIDDEN, "missing X-Twilio-Signature")
        url = signed_url(request, settings)
        if not signature_is_valid(token.get_secret_value(), url, params.pairs, signature):
            log.warning("Twilio webhook %s refused: bad signature", request.url.path)
            raise _bad(status.HTTP_403_FORBIDDEN, "invalid X-Twilio-Signature")
    expected = settings.twilio_account_sid
    if expected is not None and not hmac.compare_digest(
        params.get("AccountSid", "").encode(), expected.encode()
    ):
        log.warning("Twilio webhook %s refused: AccountSid is not ours", request.url.path)
        raise _bad(status.HTTP_403_FORBIDDEN, "AccountSid does not match TWILIO_ACCOUNT_SID")
    return Webhook(params.clean())
