"""Dashboard sign-in: the API token once, then a signed HttpOnly, SameSite=Strict cookie.

The cookie carries the role, an expiry and a session id, MAC'd with a key derived from the
secret key and that role's current token: rotating a token signs every session of that role
out. The session itself lives in the database (by a hash of its id), so signing out ends it at
once on every instance. Forms that change state carry a CSRF token bound to the session cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from bots.api.deps import Role
from bots.settings import Settings

COOKIE = "surveybot_session"
SESSION_SECONDS = 12 * 3600


def _token(settings: Settings, role: Role) -> str | None:
    return settings.role_token(role.value)


def _key(settings: Settings, role: Role) -> bytes:
    token = _token(settings, role) or ""
    return hashlib.sha256(f"{settings.secret()}|{role.value}|{token}".encode()).digest()


def role_for_token(settings: Settings, given: str) -> Role | None:
    for role in (Role.ADMIN, Role.VIEWER):
        expected = _token(settings, role)
        if expected and hmac.compare_digest(given.encode(), expected.encode()):
            return role
    return None


def issue(settings: Settings, role: Role, now: float | None = None) -> str:
    expires = int((now or time.time()) + SESSION_SECONDS)
    body = f"{role.value}.{expires}.{secrets.token_urlsafe(24)}"
    mac = hmac.new(_key(settings, role), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def verify(settings: Settings, cookie: str | None, now: float | None = None) -> Role | None:
    """The session's role, or None when the cookie is missing, forged, stale or revoked."""
    if not cookie:
        return None
    parts = cookie.split(".")
    if len(parts) != 4:
        return None
    role_name, expires, _nonce, mac = parts
    try:
        role = Role(role_name)
        expired = int(expires) < (now or time.time())
    except ValueError:
        return None
    if expired or not _token(settings, role):
        return None
    body = cookie.rsplit(".", 1)[0]
    expected = hmac.new(_key(settings, role), body.encode(), hashlib.sha256).hexdigest()
    return role if hmac.compare_digest(mac, expected) else None


def session_hash(cookie: str) -> str:
    """The key of the cookie's server-side session: a hash, so the table holds no live ids."""
    return hashlib.sha256(cookie.split(".")[2].encode()).hexdigest()


def expires_at(cookie: str) -> int:
    return int(cookie.split(".")[1])


def csrf_token(settings: Settings, cookie: str) -> str:
    return hmac.new(settings.secret().encode(), b"csrf:" + cookie.encode(), "sha256").hexdigest()


def csrf_ok(settings: Settings, cookie: str | None, given: str | None) -> bool:
    if not cookie or not given:
        return False
    return hmac.compare_digest(csrf_token(settings, cookie), given)
