"""The Bot API's URLs, built one way for the channel's PTB `Bot` and for the alert sender."""

from __future__ import annotations

import re

OFFICIAL_BASE_URL = "https://api.telegram.org/bot"
# PTB's own placeholder names for the token inside a base URL.
_TOKEN_PLACEHOLDER = re.compile(r"\{(?:bot[_-])?token\}", re.IGNORECASE)


def bot_api_url(token: str, base_url: str | None = None) -> str:
    """The URL the Bot API's methods hang off, ".../bot<token>" (append "/sendMessage").

    `base_url` is TELEGRAM_API_BASE_URL in PTB's form: the token is appended
    ("http://host:8081/bot" -> "http://host:8081/bot<token>"), or put where `{token}` stands.
    """
    template = (base_url or OFFICIAL_BASE_URL).strip()
    if _TOKEN_PLACEHOLDER.search(template):
        return _TOKEN_PLACEHOLDER.sub(lambda _: token, template).rstrip("/")
    return template + token
