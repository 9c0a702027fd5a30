"""The Bot API URL, one rule for the channel and the alerts (PTB's rule for `base_url`)."""

from __future__ import annotations

import pytest

from bots.telegram.client import build_bot
from bots.telegram.urls import bot_api_url

TOKEN = "123:abc"


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        (None, "https://api.telegram.org/bot123:abc"),
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/bot123:abc"),
        ("http://host/custom/bot{token}/", "http://host/custom/bot123:abc"),
        ("http://host/bot{TOKEN}", "http://host/bot123:abc"),
    ],
)
def test_the_token_goes_where_the_readme_says(base_url: str | None, expected: str) -> None:
    """Appended to a plain base URL, or put in place of `{token}`; never doubled."""
    assert bot_api_url(TOKEN, base_url) == expected
    assert build_bot(TOKEN, base_url).base_url == expected
