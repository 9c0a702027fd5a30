"""Building the python-telegram-bot `Bot`, and reading the errors it raises."""

from __future__ import annotations

import os
import warnings
from datetime import timedelta

from telegram import Bot
from telegram.error import Forbidden, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bots.telegram.transport import AiohttpRequest
from bots.telegram.urls import bot_api_url

# Long polls hold a connection for this long; the HTTP read timeout must outlast it.
LONG_POLL_SECONDS = 30
# Bot API calls in flight at once, each on its own keep-alive connection (the outbox queues the
# rest). Messages are paced to ~30 a second anyway; the edits after taps are not, and on a busy
# event loop each call waits a few loop turns for its answer: with a handful of connections the
# edits fell behind the answers they confirm.
MAX_IN_FLIGHT = 64


def build_bot(token: str, base_url: str | None = None) -> Bot:
    """A Bot for the official Bot API, or for `base_url` (a self-hosted Bot API server).

    `base_url` follows PTB: the token is appended ("http://host:8081/bot" -> ".../bot<token>"),
    unless the string holds a `{token}` placeholder (see `bot_api_url`, shared with the alerts).
    """
    # PTB 22 reads its own deprecated int-valued `RetryAfter.retry_after` while building the
    # exception, which warns on every 429 (and fails a test run where warnings are errors).
    # Opting in to the coming timedelta behaviour, as PTB suggests, is the way to silence it.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    # Timeouts generous enough that a slow Bot API answer is not mistaken for a lost message:
    # a timed-out sendMessage may still have been delivered, and we never resend one.
    request = AiohttpRequest(
        connection_pool_size=MAX_IN_FLIGHT,
        connect_timeout=5.0,
        read_timeout=15.0,
        pool_timeout=30.0,
    )
    updates_request = AiohttpRequest(connection_pool_size=1, read_timeout=LONG_POLL_SECONDS + 10.0)
    return Bot(
        token,
        base_url=lambda given: bot_api_url(given, base_url),
        request=request,
        get_updates_request=updates_request,
    )


def retry_after_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait, in seconds.

    A timedelta with PTB_TIMEDELTA set (see build_bot), a number otherwise, with a warning
    that is not ours to show; either way, seconds here.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def is_blocked(exc: Exception) -> bool:
    """403 "bot was blocked by the user": the customer said no; we record an opt-out."""
    return isinstance(exc, Forbidden) and "blocked" in exc.message.lower()
