"""The words customers add to an answer, per locale in `scoring/lexicons/<locale>.toml`.

The lists are data so that a linguist can extend them without touching a rule. Every locale's
lists are merged: people mix languages ("very tevreden", "I'd say een 8"). Where a word means one
thing in Dutch and another in English ("of" is "or", "a" is "à"), the rules that matter read it
in both senses: "2 of 3 keer" and "2 of 3 calls" are counts, never a score.

How each list is read:
- `modifiers.intensify` before a label (or `intensify_after` after it) moves it to the end
  point beyond it; `soften`/`soften_after` to the scale's "somewhat" point; `unclear` next to a
  label makes the answer invalid. Away from a label an intensifier is only emphasis.
- `modifiers.negators`, `negation_fillers`, `negation_strengtheners`: "niet tevreden";
  `negators_unclear` ("nooit", "never") negate without naming the mirrored point: invalid.
- `words.fillers` change nothing; `praise`/`complaint` must agree with the score;
  `hedge` anywhere makes the answer invalid (a guess or a hypothetical, not a score);
  `approximate` before a number (`approximate_after` after it) makes it invalid; `units`
  after a number make it a count; `quantity_context` is allowed only beside such a count;
  `reference` before a number makes it an order or case number; `reason` starts a clause
  that explains the score; `signoff` ends the message with a name; `contrast` may take a
  score back; `not_typos` are never corrected.
- `number_words` are extra number words ("achtje"); `optout` is read by `keywords`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from scoring.answer_tokens import fold
from scoring.scales import LOCALES

LEXICON_DIR = Path(__file__).parent / "lexicons"
Phrase = tuple[str, ...]
# What a modifier does to the label next to it.
INTENSIFY, SOFTEN, UNCLEAR = "intensifier", "softener", "unclear modifier"


@dataclass(frozen=True, slots=True)
class Lexicon:
    before: dict[Phrase, str]  # modifier phrase before a label -> INTENSIFY / SOFTEN / UNCLEAR
    after: dict[Phrase, str]  # modifier phrase after a label
    max_phrase: int
    intensify_words: frozenset[str]
    soften_words: frozenset[str]
    modifier_words: dict[str, str]  # any word of a modifier phrase -> its strongest kind
    glued_intensify: tuple[str, ...]
    negators: frozenset[str]
    negators_unclear: frozenset[str]
    negation_fillers: tuple[Phrase, ...]
    negation_filler_ends: frozenset[str]
    negation_strengtheners: frozenset[str]
    fillers: frozenset[str]
    praise: frozenset[str]
    complaint: frozenset[str]
    approximate: frozenset[str]
    hedge: frozenset[str]
    approximate_after: tuple[Phrase, ...]
    approximate_after_first: frozenset[str]
    units: frozenset[str]
    quantity_context: frozenset[str]
    reference: frozenset[str]
    reason: frozenset[str]
    signoff: tuple[Phrase, ...]
    signoff_first: frozenset[str]
    contrast: frozenset[str]
    not_typos: frozenset[str]
    number_words: dict[str, int]
    optout_keywords: frozenset[str]
    optout_phrases: tuple[Phrase, ...]
    optout_fillers: frozenset[str]
    optout_by_first: dict[str, tuple[Phrase, ...]]  # longest first
    known: frozenset[str]  # every word some list names; labels and numbers are not here


def _phrase(text: str) -> Phrase:
    return tuple(fold(text.casefold().replace("'", "")).split())


def _words(raw: list[dict[str, list[str]]], key: str) -> frozenset[str]:
    return frozenset(w for part in raw for text in part.get(key, []) for w in _phrase(text))


def _phrases(raw: list[dict[str, list[str]]], key: str) -> tuple[Phrase, ...]:
    found = {_phrase(text) for part in raw for text in part.get(key, [])}
    return tuple(sorted(found, key=lambda p: (-len(p), p)))


def _single(table: dict[Phrase, str], kind: str) -> frozenset[str]:
    return frozenset(p[0] for p, k in table.items() if k == kind and len(p) == 1)


_WORD_LISTS = (
    "fillers", "praise", "complaint", "approximate", "hedge", "units", "quantity_context",
    "reference", "reason", "contrast", "not_typos",
)  # fmt: skip


@cache
def lexicon(directory: Path = LEXICON_DIR) -> Lexicon:
    """Every locale's lists, merged; read once."""
    loaded = [tomllib.loads((directory / f"{loc}.toml").read_text("utf-8")) for loc in LOCALES]
    mods = [part.get("modifiers", {}) for part in loaded]
    words = [part.get("words", {}) for part in loaded]
    optout = [part.get("optout", {}) for part in loaded]
    before: dict[Phrase, str] = {}
    after: dict[Phrase, str] = {}
    # Later kinds win: a phrase listed as both an intensifier and unclear is unclear.
    for kind, key in ((INTENSIFY, "intensify"), (SOFTEN, "soften"), (UNCLEAR, "unclear")):
        before |= dict.fromkeys(_phrases(mods, key), kind)
    for kind, key in ((INTENSIFY, "intensify_after"), (SOFTEN, "soften_after")):
        after |= dict.fromkeys(_phrases(mods, key), kind)
    rank = {INTENSIFY: 0, SOFTEN: 1, UNCLEAR: 2}
    modifier_words: dict[str, str] = {}
    for phrase, kind in [*before.items(), *after.items()]:
        for word in phrase:
            if rank[kind] >= rank[modifier_words.get(word, INTENSIFY)]:
                modifier_words[word] = kind
    number_words = {
        fold(word): int(value)
        for part in loaded
        for word, value in part.get("number_words", {}).items()
    }
    lists = {key: _words(words, key) for key in _WORD_LISTS}
    mod_lists = {
        key: _words(mods, key) for key in ("negators", "negators_unclear", "negation_strengtheners")
    }
    signoff = _phrases(words, "signoff")
    known = set(modifier_words).union(*lists.values(), *mod_lists.values(), number_words)
    known |= {w for phrase in signoff for w in phrase}
    known |= {w for phrase in _phrases(words, "approximate_after") for w in phrase}
    optout_phrases = _phrases(optout, "phrases")
    by_first: dict[str, list[Phrase]] = {}
    for phrase in optout_phrases:
        by_first.setdefault(phrase[0], []).append(phrase)
    return Lexicon(
        before=before,
        after=after,
        max_phrase=max(len(p) for p in [*before, *after]),
        intensify_words=_single(before, INTENSIFY),
        soften_words=_single(before, SOFTEN),
        modifier_words=modifier_words,
        glued_intensify=tuple(sorted(_words(mods, "glued_intensify"), key=len, reverse=True)),
        negators=mod_lists["negators"] | mod_lists["negators_unclear"],
        negators_unclear=mod_lists["negators_unclear"],
        negation_fillers=_phrases(mods, "negation_fillers"),
        negation_filler_ends=frozenset(p[-1] for p in _phrases(mods, "negation_fillers")),
        negation_strengtheners=mod_lists["negation_strengtheners"],
        signoff=signoff,
        approximate_after=_phrases(words, "approximate_after"),
        approximate_after_first=frozenset(p[0] for p in _phrases(words, "approximate_after")),
        signoff_first=frozenset(phrase[0] for phrase in signoff),
        number_words=number_words,
        known=frozenset(known),
        **lists,
        optout_keywords=frozenset(" ".join(p) for p in _phrases(optout, "keywords")),
        optout_phrases=optout_phrases,
        optout_fillers=_words(optout, "fillers"),
        optout_by_first={first: tuple(found) for first, found in by_first.items()},
    )
