"""Signature checks of the platforms' webhooks, each as its platform documents it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

# Our own scheme (the generic webhook in, every push out): a signed timestamp this recent.
MAX_SKEW_SECONDS = 300


def surveybot_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 over "<timestamp>.<body>" (as the alert webhook signs)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def fresh(timestamp: str, now: float | None = None) -> bool:
    if not timestamp.isdigit():
        return False
    return abs((now if now is not None else time.time()) - int(timestamp)) <= MAX_SKEW_SECONDS


def surveybot_valid(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    expected = surveybot_signature(secret, timestamp, body)
    return fresh(timestamp) and hmac.compare_digest(expected.encode(), signature.encode())


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Zendesk: base64(HMAC-SHA256(secret, timestamp + body)), no separator."""
    mac = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def zendesk_valid(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    expected = zendesk_signature(secret, timestamp, body)
    return bool(timestamp) and hmac.compare_digest(expected.encode(), signature.encode())


def chatwoot_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Chatwoot: `sha256=` + hex HMAC-SHA256(secret, "<timestamp>.<body>")."""
    return surveybot_signature(secret, timestamp, body)


def chatwoot_valid(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    expected = chatwoot_signature(secret, timestamp, body)
    return fresh(timestamp) and hmac.compare_digest(expected.encode(), signature.encode())
