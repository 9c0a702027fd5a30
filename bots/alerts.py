"""Detractor alerts: deliver queued alert events to a signed webhook and a Telegram admin chat.

The survey transaction only queues (see scoring.cases); this loop sends. Each target keeps its
own delivery state, so a Telegram outage does not resend the webhook, and a failed send is
retried with backoff until it goes through: nothing is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import APIRouter

from bots.container import Container
from bots.telegram.urls import bot_api_url
from flows.ports import Sender
from scoring import cases
from scoring.cases import PendingAlert

log = logging.getLogger(__name__)

REPLAY_WINDOW = timedelta(days=7)  # on start-up, undelivered alerts this recent are still sent
SIGNATURE_HEADER = "X-Surveybot-Signature"
TIMESTAMP_HEADER = "X-Surveybot-Timestamp"

Send = Callable[[PendingAlert], Awaitable[None]]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "timestamp.body", as `sha256=<hex>`; receivers recompute and compare."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def response_link(public_url: str | None, response_id: int) -> str:
    return f"{public_url or ''}/admin/responses/{response_id}"


def payload(alert: PendingAlert, public_url: str | None) -> dict[str, Any]:
    return {
        "type": "surveybot.alert",
        "kind": alert.kind,
        "case": {
            "id": alert.case_id,
            "status": alert.case_status,
            "due_at": alert.due_at.isoformat(),
        },
        "response": {
            "id": alert.response_id,
            "flow": alert.flow_id,
            "score": alert.value,
            "scale": [alert.scale_min, alert.scale_max],
            "agent": alert.agent,
            "team": alert.team,
            "channel": alert.channel,
            "comment": alert.comment,
            "answered_at": alert.answered_at.isoformat(),
            "url": response_link(public_url, alert.response_id),
        },
    }


TEXTS = {
    "nl": {
        "score": "⚠️ Lage score {value}/{max} ({flow})",
        "comment": "💬 Toelichting bij score {value}/{max} ({flow})",
        "who": "Medewerker: {agent} · team: {team} · kanaal: {channel}",
        "due": "Neem contact op vóór {due}",
    },
    "en": {
        "score": "⚠️ Low score {value}/{max} ({flow})",
        "comment": "💬 Comment on score {value}/{max} ({flow})",
        "who": "Agent: {agent} · team: {team} · channel: {channel}",
        "due": "Contact the customer before {due}",
    },
}


def telegram_text(
    alert: PendingAlert, locale: str, public_url: str | None, tz: ZoneInfo | None = None
) -> str:
    """The alert as a person reads it: times in the report time zone, as on the dashboard."""
    t = TEXTS.get(locale, TEXTS["en"])
    head = t["comment" if alert.kind == cases.AlertKind.COMMENT else "score"]
    lines = [
        head.format(value=alert.value, max=alert.scale_max, flow=alert.flow_id),
        t["who"].format(agent=alert.agent or "-", team=alert.team or "-", channel=alert.channel),
    ]
    if alert.comment:
        lines.append(f"“{alert.comment}”")
    due = alert.due_at.astimezone(tz or UTC)
    lines.append(t["due"].format(due=f"{due:%Y-%m-%d %H:%M} {due.tzname()}"))
    lines.append(response_link(public_url, alert.response_id))
    return "\n".join(lines)


class AlertDeliverer:
    """Polls the outbox and sends each due alert to every configured target."""

    def __init__(
        self,
        container: Container,
        *,
        client: httpx.AsyncClient | None = None,
        interval: float = 1.0,
    ) -> None:
        self.container = container
        self.settings = container.settings
        self.interval = interval
        self._client = client
        self._owns_client = client is None
        self._task: asyncio.Task[None] | None = None
        self.targets: dict[str, Send] = {}
        if self.settings.alert_webhook_url:
            self.targets["webhook"] = self._send_webhook
        if self.settings.alert_telegram_chat_id and self.settings.telegram_bot_token:
            self.targets["telegram"] = self._send_telegram

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10.0)
        return self._client

    async def _send_webhook(self, alert: PendingAlert) -> None:
        url = self.settings.alert_webhook_url
        assert url is not None  # noqa: S101
        body = json.dumps(payload(alert, self.settings.public_url)).encode()
        headers = {"Content-Type": "application/json"}
        secret = self.settings.alert_webhook_secret
        if secret is not None:
            stamp = str(int(time.time()))
            headers |= {
                TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: sign(secret.get_secret_value(), stamp, body),
            }
        reply = await self.client.post(url, content=body, headers=headers)
        reply.raise_for_status()

    async def _send_telegram(self, alert: PendingAlert) -> None:
        token = self.settings.telegram_bot_token
        assert token is not None  # noqa: S101
        base = bot_api_url(token.get_secret_value().strip(), self.settings.telegram_api_base_url)
        text = telegram_text(
            alert,
            self.settings.default_locale,
            self.settings.public_url,
            ZoneInfo(self.settings.report_timezone),
        )
        reply = await self.client.post(
            f"{base}/sendMessage",
            json={"chat_id": self.settings.alert_telegram_chat_id, "text": text},
        )
        reply.raise_for_status()

    def _due(self, target: str, now: datetime) -> list[PendingAlert]:
        return self.container.cases.due_alerts(target, now, since=now - REPLAY_WINDOW)

    def _record(self, event_id: int, target: str, error: str | None) -> None:
        self.container.cases.record_attempt(event_id, target, datetime.now(UTC), error)

    async def run_once(self) -> int:
        """Send everything due now; returns how many sends succeeded."""
        sent = 0
        for target, send in self.targets.items():
            for alert in await self.container.db.run(self._due, target, datetime.now(UTC)):
                error: str | None = None
                try:
                    await send(alert)
                except (httpx.HTTPError, OSError) as exc:
                    # Never str(exc): httpx quotes the URL, and the Telegram one holds the token.
                    error = _describe(exc)
                    log.warning("alert %s to %s failed: %s", alert.event_id, target, error)
                await self.container.db.run(self._record, alert.event_id, target, error)
                sent += error is None
        return sent

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the loop must outlive a bad moment (database restart, ...)
                log.exception("alert delivery round failed; retrying")
            await asyncio.sleep(self.interval)

    # -- the plug-in interface the app starts and stops -----------------------------------

    name = "alerts"

    def senders(self) -> Mapping[str, Sender]:
        return {}

    def router(self) -> APIRouter | None:
        return None

    async def start(self) -> None:
        if self.targets:
            self._task = asyncio.create_task(self._loop(), name="surveybot-alerts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._owns_client and self._client is not None:
            await self._client.aclose()


def _describe(exc: Exception) -> str:
    """What went wrong, without the request URL (it can carry a bot token or a secret)."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__
