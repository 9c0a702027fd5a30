"""Every response, back to the contact: drains the push outbox (scoring.response_push).

Targets: a signed webhook (SURVEYBOT_PUSH_WEBHOOK_URL), a private comment and/or custom field on
the Zendesk ticket the contact came from, a private note on the Chatwoot conversation. The send
worker (bots.worker) runs `run_once` each round. A target that fails is retried with backoff;
after SURVEYBOT_PUSH_ATTEMPTS it is a dead letter on the dashboard's *Pushes* page.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

import httpx

from bots.connectors import targets
from bots.connectors.signing import surveybot_signature
from bots.container import Container
from scoring import connector_log, response_push
from scoring.response_push import PushedResponse

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Surveybot-Signature"
TIMESTAMP_HEADER = "X-Surveybot-Timestamp"
DELIVERY_HEADER = "X-Surveybot-Delivery"  # the same for every retry: receivers dedupe on it
LEASE = timedelta(minutes=2)
TIMEOUT = httpx.Timeout(10.0)

NOTE = {
    "nl": "Klantonderzoek ({flow}): score {value} op {min}-{max}.",
    "en": "Customer survey ({flow}): score {value} on {min}-{max}.",
}
NOTE_COMMENT = {"nl": "Toelichting: “{comment}”", "en": "Comment: “{comment}”"}
NOTE_LINK = {"nl": "Bekijk het antwoord: {url}", "en": "See the answer: {url}"}


class Skip(Exception):
    """Nothing to write to on this target (the contact did not come from that platform)."""


class Failed(Exception):
    """The target refused or could not be reached; try again later."""


def response_url(public_url: str | None, response_id: int) -> str:
    return f"{public_url or ''}/admin/responses/{response_id}"


def payload(push: PushedResponse, public_url: str | None) -> dict[str, Any]:
    """The push webhook's JSON (README "Outbound: every response, back to the contact")."""
    return {
        "type": "surveybot.response",
        "id": f"response-{push.response_id}",
        "response": {
            "id": push.response_id,
            "flow": push.flow_id,
            "metric": push.metric,
            "score": push.value,
            "scale": [push.scale_min, push.scale_max],
            "comment": push.comment,
            "channel": push.channel,
            "locale": push.locale,
            "answered_at": push.answered_at.isoformat(),
        },
        "invitation": {
            "id": push.invitation_public_id,
            "interaction_id": push.interaction_id,
            "agent": push.agent,
            "team": push.team,
            "queue": push.queue,
            "journey_stage": push.journey_stage,
        },
        "links": {
            "response": response_url(public_url, push.response_id),
            "invitation": f"{public_url or ''}/api/v1/invitations/{push.invitation_public_id}",
        },
    }


def note_text(push: PushedResponse, public_url: str | None) -> str:
    """The write-back, in the survey's language (the team reads the customer's words)."""
    locale = push.locale if push.locale in NOTE else "en"
    lines = [
        NOTE[locale].format(
            flow=push.flow_id, value=push.value, min=push.scale_min, max=push.scale_max
        )
    ]
    if push.comment:
        lines.append(NOTE_COMMENT[locale].format(comment=push.comment))
    lines.append(NOTE_LINK[locale].format(url=response_url(public_url, push.response_id)))
    return "\n".join(lines)


def _refused(response: httpx.Response) -> Failed:
    text = response.text.strip().replace("\n", " ")[:120]
    return Failed(f"HTTP {response.status_code}: {text}")


