"""Raw answer text to tokens: Unicode clean-up, keycaps, case and accent folding, tokenising."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, NamedTuple

TokenKind = Literal["num", "word", "sym"]

# "7️⃣" is 7 + VS16 + COMBINING ENCLOSING KEYCAP; people also type "1️⃣0️⃣" for ten, so no spaces.
_KEYCAP = re.compile("([0-9#*])\ufe0f?\u20e3")
_KEYCAP_TEN = "\U0001f51f"  # 🔟
# Format characters (zero-width spaces, joiners, direction marks, BOM) and variation selectors
# only change how text looks; dropping them makes "⭐️" and "⭐" the same star.
_VARIATION_SELECTORS = frozenset({"\ufe0e", "\ufe0f"})
_APOSTROPHES = re.compile("['\u2018\u2019\u02bc`\u00b4]")
_TOKEN = re.compile(r"(\d+)|([^\W\d_]+)|(\S)")


class Token(NamedTuple):
    """One token of an answer (a tuple: tokens are made by the thousand per second).

    `text` keeps accents because text2num needs them ("tweeëntwintig", "één"); `folded` drops
    them because people type labels without them ("oke" for "oké").
    """

    kind: TokenKind
    text: str
    folded: str
    spaced: bool  # whitespace (or the start of the answer) right before this token


def has_fraction_char(text: str) -> bool:
    """True for "½", "⅞" and friends: NFKC would turn "8½" into 81, a slash and 2."""
    for char in text:
        if char.isascii():
            continue
        value = unicodedata.numeric(char, None)
        if value is not None and value != int(value):
            return True
    return False


def _ascii_digit(char: str) -> str:
    # Arabic-Indic, Devanagari, ... decimal digits are still digits; NFKC leaves them alone.
    if char.isdecimal() and not char.isascii():
        return str(unicodedata.decimal(char, 0))
    return char


def clean(text: str) -> str:
    """Keycaps and Unicode digits to ASCII, invisible characters out, NFKC, casefolded."""
    text = _KEYCAP.sub(r"\1", text).replace(_KEYCAP_TEN, " 10 ")
    if not text.isascii():
        text = "".join(
            " "
            if unicodedata.category(c) == "Cc"
            else ""
            if c in _VARIATION_SELECTORS or unicodedata.category(c) == "Cf"
            else c
            for c in text
        )
        text = unicodedata.normalize("NFKC", text)
        text = "".join(_ascii_digit(c) for c in text)
    else:
        text = "".join(" " if c < " " or c == "\x7f" else c for c in text)
    return text.casefold()


def fold(text: str) -> str:
    """Strip accents: "één" -> "een", "oké" -> "oke"."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokenise(cleaned: str) -> list[Token]:
    """Split cleaned text into numbers, words and single symbols, remembering spacing."""
    cleaned = _APOSTROPHES.sub("", cleaned)  # "don't" -> "dont", "sms'en" -> "smsen"
    tokens: list[Token] = []
    previous_end = 0
    for match in _TOKEN.finditer(cleaned):
        num, word, _sym = match.groups()
        kind: TokenKind = "num" if num else "word" if word else "sym"
        text = match.group()
        spaced = match.start() == 0 or match.start() > previous_end
        tokens.append(Token(kind, text, fold(text) if kind == "word" else text, spaced))
        previous_end = match.end()
    return tokens


def phrase_key(phrase: str) -> tuple[str, ...]:
    """The folded word and number tokens of a label, for matching against answers."""
    return tuple(t.folded for t in tokenise(clean(phrase)) if t.kind != "sym")
