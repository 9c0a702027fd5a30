"""Emoji beside an answer that are not the scale's own: praise, complaint, neutral or unknown.

Scale emoji are read as points by `label_match.take_emoji`. What is left is accounted for here,
as words are in `accounting`: the lists in `scoring/lexicons/emoji.toml` say what each emoji
does, and any other pictograph makes the answer invalid rather than being dropped unread.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache

from scoring.lexicon import LEXICON_DIR

PRAISE, COMPLAINT, NEUTRAL = "praise emoji", "complaint emoji", "neutral emoji"
# Pictographs outside the "So" category: the emoji blocks of the supplementary planes.
_EMOJI_BLOCKS = ((0x1F000, 0x1FAFF),)
_SKIN_TONES = (0x1F3FB, 0x1F3FF)


@dataclass(frozen=True, slots=True)
class Emoji:
    """The emoji of an answer with their parts, or why one of them cannot be read."""

    roles: tuple[tuple[str, str], ...]
    praise: str | None
    complaint: str | None
    problem: str | None


_NONE = Emoji((), None, None, None)


@cache
def _roles() -> dict[str, str]:
    raw = tomllib.loads((LEXICON_DIR / "emoji.toml").read_text("utf-8"))
    found: dict[str, str] = {}
    for key, role in (("neutral", NEUTRAL), ("praise", PRAISE), ("complaint", COMPLAINT)):
        for emoji in raw.get(key, []):
            found[emoji] = role
    return found


def _is_pictograph(char: str) -> bool:
    if char.isascii():
        return False
    code = ord(char)
    return unicodedata.category(char) == "So" or any(lo <= code <= hi for lo, hi in _EMOJI_BLOCKS)


def take_other_emoji(cleaned: str) -> tuple[Emoji, str]:
    """The emoji left in the cleaned text and their parts, and the text with them blanked out."""
    if cleaned.isascii():
        return _NONE, cleaned
    roles = _roles()
    found: list[tuple[str, str]] = []
    chars = list(cleaned)
    for i, char in enumerate(chars):
        if _SKIN_TONES[0] <= ord(char) <= _SKIN_TONES[1]:
            chars[i] = " "  # "👍🏽" is "👍"
            continue
        if not _is_pictograph(char):
            continue
        role = roles.get(char)
        if role is None:
            return Emoji(
                (), None, None, f"unknown emoji or symbol '{char}' may change the answer"
            ), cleaned
        chars[i] = " "
        found.append((char, role))
    praise = next((e for e, r in found if r == PRAISE), None)
    complaint = next((e for e, r in found if r == COMPLAINT), None)
    return Emoji(tuple(found), praise, complaint, None), "".join(chars)
