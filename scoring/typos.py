"""Bounded typo correction: elongations, glued intensifiers and one-edit slips of known words.

Only a word that is unknown as typed is corrected, and only when exactly one known word fits:
- a letter run stretched ("tieeen", "zeeer", "goood") or a doubled consonant ("verry",
  "aggree") is collapsed to a known word;
- an intensifier glued to a label ("supertevreden", "keigoed") is split off;
- one edit (a letter wrong, missing, extra, or two letters swapped) of a label or number word
  of 5+ letters, keeping the first letter ("tevreen", "satisfid", "zevne"), and never a real
  word from the lexicon's `not_typos` ("tegen" is not "negen", "there" is not "three").

The edit distance is rapidfuzz's optimal string alignment (Levenshtein plus transpositions), a
well-kept C implementation, so a customer's "zevne" costs microseconds.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA

from scoring.answer_tokens import Token
from scoring.lexicon import Lexicon

MIN_TYPO_CHARS = 5  # shorter words have too many one-edit neighbours ("for", "ate", "tenn")
_RUN = re.compile(r"([a-z])\1+")
_VOWELS = frozenset("aeiou")
_MAX_RUNS = 4  # more stretched runs than this is not a word worth guessing at

NUMBER_WORDS = (
    "nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien",
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
)  # fmt: skip

Known = Callable[[str], bool]


def _collapsed(word: str) -> set[str]:
    """Every spelling with stretched runs shortened: "zeeer" -> {"zer", "zeer"}."""
    runs = [m for m in _RUN.finditer(word) if len(m.group()) > 2 or m.group(1) not in _VOWELS]
    if not runs or len(runs) > _MAX_RUNS:
        return set()
    options: list[tuple[str, ...]] = []
    for m in runs:
        letter, size = m.group(1), len(m.group())
        # A vowel pair is often right ("zeer", "twee"); a doubled consonant only collapses.
        keep = (1, 2) if size > 2 and letter in _VOWELS else (1, 2) if size > 2 else (1,)
        options.append(tuple(letter * k for k in keep))
    found: set[str] = set()
    for choice in itertools.product(*options):
        parts: list[str] = []
        last = 0
        for m, repl in zip(runs, choice, strict=True):
            parts.extend((word[last : m.start()], repl))
            last = m.end()
        parts.append(word[last:])
        candidate = "".join(parts)
        if candidate != word:
            found.add(candidate)
    return found


def correct_word(
    word: str, known: Known, labels: frozenset[str], targets: Sequence[str], lex: Lexicon
) -> str | None:
    """The one known word an unknown `word` was meant to be, or None."""
    fits = {c for c in _collapsed(word) if known(c)}
    # "meee" fits "mee" (a label word) and "me" (a filler): the label word is the answer's.
    label_fits = fits & labels
    if len(label_fits) == 1:
        return label_fits.pop()
    if len(fits) == 1:
        return fits.pop()
    if fits or len(word) < MIN_TYPO_CHARS or word in lex.not_typos:
        return None
    hits = process.extract(word, targets, scorer=OSA.distance, score_cutoff=1, limit=None)
    close = {hit[0] for hit in hits if hit[0][0] == word[0]}
    return close.pop() if len(close) == 1 else None


def split_glued(word: str, labels: frozenset[str], lex: Lexicon) -> tuple[str, str] | None:
    """("super", "tevreden") for "supertevreden", when the rest is a label word."""
    for prefix in lex.glued_intensify:
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= 3 and rest in labels:
            return prefix, rest
    return None


def correct_tokens(
    tokens: list[Token], known: Known, labels: frozenset[str], targets: Sequence[str], lex: Lexicon
) -> tuple[list[Token], list[str]]:
    """The tokens with unknown words corrected, and a note per correction for the explanation."""
    notes: list[str] = []
    out: list[Token] = []
    for token in tokens:
        word = token.folded
        if token.kind != "word" or known(word):
            out.append(token)
            continue
        glued = split_glued(word, labels, lex)
        if glued is not None:
            out.append(Token("word", glued[0], glued[0], token.spaced))
            out.append(Token("word", glued[1], glued[1], True))
            notes.append(f"'{token.text}' read as '{glued[0]} {glued[1]}'")
            continue
        fixed = correct_word(word, known, labels, targets, lex)
        if fixed is None:
            out.append(token)
            continue
        out.append(Token("word", fixed, fixed, token.spaced))
        notes.append(f"typo '{token.text}' read as '{fixed}'")
    return out, notes
