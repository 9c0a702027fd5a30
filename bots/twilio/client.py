"""The one module that touches the twilio library (untyped): a small typed adapter around it.

Everything else in `bots.twilio` talks to `TwilioRest` (and `bots.twilio.signature`), so the rest of
the code is checked by mypy and the library can be swapped in one place.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

log = logging.getLogger(__name__)
# The library logs each request and response at INFO (about 11 lines per send, headers and
# URLs included); our own lines say what was sent. Its warnings and errors still show.
logging.getLogger("twilio").setLevel(logging.WARNING)

# Twilio error codes that mean "this person does not want our messages" (21610: the recipient
# replied STOP to this sender; 63032 is WhatsApp's "user has opted out of marketing messages").
OPT_OUT_CODES = frozenset({21610})
# Error codes that will fail again on a retry: bad numbers, unreachable channels, blocked...
PERMANENT_CODES = OPT_OUT_CODES | {21211, 21612, 21614, 21408, 21606, 21659, 63003, 63016}
REQUEST_TIMEOUT_S = 10.0


def compute_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """What Twilio would send as X-Twilio-Signature (tests and the benchmark sign with this)."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


class BaseUrlHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Twilio's requests-based client, pointed at another base URL (a test or mock server).

    The library builds absolute `https://api.twilio.com/...` URLs (or a regional
    `api.<region>.twilio.com`); we swap scheme and host and keep path and query.
    """

    def __init__(self, base_url: str, timeout: float = REQUEST_TIMEOUT_S) -> None:
        super().__init__(timeout=timeout)
        base = urlsplit(base_url.rstrip("/"))
        self._scheme, self._netloc, self._prefix = base.scheme, base.netloc, base.path

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        if not parts.netloc.endswith("twilio.com"):
            return url
        return urlunsplit(
            (self._scheme, self._netloc, self._prefix + parts.path, parts.query, parts.fragment)
        )

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return super().request(method, self.rewrite(url), *args, **kwargs)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


@dataclass(frozen=True, slots=True)
class Sent:
    sid: str
    status: str


class TwilioApiError(Exception):
    """A refused or failed REST call, with Twilio's error code when it gave one."""

    def __init__(self, message: str, *, code: int | None, status: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    @property
    def opted_out(self) -> bool:
        return self.code in OPT_OUT_CODES

    @property
    def permanent(self) -> bool:
        # 4xx means Twilio refused this request as such; 5xx or no answer may pass later.
        refused = self.status is not None and 400 <= self.status < 500
        return self.code in PERMANENT_CODES or refused


class TwilioRest:
    """Send messages and place calls. Async on the outside; the sync library runs in a thread."""

    def __init__(self, account_sid: str, auth_token: str, base_url: str) -> None:
        self._http = BaseUrlHttpClient(base_url)
        self._client: Any = Client(account_sid, auth_token, http_client=self._http)

    async def send_message(
        self,
        *,
        to: str,
        from_: str,
        body: str | None = None,
        validity_period: int | None = None,
        status_callback: str | None = None,
        content_sid: str | None = None,
        content_variables: Mapping[str, str] | None = None,
    ) -> Sent:
        """A text (`body`) or a Content resource (`content_sid` and its variables)."""
        kwargs: dict[str, Any] = {"to": to, "from_": from_}
        if content_sid is not None:
            # Never Body beside ContentSid: WhatsApp refuses a template's text sent as Body.
            kwargs["content_sid"] = content_sid
            if content_variables:
                kwargs["content_variables"] = json.dumps(dict(content_variables))
        else:
            kwargs["body"] = body or ""
        if validity_period is not None:
            kwargs["validity_period"] = validity_period
        if status_callback is not None:
            kwargs["status_callback"] = status_callback
        return await self._create(self._client.messages.create, kwargs)

    async def place_call(
        self,
        *,
        to: str,
        from_: str,
        url: str,
        status_callback: str | None = None,
        status_events: Sequence[str] = ("initiated", "ringing", "answered", "completed"),
        ring_timeout: int = 30,
    ) -> Sent:
        kwargs: dict[str, Any] = {
            "to": to,
            "from_": from_,
            "url": url,
            "method": "POST",
            "timeout": ring_timeout,
        }
        if status_callback is not None:
            kwargs |= {
                "status_callback": status_callback,
                "status_callback_method": "POST",
                "status_callback_event": list(status_events),
            }
        return await self._create(self._client.calls.create, kwargs)

    async def sent_bodies(self, *, to: str, since: datetime) -> list[tuple[Sent, str]]:
        """Messages already sent to `to` since `since` (by day, as Twilio filters), with bodies."""
        try:
            found = await asyncio.to_thread(
                self._client.messages.list, to=to, date_sent_after=since, limit=50
            )
        except TwilioException as exc:
            raise TwilioApiError(str(exc), code=None, status=getattr(exc, "status", None)) from None
        except OSError as exc:
            raise TwilioApiError(
                f"Twilio API unreachable: {type(exc).__name__}", code=None, status=None
            ) from None
        return [(Sent(str(m.sid), str(m.status or "sent")), str(m.body or "")) for m in found]

    async def _create(self, create: Any, kwargs: dict[str, Any]) -> Sent:
        try:
            # requests blocks: keep it off the event loop.
            resource = await asyncio.to_thread(create, **kwargs)
        except TwilioException as exc:
            code = getattr(exc, "code", None)
            status = getattr(exc, "status", None)
            detail = getattr(exc, "msg", None) or getattr(exc, "title", None) or type(exc).__name__
            raise TwilioApiError(
                str(detail), code=int(code) if code else None, status=status
            ) from None
        except OSError as exc:  # requests' ConnectionError and timeouts are OSErrors
            raise TwilioApiError(
                f"Twilio API unreachable: {type(exc).__name__}", code=None, status=None
            ) from None
        return Sent(str(resource.sid), str(resource.status or "queued"))

    def close(self) -> None:
        self._http.close()


@dataclass(frozen=True, slots=True)
class Approval:
    status: str  # unsubmitted, received, pending, approved, rejected, paused, disabled
    rejection_reason: str | None = None


class TwilioContent:
    """Twilio's Content API: create content, submit it for WhatsApp approval, read approval."""

    def __init__(self, account_sid: str, auth_token: str, base_url: str) -> None:
        self._http = BaseUrlHttpClient(base_url)
        self._client: Any = Client(account_sid, auth_token, http_client=self._http)

    async def create(
        self,
        *,
        friendly_name: str,
        language: str,
        variables: Mapping[str, str],
        types: Mapping[str, Any],
    ) -> str:
        """A new Content resource; returns its SID (HX...)."""
        from twilio.rest.content.v1.content import ContentList  # noqa: PLC0415

        request = ContentList.ContentCreateRequest(
            {
                "friendly_name": friendly_name,
                "language": language,
                "variables": dict(variables),
                "types": dict(types),
            }
        )
        created = await self._call(self._client.content.v1.contents.create, request)
        return str(created.sid)

    async def submit(self, sid: str, *, name: str, category: str) -> Approval:
        """Ask WhatsApp to approve this content as a template."""
        from twilio.rest.content.v1.content.approval_create import (  # noqa: PLC0415
            ApprovalCreateList,
        )

        request = ApprovalCreateList.ContentApprovalRequest({"name": name, "category": category})
        created = await self._call(
            self._client.content.v1.contents(sid).approval_create.create, request
        )
        return Approval(str(created.status or "received"), created.rejection_reason or None)

    async def approval(self, sid: str) -> Approval:
        fetched = await self._call(self._client.content.v1.contents(sid).approval_fetch().fetch)
        whatsapp = fetched.whatsapp or {}
        return Approval(
            str(whatsapp.get("status") or "unsubmitted"), whatsapp.get("rejection_reason") or None
        )

    async def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args)
        except TwilioException as exc:
            code = getattr(exc, "code", None)
            detail = getattr(exc, "msg", None) or type(exc).__name__
            raise TwilioApiError(
                str(detail), code=int(code) if code else None, status=getattr(exc, "status", None)
            ) from None
        except OSError as exc:
            raise TwilioApiError(
                f"Twilio Content API unreachable: {type(exc).__name__}", code=None, status=None
            ) from None

    def close(self) -> None:
        self._http.close()
