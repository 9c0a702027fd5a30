"""Scale labels, aliases and emoji in an answer, with negation and modifiers.

Matching is on whole folded tokens, so "tevreden" never matches inside "ontevreden", and the
longest phrase starting at a position wins, so "zeer ontevreden" is never read as "ontevreden"
and "helemaal mee oneens" never as "mee oneens".

Modifiers next to a label (lists in `scoring.lexicon`) have one defined effect each:
- an intensifier moves a label one step from an end to that end, but only when the end's own
  label is this label made stronger ("erg tevreden" = "zeer tevreden"; "totally agree" =
  "strongly agree"); an end label stays put ("heel goed" on faces); elsewhere it is invalid;
- a softener moves a label one step towards the middle, but only onto a point whose label is
  this label softened ("een beetje mee eens" = "enigszins mee eens"); else invalid;
- an unclear modifier ("amper", "hardly", "quite"), a negated modifier ("niet erg tevreden") or
  two opposite modifiers make the answer invalid.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

from scoring.answer_tokens import Token, clean, phrase_key
from scoring.lexicon import INTENSIFY, SOFTEN, UNCLEAR, Phrase, lexicon
from scoring.scales import LOCALES, Scale
from scoring.typos import MIN_TYPO_CHARS, NUMBER_WORDS

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
    words: frozenset[str]  # every word of every label phrase
    typo_targets: tuple[str, ...]  # the label and number words a typo may be corrected to
    exact: dict[str, tuple[int, str]]  # a whole answer that is one label, as typed -> point
    first_words: frozenset[str]  # the words a label can start with


@dataclass(slots=True)
class LabelResult:
    """The points the labels and emoji in an answer name."""

    found: list[tuple[int, str]] = field(default_factory=list)  # (point, how it was named)
    problem: str | None = None
    stray_negator: str | None = None
    roles: dict[int, str] = field(default_factory=dict)  # token index -> what it did


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
    words = frozenset(word for key in phrases for word in key)
    targets = sorted(w for w in words | set(NUMBER_WORDS) if len(w) >= MIN_TYPO_CHARS)
    # Label texts as customers type them ("Zeer tevreden", "oké"), for the whole-answer fast path.
    exact: dict[str, tuple[int, str]] = {}
    optouts = lexicon().optout_keywords  # "stop" as a label must still opt out
    for point in scale.points:
        for loc in _locale_order(locale, scale):
            for text in [point.label.get(loc, ""), *point.aliases.get(loc, [])]:
                key = phrase_key(text)
                plain = len(key) == len(text.split()) and " ".join(key) not in optouts
                if key and phrases.get(key) == point.value and plain:
                    name = " ".join(key)
                    exact.setdefault(text.casefold().strip(), (point.value, name))
                    exact.setdefault(name, (point.value, name))
    return LabelIndex(
        phrases,
        keys_by_value,
        by_first,
        _emoji_index(scale),
        words,
        tuple(targets),
        exact,
        frozenset(by_first),
    )


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
        self.lex = lexicon()
        self.used = [False] * len(tokens)
        self.result = LabelResult()
        # Labels and modifiers do not see symbols: "zeer, tevreden", "satisfied-ish".
        self.content = [i for i, t in enumerate(tokens) if t.kind != "sym"]
        self.position = {i: pos for pos, i in enumerate(self.content)}

    def run(self) -> LabelResult:
        words = self.content
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
                self.result.roles[i] = "label"
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

    def _words_at(self, indexes: Sequence[int]) -> Phrase | None:
        words = [self._word(i) for i in indexes]
        return None if None in words else tuple(w for w in words if w is not None)

    def _accept(self, start: int, end: int, value: int, key: tuple[str, ...]) -> None:
        name = " ".join(key)
        negator_at = self._negator_before(start)
        if negator_at is not None:
            self._accept_negated(negator_at, start, value, key)
            return
        before, first = self._modifiers_before(start)
        after, last = self._modifiers_after(end)
        negator = self._word_before_content(first) if before else None
        if negator in self.lex.negators:
            words = " ".join(w for _, w in before)
            self.result.problem = f"'{negator} {words}' before '{name}' is unclear"
            return
        mods = before + after
        if not mods:
            self.result.found.append((value, f"'{name}'"))
            return
        kinds = {kind for kind, _ in mods}
        shown = " ".join(w for _, w in mods)
        if UNCLEAR in kinds or len(kinds) > 1:
            where = "before" if before else "after"
            self.result.problem = f"'{shown}' {where} '{name}' does not name one point"
            return
        kind = kinds.pop()
        moved = self._intensified(value) if kind == INTENSIFY else self._softened(value)
        if moved is None:
            self.result.problem = f"{kind} '{shown}' on '{name}' does not name one point here"
            return
        for i in [*range(first, start), *range(end, last)]:
            self.used[i] = True
            if self.tokens[i].kind == "word":
                self.result.roles[i] = kind
        self.result.found.append((moved, f"{kind} '{shown}' on '{name}' ({value} -> {moved})"))

    def _modifiers_before(self, start: int) -> tuple[list[tuple[str, str]], int]:
        """The run of modifier phrases right before a label (symbols skipped), and its start."""
        found: list[tuple[str, str]] = []
        pos = self.position[start]
        while True:
            hit = self._phrase_at(pos, self.lex.before, backwards=True)
            if hit is None:
                return found, self.content[pos]
            size, kind, words = hit
            pos -= size
            found.insert(0, (kind, words))

    def _modifiers_after(self, end: int) -> tuple[list[tuple[str, str]], int]:
        """The modifier right after a label ("agree strongly", "satisfied-ish"), and its end."""
        pos = self.position[end - 1] + 1
        hit = self._phrase_at(pos, self.lex.after, backwards=False)
        if hit is None:
            word = self._word(self.content[pos]) if pos < len(self.content) else None
            if word is None or self.lex.before.get((word,)) not in (INTENSIFY, SOFTEN):
                return [], end
            if self._strengthens_sentiment(pos):
                return [], end  # "tevreden, heel erg vriendelijk": the agent was very friendly
            # An intensifier or softener after a label ("satisfied very") is not a form we know.
            hit = (1, UNCLEAR, word)
        size, kind, words = hit
        return [(kind, words)], self.content[pos + size - 1] + 1

    def _strengthens_sentiment(self, pos: int) -> bool:
        """Intensifiers from content position pos on, then praise or a complaint."""
        lex = self.lex
        while pos < len(self.content) and self._word(self.content[pos]) in lex.intensify_words:
            pos += 1
        word = self._word(self.content[pos]) if pos < len(self.content) else None
        return word is not None and (word in lex.praise or word in lex.complaint)

    def _phrase_at(
        self, pos: int, table: dict[Phrase, str], *, backwards: bool
    ) -> tuple[int, str, str] | None:
        """The longest phrase of `table` ending before (or starting at) content position pos."""
        edge = pos - 1 if backwards else pos
        if not 0 <= edge < len(self.content):
            return None
        if self._word(self.content[edge]) not in self.lex.modifier_words:
            return None  # the usual case: no modifier next to the label
        for size in range(self.lex.max_phrase, 0, -1):
            span = range(pos - size, pos) if backwards else range(pos, pos + size)
            if span.start < 0 or span.stop > len(self.content):
                continue
            words = self._words_at([self.content[k] for k in span])
            if words is not None and words in table:
                return size, table[words], " ".join(words)
        return None

    def _word_before_content(self, i: int) -> str | None:
        pos = self.position[i]
        return self._word(self.content[pos - 1]) if pos > 0 else None

    def _intensified(self, value: int) -> int | None:
        """The end point beyond a label, if the end's label is this label made stronger."""
        scale = self.scale
        if value in (scale.min, scale.max):
            return value
        ends = [end for end in (scale.min, scale.max) if abs(end - value) == 1]
        if len(ends) != 1:
            return None
        return ends[0] if self._prefixed(ends[0], value, self.lex.intensify_words) else None

    def _softened(self, value: int) -> int | None:
        """The point one step towards the middle, if its label is this label softened."""
        scale = self.scale
        middle2 = scale.min + scale.max  # twice the middle, to stay in integers
        if value * 2 == middle2:
            return None
        target = value - 1 if value * 2 > middle2 else value + 1
        return target if self._prefixed(target, value, self.lex.soften_words) else None

    def _prefixed(self, target: int, value: int, prefixes: frozenset[str]) -> bool:
        """Some label of `target` is some label of `value` with words from `prefixes` before it."""
        sources = self.index.keys_by_value.get(value, [])
        for key in self.index.keys_by_value.get(target, []):
            for source in sources:
                extra = len(key) - len(source)
                if extra > 0 and key[extra:] == source and all(w in prefixes for w in key[:extra]):
                    return True
        return False

    def _negator_before(self, start: int) -> int | None:
        """Index of a negator right before the label, across any `negation_fillers`."""
        negators = self.lex.negators
        before = self._word(start - 1)
        if before in negators:
            return start - 1
        if before not in self.lex.negation_filler_ends:
            return None
        for filler in self.lex.negation_fillers:
            at = start - len(filler)
            fill = [self._word(at + k) for k in range(len(filler))]
            if fill == list(filler) and self._word(at - 1) in negators:
                return at - 1
        return None

    def _accept_negated(
        self, negator_at: int, start: int, value: int, key: tuple[str, ...]
    ) -> None:
        name = " ".join([*(t.folded for t in self.tokens[negator_at:start]), *key])
        for i in range(negator_at, start):
            self.used[i] = True
            self.result.roles[i] = "negator"
        mirror = self._mirror(value, key)
        if self.tokens[negator_at].folded in self.lex.negators_unclear:
            mirror = None  # "nooit tevreden", "never agree": how often, not how much
        if mirror is None:
            self.result.problem = f"'{name}' could mean more than one point"
            return
        self.result.found.append((mirror, f"negated label '{name}' ({value} -> {mirror})"))

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
        strong = self.lex.negation_strengtheners | self.lex.intensify_words
        if any(t.kind == "word" and t.folded in strong for t in self._unused()):
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
            if token.kind == "word" and token.folded in self.lex.negators:
                self.result.stray_negator = token.text
                return


def has_label(tokens: Sequence[Token], index: LabelIndex) -> bool:
    """Any label phrase of the scale anywhere in the tokens."""
    content = [t for t in tokens if t.kind != "sym"]
    return any(
        _starts_with(content, pos, key)
        for pos, token in enumerate(content)
        for key, _ in index.by_first.get(token.folded, ())
    )


def match_labels(
    tokens: Sequence[Token], index: LabelIndex, scale: Scale
) -> tuple[LabelResult, list[bool]]:
    """The labels in the answer, and which tokens they (and their negators) used up."""
    if index.first_words.isdisjoint([t.folded for t in tokens]):
        # No label can start anywhere (a plain "ik geef een 8"): only a stray negator matters.
        result = LabelResult()
        negators = lexicon().negators
        result.stray_negator = next(
            (t.text for t in tokens if t.kind == "word" and t.folded in negators), None
        )
        return result, [False] * len(tokens)
    matcher = _Matcher(tokens, index, scale)
    result = matcher.run()
    return result, matcher.used
