"""Scale labels, aliases and emoji in an answer, including "niet tevreden"-style negation.

Matching is on whole folded tokens, so "tevreden" never matches inside "ontevreden", and the
longest phrase starting at a position wins, so "zeer ontevreden" is never read as "ontevreden"
and "helemaal mee oneens" never as "mee oneens".
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

from scoring.answer_tokens import Token, clean, phrase_key
from scoring.scales import LOCALES, Scale

_NEGATORS = frozenset(
    {
        "niet", "geen", "nooit", "nee", "not", "no", "never", "nor", "neither",
        "dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "aint", "cant",
    }
)  # fmt: skip
# Between a negator and its label these keep the plain meaning: "niet zo tevreden" is
# "ontevreden". "niet erg/heel/echt tevreden" are not here: those could also mean 3.
_NEGATION_FILLERS: tuple[tuple[str, ...], ...] = (
    ("al", "te"),
    ("zo",),
    ("so",),
    ("too",),
    ("that",),
)
# Anywhere in a negated answer these make the strength unclear ("helemaal niet tevreden" is 1 or
# 2; "not satisfied at all" likewise).
_INTENSIFIERS = frozenset(
    {
        "helemaal", "totaal", "absoluut", "echt", "zeker", "bepaald", "volstrekt", "compleet",
        "all", "whatsoever", "really", "absolutely", "totally", "completely", "definitely",
        "certainly", "entirely", "fully", "quite",
    }
)  # fmt: skip
# Right before a label these shift it to a neighbouring point: "erg tevreden" may be 5,
# "redelijk tevreden" 3; refuse rather than guess.
_DEGREE_BEFORE = frozenset(
    {
        "zeer", "heel", "erg", "echt", "super", "hartstikke", "enorm", "extreem", "uiterst",
        "ontzettend", "vreselijk", "best", "vrij", "redelijk", "tamelijk", "behoorlijk",
        "aardig", "enigszins", "beetje", "wat", "matig", "licht", "lichtelijk", "iets",
        "helemaal", "totaal", "volledig", "geheel", "absoluut", "meer", "minder", "meest",
        "minst", "bijna", "zo", "wel", "mega", "zwaar", "nogal", "overwegend",
        "very", "really", "extremely", "highly", "totally", "completely", "fully",
        "absolutely", "quite", "fairly", "pretty", "rather", "somewhat", "slightly", "mildly",
        "moderately", "reasonably", "kinda", "kind", "sort", "sorta", "bit", "little",
        "mostly", "mainly", "partly", "partially", "more", "less", "most", "least", "almost",
        "nearly", "so", "too", "incredibly", "truly", "generally", "strongly", "sterk",
        "zeker", "volkomen", "volmondig", "grotendeels", "deels", "gedeeltelijk", "certainly",
        "definitely", "largely", "entirely", "wholeheartedly",
        # "nog eens" is "once more", not "agree"
        "nog",
        # more intensifiers: "te veel moeite" may be 7, "dik tevreden" 5
        "te", "dik", "reuze", "belachelijk", "absurd", "bizar", "insanely", "ridiculously",
        "way", "waanzinnig", "verschrikkelijk", "vet", "hyper", "ultra",
        # a comparison: "less than satisfied" is the opposite, "more than okay" is better
        "dan", "than", "beyond", "boven", "voorbij",
        # a negative prefix typed apart: "on tevreden", "dis satisfied"
        "on", "dis", "un", "non",
    }
)  # fmt: skip
_DEGREE_AFTER = frozenset(
    {
        "genoeg", "enough", "ish", "achtig", "strongly", "sterk", "totally", "completely",
        "fully", "somewhat", "slightly", "mostly", "partly", "helemaal", "totaal", "enigszins",
        "beetje", "bit", "erg", "zeer", "heel", "very",
        # a second judgement right after the label: "het gaat wel goed" is not "gaat wel"
        "goed", "slecht", "prima", "good", "bad", "fine", "well", "beter", "better", "slechter",
        "worse",
    }
)  # fmt: skip
_MIN_POINTS_FOR_NEGATION = 5
# "tevreden"/"ontevreden", "agree"/"disagree": the opposite label is the same word negated.
_NEGATIVE_PREFIXES = ("on", "dis", "un", "in", "im", "ir", "il", "non")


def _is_negative_form(positive: tuple[str, ...], negative: tuple[str, ...]) -> bool:
    if len(positive) != len(negative):
        return False
    differ = [(p, n) for p, n in zip(positive, negative, strict=True) if p != n]
    return len(differ) == 1 and any(
        differ[0][1] == pre + differ[0][0] for pre in _NEGATIVE_PREFIXES
    )


@dataclass(frozen=True, slots=True)
class LabelIndex:
    """Everything needed to match one scale's labels, built once per (scale, locale)."""

    phrases: dict[tuple[str, ...], int]
    keys_by_value: dict[int, list[tuple[str, ...]]]
    by_first: dict[str, list[tuple[tuple[str, ...], int]]]  # longest phrase first
    emoji: list[tuple[str, int]]  # longest first, so a ZWJ/skin-tone sequence beats its base


