"""Which targets every response is pushed to, from the settings alone (the store queues them)."""

from __future__ import annotations

from bots.settings import Settings

WEBHOOK, ZENDESK, CHATWOOT = "webhook", "zendesk", "chatwoot"


def zendesk_writes(settings: Settings) -> bool:
    return bool(
        settings.zendesk_api_url
        and settings.zendesk_email
        and settings.zendesk_api_token
        and (settings.zendesk_comment or settings.zendesk_score_field_id is not None)
    )


def chatwoot_writes(settings: Settings) -> bool:
    return bool(
        settings.chatwoot_api_url and settings.chatwoot_api_token and settings.chatwoot_note
    )


def push_targets(settings: Settings) -> tuple[str, ...]:
    """Every configured target; a response from elsewhere is skipped by the platform's own."""
    targets = []
    if settings.push_webhook_url:
        targets.append(WEBHOOK)
    if zendesk_writes(settings):
        targets.append(ZENDESK)
    if chatwoot_writes(settings):
        targets.append(CHATWOOT)
    return tuple(targets)
