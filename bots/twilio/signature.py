"""X-Twilio-Signature, checked from the already parsed form in one pass.

Twilio signs the URL followed by every POST parameter, names sorted, each name followed by each
of its values (sorted, a repeated identical value once), with HMAC-SHA1 under the auth token,
base64-encoded. `RequestValidator` does the same but asks the form for each name's values in
turn, by an attribute it first tries and fails to find, and scans every pair per name; here the
pairs are grouped once. tests/unit/test_twilio_signature.py holds it to RequestValidator's verdict
over fuzzed bodies.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit


def signing_text(url: str, pairs: Sequence[tuple[str, str]]) -> str:
    """The string Twilio signs for this URL and these form pairs."""
    first: dict[str, str] = {}
    repeated: dict[str, set[str]] | None = None
    for name, value in pairs:
        seen = first.setdefault(name, value)
        if seen is not value and seen != value:
            if repeated is None:
                repeated = {}
            repeated.setdefault(name, {seen}).add(value)
    parts = [url]
    for name in sorted(first):
        values = repeated.get(name) if repeated is not None else None
        if values is None:
            parts += (name, first[name])
        else:
            for value in sorted(values):
                parts += (name, value)
    return "".join(parts)


@functools.lru_cache(maxsize=4)
def _key(auth_token: str) -> bytes:
    return auth_token.encode()


def _digest(auth_token: str, text: str) -> bytes:
    mac = hmac.new(_key(auth_token), text.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest())


def signature_is_valid(
    auth_token: str, url: str, pairs: Sequence[tuple[str, str]], signature: str
) -> bool:
    """Twilio's check, compared in constant time.

    Twilio signs the URL either with or without an explicit port, so both are accepted, as
    RequestValidator.validate does. The URL as we have it is tried first (it is the one Twilio
    was given, port and all, in every set-up we know of); the other form is computed only when
    that one does not match (half the HMAC work on every accepted request).
    """
    given = signature.encode()
    parts = urlsplit(url)
    # Every part after the URL is the same for both forms: join it once.
    tail = signing_text("", pairs)
    if hmac.compare_digest(_digest(auth_token, url + tail), given):
        return True
    if parts.port:
        other = urlunsplit(parts._replace(netloc=parts.netloc.split(":")[0]))
    else:
        default_port = 443 if parts.scheme == "https" else 80
        other = urlunsplit(parts._replace(netloc=f"{parts.netloc}:{default_port}"))
    return hmac.compare_digest(_digest(auth_token, other + tail), given)