@dataclass(slots=True)
class LabelResult:
    """The points the labels and emoji in an answer name."""

    found: list[tuple[int, str]] = field(default_factory=list)  # (point, words that named it)
    problem: str | None = None
    stray_negator: str | None = None


def _locale_order(locale: str, scale: Scale) -> list[str]:
    present = {loc for p in scale.points for loc in (*p.label, *p.aliases)}
    others = sorted(present - {locale, *LOCALES})
    return [locale, *(loc for loc in LOCALES if loc != locale), *others]


def _build(scale: Scale, locale: str) -> LabelIndex:
    phrases: dict[tuple[str, ...], int] = {}
    # Within one locale a phrase naming two points is unusable; across locales the answer's
    # own locale wins, so walk the locales from least to most preferred.
    for loc in reversed(_locale_order(locale, scale)):
        local: dict[tuple[str, ...], int | None] = {}
        for point in scale.points:
            texts = [point.label.get(loc, ""), *point.aliases.get(loc, [])]
            for text in texts:
                key = phrase_key(text)
                # Digit-only labels ("7" on NPS) are left to the number rules, which know
                # about signs, decimals and denominators.
                if not key or all(part.isdigit() for part in key):
                    continue
                local[key] = point.value if local.get(key, point.value) == point.value else None
        for key, value in local.items():
            if value is None:
                phrases.pop(key, None)
            else:
                phrases[key] = value
    by_first: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    keys_by_value: dict[int, list[tuple[str, ...]]] = {}
    for key, value in sorted(phrases.items(), key=lambda kv: -len(kv[0])):
        by_first.setdefault(key[0], []).append((key, value))
        keys_by_value.setdefault(value, []).append(key)
    return LabelIndex(phrases, keys_by_value, by_first, _emoji_index(scale))


def _emoji_index(scale: Scale) -> list[tuple[str, int]]:
    values: dict[str, int | None] = {}
    for point in scale.points:
        for emoji in point.emoji:
            text = clean(emoji).strip()
            if text:
                # An emoji listed on two points means neither.
                known = values.get(text, point.value)
                values[text] = point.value if known == point.value else None
    found = [(text, value) for text, value in values.items() if value is not None]
    return sorted(found, key=lambda item: -len(item[0]))


# Scale holds lists, so it is not hashable; cache by identity and keep a weak reference to
# check that the id still belongs to the same (live) object.
_CACHE: dict[tuple[int, str], tuple[weakref.ref[Scale], LabelIndex]] = {}
_CACHE_LIMIT = 256


def label_index(scale: Scale, locale: str) -> LabelIndex:
    """The index for this scale and locale, built on first use."""
    key = (id(scale), locale)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is scale:
        return hit[1]
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    index = _build(scale, locale)
    _CACHE[key] = (weakref.ref(scale), index)
    return index


def take_emoji(cleaned: str, index: LabelIndex) -> tuple[list[int], str]:
    """The points of the scale's emoji in the text, and the text with them blanked out."""
    values: list[int] = []
    if cleaned.isascii():
        return values, cleaned
    for emoji, value in index.emoji:
        count = cleaned.count(emoji)
        if count:
            values.extend([value] * count)
            cleaned = cleaned.replace(emoji, " ")
    return values, cleaned


def _starts_with(tokens: Sequence[Token], start: int, parts: Sequence[str]) -> bool:
    end = start + len(parts)
    if end > len(tokens):
        return False
    return all(tokens[start + k].folded == part for k, part in enumerate(parts))