class ResponsePusher:
    """Claims due pushes and sends each to its target."""

    def __init__(
        self, container: Container, *, client: httpx.AsyncClient | None = None, batch: int = 20
    ) -> None:
        self.container = container
        self.settings = container.settings
        self.batch = batch
        self._client = client
        self.enabled = bool(targets.push_targets(container.settings))

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=TIMEOUT)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def run_once(self) -> int:
        """Send one batch of due pushes; returns how many were claimed."""
        if not self.enabled:
            return 0
        db, now = self.container.db, self.container.service.clock()
        hold = timedelta(minutes=self.settings.push_hold_minutes)
        claimed = await db.run(
            response_push.claim, db.engine, now=now, lease=LEASE, hold=hold, limit=self.batch
        )
        for push in claimed:
            await self._send(push)
        return len(claimed)

    async def _send(self, push: PushedResponse) -> None:
        db, now = self.container.db, self.container.service.clock()
        try:
            if push.target == targets.WEBHOOK:
                await self._webhook(push)
            elif push.target == targets.ZENDESK:
                await self._zendesk(push)
            elif push.target == targets.CHATWOOT:
                await self._chatwoot(push)
            else:
                raise Skip(f"target '{push.target}' is not configured any more")
        except Skip as exc:
            await db.run(response_push.mark_skipped, db.engine, push.push_id, str(exc))
            return
        except (Failed, httpx.HTTPError) as exc:
            why = str(exc) or type(exc).__name__
            state = await db.run(
                response_push.mark_failed,
                db.engine,
                push.push_id,
                attempts=push.attempts,
                max_attempts=self.settings.push_attempts,
                why=why,
                now=now,
            )
            log.warning(
                "push of response %d to %s failed (%s): %s",
                push.response_id,
                push.target,
                state,
                why,
            )
            return
        await db.run(response_push.mark_sent, db.engine, push.push_id, now)

    async def _webhook(self, push: PushedResponse) -> None:
        url = self.settings.push_webhook_url
        if not url:
            raise Skip("SURVEYBOT_PUSH_WEBHOOK_URL is not set any more")
        body = json.dumps(payload(push, self.settings.public_url), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            DELIVERY_HEADER: f"response-{push.response_id}",
        }
        secret = self.settings.push_webhook_secret
        if secret is not None:
            stamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = stamp
            headers[SIGNATURE_HEADER] = surveybot_signature(secret.get_secret_value(), stamp, body)
        response = await self.client.post(url, content=body, headers=headers)
        if not response.is_success:
            raise _refused(response)

    async def _source(self, push: PushedResponse, connector: str) -> str:
        db = self.container.db
        ref = await db.run(connector_log.source_of, db.engine, push.invitation_id, connector)
        if not ref:
            raise Skip(f"the contact did not come from {connector}")
        return ref

    async def _zendesk(self, push: PushedResponse) -> None:
        settings = self.settings
        ticket = await self._source(push, "zendesk")
        token = settings.zendesk_api_token
        if not (settings.zendesk_api_url and settings.zendesk_email and token):
            raise Skip("the Zendesk API is not configured any more")
        auth = (f"{settings.zendesk_email}/token", token.get_secret_value())
        base = f"{settings.zendesk_api_url}/api/v2/tickets/{ticket}"
        if push.interrupted and await self._zendesk_has_note(base, auth, push):
            return  # the worker before us wrote it and stopped before recording that
        changes: dict[str, Any] = {}
        if settings.zendesk_comment:
            text = note_text(push, settings.public_url)
            changes["comment"] = {"body": text, "public": False}
        if settings.zendesk_score_field_id is not None:
            changes["custom_fields"] = [
                {"id": settings.zendesk_score_field_id, "value": push.value}
            ]
        # One update carries both, so a retry never leaves half of it behind.
        response = await self.client.put(f"{base}.json", json={"ticket": changes}, auth=auth)
        if response.status_code == 404:
            raise Skip(f"Zendesk has no ticket {ticket} any more")
        if not response.is_success:
            raise _refused(response)

    async def _zendesk_has_note(
        self, base: str, auth: tuple[str, str], push: PushedResponse
    ) -> bool:
        """Does the ticket already carry this response's comment (its link is the marker)?"""
        if not self.settings.zendesk_comment:
            return False  # a custom field written twice holds the same value
        response = await self.client.get(f"{base}/comments.json", auth=auth)
        if response.status_code == 404:
            raise Skip("Zendesk has no such ticket any more")
        if not response.is_success:
            raise _refused(response)
        marker = response_url(self.settings.public_url, push.response_id)
        comments = response.json().get("comments") or []
        return any(marker in str(comment.get("body", "")) for comment in comments)

    async def _chatwoot(self, push: PushedResponse) -> None:
        settings = self.settings
        ref = await self._source(push, "chatwoot")
        token = settings.chatwoot_api_token
        if not (settings.chatwoot_api_url and token):
            raise Skip("the Chatwoot API is not configured any more")
        account, _, conversation = ref.partition("/")
        url = (
            f"{settings.chatwoot_api_url}/api/v1/accounts/{account}/conversations/"
            f"{conversation}/messages"
        )
        headers = {"api_access_token": token.get_secret_value()}
        if push.interrupted and await self._chatwoot_has_note(url, headers, push):
            return  # the worker before us wrote it and stopped before recording that
        response = await self.client.post(
            url,
            json={
                "content": note_text(push, settings.public_url),
                "message_type": "outgoing",
                "private": True,
            },
            headers=headers,
        )
        if response.status_code == 404:
            raise Skip(f"Chatwoot has no conversation {conversation} any more")
        if not response.is_success:
            raise _refused(response)

    async def _chatwoot_has_note(
        self, url: str, headers: dict[str, str], push: PushedResponse
    ) -> bool:
        """Does the conversation already carry this response's note (its link is the marker)?"""
        response = await self.client.get(url, headers=headers)
        if response.status_code == 404:
            raise Skip("Chatwoot has no such conversation any more")
        if not response.is_success:
            raise _refused(response)
        marker = response_url(self.settings.public_url, push.response_id)
        messages = response.json().get("payload") or []
        return any(
            message.get("private") and marker in str(message.get("content", ""))
            for message in messages
        )
