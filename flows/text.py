"""Inbound text every store can hold, whichever channel it came from."""

from __future__ import annotations

import re

# PostgreSQL refuses NUL in text columns and a UTF-8 encoder refuses lone surrogates (JSON's
# "\ud800" decodes to one); SQLite takes both. A space keeps "1\x000" from reading as "10".
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: str) -> str:
    """`value` without NUL characters (each becomes a space) or lone surrogates (U+FFFD)."""
    if value.isascii():
        return value.replace("\x00", " ") if "\x00" in value else value
    return _UNSTORABLE.sub(_replacement, value)


def _replacement(match: re.Match[str]) -> str:
    return " " if match.group() == "\x00" else "\ufffd"
