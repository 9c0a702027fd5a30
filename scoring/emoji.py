"""Emoji beside an answer that are not the scale's own: praise, complaint, neutral or unknown.

Scale emoji are read as points by `label_match.take_emoji`. What is left, typed emoticons
(":)", ":-(") included, is accounted for here as words are in `accounting`: the lists in
`scoring/lexicons/emoji.toml` say what each one does, and any other pictograph makes the answer
invalid rather than being dropped unread.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache

from scoring.lexicon import LEXICON_DIR

PRAISE, COMPLAINT, NEUTRAL = "praise emoji", "complaint emoji", "neutral emoji"
UNCLEAR = "unclear emoticon"
# Every typed emoticon has one of these; an answer without any skips the emoticon pass.
_EMOTICON_CHARS = frozenset(":;=<^(_")
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


@cache
def _emoticons() -> tuple[re.Pattern[str], dict[str, str]]:
    raw = tomllib.loads((LEXICON_DIR / "emoji.toml").read_text("utf-8"))
    found: dict[str, str] = {}
    for key, role in (
        ("emoticon_praise", PRAISE),
        ("emoticon_complaint", COMPLAINT),
        ("emoticon_unclear", UNCLEAR),
    ):
        for emoticon in raw.get(key, []):
            found[emoticon] = role
    alternatives = "|".join(re.escape(e) for e in sorted(found, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"), found


def _take_emoticons(cleaned: str, found: list[tuple[str, str]]) -> tuple[str | None, str]:
    pattern, roles = _emoticons()
    problem: str | None = None

    def blank(match: re.Match[str]) -> str:
        nonlocal problem
        role = roles[match.group()]
        if role == UNCLEAR:
            problem = problem or f"emoticon '{match.group()}' leaves the answer unclear"
        found.append((match.group(), role))
        return " "

    cleaned = pattern.sub(blank, cleaned)
    return problem, cleaned


def _is_pictograph(char: str) -> bool:
    if char.isascii():
        return False
    code = ord(char)
    return unicodedata.category(char) == "So" or any(lo <= code <= hi for lo, hi in _EMOJI_BLOCKS)


def take_other_emoji(cleaned: str) -> tuple[Emoji, str]:
    """The emoji left in the cleaned text and their parts, and the text with them blanked out."""
    found: list[tuple[str, str]] = []
    if any(c in cleaned for c in _EMOTICON_CHARS):
        problem, cleaned = _take_emoticons(cleaned, found)
        if problem:
            return Emoji((), None, None, problem), cleaned
    elif cleaned.isascii():
        return _NONE, cleaned
    roles = _roles()
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