class _Matcher:
    def __init__(self, tokens: Sequence[Token], index: LabelIndex, scale: Scale):
        self.tokens = tokens
        self.index = index
        self.scale = scale
        self.used = [False] * len(tokens)
        self.result = LabelResult()

    def run(self) -> LabelResult:
        # Labels cannot span symbols; "zeer, tevreden" is still fine: the comma is skipped.
        words = [i for i, t in enumerate(self.tokens) if t.kind != "sym"]
        content = [self.tokens[i] for i in words]
        pos = 0
        while pos < len(content) and self.result.problem is None:
            hit = self._longest_at(content, pos)
            if hit is None:
                pos += 1
                continue
            key, value = hit
            start, end = words[pos], words[pos + len(key) - 1] + 1
            for i in words[pos : pos + len(key)]:
                # Digits in a label ("1 ster") stay visible to the number rules, so "-1 ster"
                # is still a signed number; they must then agree with the label's point.
                self.used[i] = self.tokens[i].kind == "word"
            self._accept(start, end, value, key)
            pos += len(key)
        if self.result.problem is None:
            self._find_stray_negator()
        return self.result

    def _longest_at(self, content: Sequence[Token], pos: int) -> tuple[tuple[str, ...], int] | None:
        for key, value in self.index.by_first.get(content[pos].folded, ()):
            if _starts_with(content, pos, key):
                return key, value
        return None

    def _word(self, i: int) -> str | None:
        if 0 <= i < len(self.tokens) and not self.used[i] and self.tokens[i].kind == "word":
            return self.tokens[i].folded
        return None

    def _accept(self, start: int, end: int, value: int, key: tuple[str, ...]) -> None:
        name = " ".join(key)
        negator_at = self._negator_before(start)
        if negator_at is not None:
            self._accept_negated(negator_at, start, value, key)
            return
        before, after = self._word_before(start), self._word_after(end)
        if before in _DEGREE_BEFORE:
            self.result.problem = f"'{before}' before '{name}' makes the point unclear"
        elif after in _DEGREE_AFTER:
            self.result.problem = f"'{after}' after '{name}' makes the point unclear"
        else:
            self.result.found.append((value, name))

    def _word_after(self, end: int) -> str | None:
        """The word after a label, looking through a hyphen: "satisfied-ish" has "ish"."""
        joined = end + 1 < len(self.tokens) and not self.tokens[end + 1].spaced
        if joined and self.tokens[end].text == "-":
            return self._word(end + 1)
        return self._word(end)

    def _word_before(self, start: int) -> str | None:
        """The word before a label, looking through a hyphen: "on-tevreden" has "on"."""
        hyphen = self.tokens[start - 1] if start > 0 else None
        if hyphen is not None and hyphen.text == "-" and not self.tokens[start].spaced:
            return self._word(start - 2)
        return self._word(start - 1)

    def _negator_before(self, start: int) -> int | None:
        """Index of a negator right before the label, allowing "niet zo" and "not that"."""
        if self._word(start - 1) in _NEGATORS:
            return start - 1
        for filler in _NEGATION_FILLERS:
            at = start - len(filler)
            fill = [self._word(at + k) for k in range(len(filler))]
            if fill == list(filler) and self._word(at - 1) in _NEGATORS:
                return at - 1
        return None

    def _accept_negated(
        self, negator_at: int, start: int, value: int, key: tuple[str, ...]
    ) -> None:
        name = " ".join([*(t.folded for t in self.tokens[negator_at:start]), *key])
        for i in range(negator_at, start):
            self.used[i] = True
        mirror = self._mirror(value, key)
        if mirror is None:
            self.result.problem = f"'{name}' could mean more than one point"
            return
        self.result.found.append((mirror, name))

    def _mirror(self, value: int, key: tuple[str, ...]) -> int | None:
        """The opposite point, but only for the plain positive ("tevreden", "mee eens").

        "not very satisfied" could be 2, 3 or 4; "niet ontevreden" 3 or 4; "not neutral"
        anything but 3; "not low effort" is not quite "high effort". Only "not <one step
        below the best>" whose opposite label is the same words negated ("ontevreden",
        "disagree") reliably means one step above the worst.
        """
        scale = self.scale
        if len(scale.values) < _MIN_POINTS_FOR_NEGATION:
            return None
        if scale.goodness(value) != scale.max - 1:
            return None
        if any(t.kind == "word" and t.folded in _INTENSIFIERS for t in self._unused()):
            return None
        mirror = scale.min + scale.max - value
        opposites = self.index.keys_by_value.get(mirror, [])
        if not any(_is_negative_form(key, opposite) for opposite in opposites):
            return None
        return mirror

    def _unused(self) -> list[Token]:
        return [t for i, t in enumerate(self.tokens) if not self.used[i]]

    def _find_stray_negator(self) -> None:
        for token in self._unused():
            if token.kind == "word" and token.folded in _NEGATORS:
                self.result.stray_negator = token.text
                return


def match_labels(
    tokens: Sequence[Token], index: LabelIndex, scale: Scale
) -> tuple[LabelResult, list[bool]]:
    """The labels in the answer, and which tokens they (and their negators) used up."""
    matcher = _Matcher(tokens, index, scale)
    result = matcher.run()
    return result, matcher.used
