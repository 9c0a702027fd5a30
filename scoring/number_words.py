"""Numbers in an answer: digits and number words, and every way a number can be wrong.

Works on the tokens of `answer_tokens`. Words become numbers through text2num, trying the
answer's locale first and then the other one (people answer a Dutch SMS with "seven"), and the
lexicon's extra number words ("een achtje").

Numbers that are not the score are taken out first, each by a defined rule:
- a restated scale ("op een schaal van 0 tot 10", "on a 1-5 scale") whose top is this scale's
  maximum; a restated other scale makes the answer invalid (never rescaled);
- an order, case or customer number after a reference word ("ordernummer 4471234", "case
  #48213", "ref AB-12345");
- a count or duration with its unit ("na 4 keer bellen", "20 minuten"); two counts of one unit
  ("2 of 3 keer", "4 à 5 dagen", "1 op de 10 keer", "3 in 4 calls") make the answer invalid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import alpha2digit, text2num

from scoring.answer_tokens import Token
from scoring.lexicon import Lexicon, lexicon
from scoring.scales import Scale

_LANGS = ("nl", "en")
_MAX_WORD_CHARS = 40  # "tweehonderdvierenzeventigduizend" is 32; longer is never a number
# text2num reads a lone "o" as zero ("two o one"); alone it is a letter or an exclamation.
_NOT_NUMBERS = frozenset({"o"})
# Unaccented "een" is mostly the article ("een 8", "een zes") and "one" mostly a pronoun
# ("a good one"); `_Numbers.resolve_article_or_one` decides when they mean 1.
_ARTICLE = "een"
_PRONOUN = "one"
_ARTICLE_OR_ONE = frozenset({_ARTICLE, _PRONOUN})
_RUN_JOINERS = frozenset({"en", "and"})  # "drie en twintig" is 23
_SINGLE_NUMBER = re.compile(r"0|[1-9]\d*")
_UNITS = frozenset({"ster", "sterren", "star", "stars", "punt", "punten", "point", "points"})
# Skipped when looking for a word that qualifies a number: "meer dan een 7", "at least a 7".
_ARTICLES = frozenset({"een", "a", "an", "de", "the", "het", "n", "dikke", "solid"})
# A word right before a number that makes it a bound or a negation, not an answer.
_BEFORE_BOUND = frozenset(
    {
        # negation
        "niet", "geen", "nooit", "not", "never", "no", "nor", "isnt", "wasnt", "dont",
        # comparisons: "meer dan 7", "more than 7", "beter dan een 7"
        "dan", "than", "least", "most", "minst", "minste", "meest", "hoogste", "laagste",
        "minstens", "hoogstens", "minimaal", "maximaal", "minimum", "maximum", "max", "min",
        "minus", "bijna", "almost", "nearly", "boven", "onder", "above", "below", "under",
        "over", "beyond", "tussen", "between", "tot", "to", "till", "until", "upto",
        "ruim", "ruime", "krap", "krappe", "hooguit", "nauwelijks", "barely", "hardly",
        "plus", "vanaf", "from",
        # a rank, not a score: "top 3 service", "number 1"
        "top", "nummer", "number", "nr",
    }
)  # fmt: skip
# A word right after a number that makes it something else: "8 plus", "80 procent".
_AFTER_BOUND = frozenset(
    {
        "plus", "min", "minus", "procent", "percent", "keer", "times", "ish", "achtig",
        # "8 niet", "7 not": the negation may take the number back
        "niet", "geen", "nooit", "not", "no", "never",
        # "8 beter", "10 meer": compared with something, not a plain score
        "meer", "minder", "hoger", "lager", "beter", "slechter", "more", "less", "higher",
        "lower", "better", "worse",
    }
)  # fmt: skip
_OR = frozenset({"of", "or"})
# Between a reference word and its number: "case number 5", "order #123", "zaaknr: 9".
_REFERENCE_LINKS = frozenset({"nummer", "number", "nr", "no", "id", "#", ":", "."})
# A restated scale: "(op een) schaal van 0 tot 10", "on a 1-5 scale", "from 0 to 10".
_SCALE_SEPARATORS = frozenset({"-", "\u2013", "tot", "to", "t", "through"})
_SCALE_WORDS = frozenset({"schaal", "scale"})
_RANGE_LEAD = frozenset({"van", "from"})
_LEAD = frozenset({"op", "een", "schaal", "van", "on", "a", "scale", "of", "from", "de", "the"})
# "8 of meer", "7 or higher": a bound, not an answer.
_COMPARATIVES = frozenset(
    {
        "meer", "minder", "hoger", "lager", "beter", "slechter", "more", "less", "higher",
        "lower", "better", "worse", "above", "below", "boven", "onder", "up", "down",
    }
)  # fmt: skip
_FRACTION_WORDS = frozenset({"half", "halve", "anderhalf", "helft", "kwart", "quarter"})
_DECIMAL_WORDS = frozenset({"komma", "point", "punt"})  # "acht komma vijf", "eight point eight"
_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th", "e", "de", "ste", "ds"})
_SIGNS = frozenset("-+\u2212\u2013\u00b1")  # hyphen, plus, minus sign, en dash, plus-minus
_MINUS = frozenset("-\u2212")
_DECIMAL_MARKS = frozenset(".,")
# Spellings of "out of": 8/10, "8 out of 10", "7 uit 10", "7 van de 10", "8 op 10".
_DENOMINATOR_MARKERS: tuple[tuple[str, ...], ...] = (
    ("/",),
    ("out", "of"),
    ("outta",),
    ("uit",),
    ("van", "de"),
    ("van",),
    ("op", "de"),
    ("op",),
)


_MARKER_FIRST = frozenset(marker[0] for marker in _DENOMINATOR_MARKERS)
# Between two counts of one unit: "2 of 3 keer", "4 à 5 dagen", "1 op de 10 keer", "3 in 4
# calls", "5 or 6 transfers". Dutch "of" is "or" and "a" is "à", English "of" is a ratio: in
# every reading the pair is a range or a ratio of counts, never a score.
_COUNT_LINKS: tuple[tuple[str, ...], ...] = (
    ("op", "de"),
    ("van", "de"),
    ("out", "of"),
    ("of",),
    ("or",),
    ("a",),
    ("in",),
    ("op",),
    ("van",),
    ("uit",),
    ("tot",),
    ("to",),
    ("-",),
    ("/",),
)


@dataclass(frozen=True, slots=True)
class NumberProblem:
    """A number is there but it cannot be taken as the answer."""

    reason: str


@lru_cache(maxsize=8192)
def word_value(word: str, locale: str) -> int | None:
    """The number a single word spells, in the locale first and then the other one."""
    if word in _NOT_NUMBERS or len(word) > _MAX_WORD_CHARS:
        return None
    extra = lexicon().number_words.get(word)
    if extra is not None:
        return extra
    langs = (locale, *(lang for lang in _LANGS if lang != locale)) if locale in _LANGS else _LANGS
    for lang in langs:
        try:
            return int(text2num(word, lang))
        except ValueError:
            continue
    return None


@lru_cache(maxsize=1024)
def merged_value(words: str, locale: str) -> int | None:
    """The one number several number words spell together ("twenty one"), if they do."""
    langs = (locale, *(lang for lang in _LANGS if lang != locale)) if locale in _LANGS else _LANGS
    for lang in langs:
        try:
            digits = alpha2digit(words, lang, threshold=0)
        except ValueError:
            continue
        if _SINGLE_NUMBER.fullmatch(digits):
            return int(digits)
    return None


class _Numbers:
    """One pass over the tokens of one answer."""

    def __init__(
        self,
        tokens: Sequence[Token],
        used: list[bool],
        scale: Scale,
        locale: str,
        roles: dict[int, str],
    ):
        self.tokens = tokens
        self.used = used
        self.scale = scale
        self.roles = roles
        self.lex: Lexicon = lexicon()
        self.quantities = 0
        self.words = {t.folded for t in tokens}  # lets a pass skip answers it cannot apply to
        self.values: list[int | None] = [None] * len(tokens)
        for i, token in enumerate(tokens):
            if used[i]:
                continue
            if token.kind == "num":
                self.values[i] = int(token.text)
            elif token.kind == "word" and token.text not in _ARTICLE_OR_ONE:
                self.values[i] = word_value(token.text, locale)

    def _text(self, i: int) -> str | None:
        if 0 <= i < len(self.tokens) and not self.used[i]:
            return self.tokens[i].folded
        return None

    def _is_number(self, i: int) -> bool:
        return 0 <= i < len(self.values) and self.values[i] is not None and not self.used[i]

    def _denominator_at(self, i: int) -> int | None:
        """Index of the number after an "out of" marker starting at token i, if any."""
        if self._text(i) not in _MARKER_FIRST:
            return None
        for marker in _DENOMINATOR_MARKERS:
            end = i + len(marker)
            if self._is_number(end) and all(
                self._text(i + k) == part for k, part in enumerate(marker)
            ):
                return end
        return None

    def _numberish(self, i: int) -> bool:
        if not 0 <= i < len(self.tokens) or self.used[i] or self.tokens[i].kind != "word":
            return False
        return self.values[i] is not None or self.tokens[i].text in _ARTICLE_OR_ONE

    def _run_from(self, i: int) -> list[int]:
        """Token indexes of the number words starting at i, with hyphens and "en" between."""
        run = [i]
        while True:
            k = run[-1] + 1
            if self._numberish(k) and self.tokens[k].spaced:
                run.append(k)
            elif (
                k + 1 < len(self.tokens)
                and (self.tokens[k].text == "-" or self.tokens[k].folded in _RUN_JOINERS)
                and not self.used[k]
                and self._numberish(k + 1)
            ):
                run.extend((k, k + 1))
            else:
                return run

    def merge_runs(self, locale: str) -> None:
        """Several number words in a row become one number when text2num says they are one."""
        i = 0
        while i < len(self.tokens):
            if not self._numberish(i):
                i += 1
                continue
            run = self._run_from(i)
            if len(run) > 1:
                words = " ".join(self.tokens[k].text for k in run)
                merged = merged_value(words.replace(" - ", "-"), locale)
                if merged is not None:
                    self.values[i] = merged
                    for k in run[1:]:
                        self.values[k] = None
                        self.used[k] = True
            i = run[-1] + 1

    def resolve_article_or_one(self) -> NumberProblem | None:
        """Decide whether each remaining "een"/"one" is the number 1.

        Both are 1 when they are the whole answer or a count ("een ster", "one out of ten"),
        or right after another number ("acht een", "two one": then they are two numbers).
        "een" before a word or number is the article ("een 8", "een tevreden klant"); with
        nothing after it ("ik geef jullie een", "een, twee") it could be either: refuse.
        "one" is also 1 right before a number ("one two"); elsewhere it is a pronoun.
        """
        content = [i for i, t in enumerate(self.tokens) if t.kind != "sym" and not self.used[i]]
        for i in content:
            word = self.tokens[i].text
            if word not in _ARTICLE_OR_ONE or self.values[i] is not None:  # merged already
                continue
            alone = content == [i]
            counted = self._text(i + 1) in _UNITS or self._denominator_at(i + 1) is not None
            after_number = self._is_number(i - 1)
            if word == _ARTICLE:
                next_is_content = i + 1 < len(self.tokens) and self.tokens[i + 1].kind != "sym"
                if not (next_is_content or alone or counted or after_number):
                    return NumberProblem("'een' could be the article or the number 1")
                one = after_number
            else:
                one = after_number or self._is_number(i + 1)
                # "one of ten", "one of the best": not a plain score, whichever it means
                if self._text(i + 1) in _OR and self._text(i + 2) is not None:
                    return NumberProblem("'one of ...' is not a plain score")
            if alone or counted or one:
                self.values[i] = 1
        return None

    def _take(self, indexes: Sequence[int], role: str) -> None:
        for i in indexes:
            self.used[i] = True
            self.values[i] = None
            self.roles[i] = role

    def consume_references(self) -> None:
        """Drop order and case numbers: "ordernummer 4471234", "case #48213", "ref AB-1"."""
        tokens = self.tokens
        if self.words.isdisjoint(self.lex.reference):
            return
        for i, token in enumerate(tokens):
            if self.used[i] or token.kind != "word" or token.folded not in self.lex.reference:
                continue
            j = i + 1
            while j < len(tokens) and not self.used[j] and tokens[j].folded in _REFERENCE_LINKS:
                j += 1
            end = j
            while end < len(tokens) and (end == j or not tokens[end].spaced):
                end += 1
            chunk = range(j, end)
            if any(tokens[k].kind == "num" for k in chunk) and not any(self.used[k] for k in chunk):
                self._take(range(i, end), "reference")

    def consume_restated_scale(self) -> NumberProblem | None:
        """Drop "op een schaal van 0 tot 10", "on a 1-5 scale": the scale, not the score."""
        tokens = self.tokens
        if self.words.isdisjoint(_SCALE_SEPARATORS):
            return None
        for i in range(len(tokens) - 2):
            if tokens[i + 1].folded not in _SCALE_SEPARATORS or self.used[i + 1]:
                continue
            if not (self._is_number(i) and self._is_number(i + 2)):
                continue
            start = i
            while start > 0 and not self.used[start - 1] and tokens[start - 1].folded in _LEAD:
                start -= 1
            end = i + 3
            if end < len(tokens) and tokens[end].folded in _SCALE_WORDS:
                end += 1
            words = {tokens[k].folded for k in range(start, end)}
            if not words & (_SCALE_WORDS | _RANGE_LEAD):
                continue  # a plain range ("7-8", "7 tot 8") is left to the range rule
            low, high = self.values[i], self.values[i + 2]
            if high != self.scale.max or low not in {self.scale.min, 0, 1}:
                return NumberProblem(
                    f"the answer restates a {low}-{high} scale; this one is "
                    f"{self.scale.min}-{self.scale.max}"
                )
            self._take(range(start, end), "restated scale")
        return None

    def check_count_ratios(self) -> NumberProblem | None:
        """Refuse "2 of 3 keer", "1 op de 10 keer", "3 in 4 calls": no score in them."""
        if self.words.isdisjoint(self.lex.units):
            return None
        for i in range(len(self.tokens)):
            if not self._is_number(i):
                continue
            for link in _COUNT_LINKS:
                j = i + 1 + len(link)
                unit = self._text(j + 1)
                if unit not in self.lex.units or not self._is_number(j):
                    continue
                if all(self._text(i + 1 + k) == part for k, part in enumerate(link)):
                    shown = " ".join([self._show(i), *link, self._show(j), unit])
                    return NumberProblem(f"'{shown}' is a range or ratio of counts, not a score")
        return None

    def consume_quantities(self) -> None:
        """Drop counts and durations with their unit: "4 keer", "20 minuten", "2 calls"."""
        if self.words.isdisjoint(self.lex.units):
            return
        for i in range(len(self.tokens) - 1):
            if self._text(i + 1) in self.lex.units and self._is_number(i):
                self._take((i, i + 1), "count")
                self.quantities += 1

    def consume_denominators(self) -> NumberProblem | None:
        """Drop "/10" and "out of 10" when 10 is the scale max; refuse other denominators."""
        for i in range(len(self.tokens)):
            if not self._is_number(i):
                continue
            j = self._denominator_at(i + 1)
            if j is None:
                continue
            denominator = self.values[j]
            if denominator != self.scale.max:
                return NumberProblem(
                    f"denominator {denominator} is not the scale maximum {self.scale.max}"
                )
            self.values[j] = None
            self.used[j] = True
            self.roles[j] = "denominator"
            for k in range(i + 1, j):
                self.roles[k] = "denominator"
                self.used[k] = True
        return None

    def check_shapes(self) -> NumberProblem | None:
        """Decimals, signs, ranges, ordinals and numbers glued to words."""
        tokens = self.tokens
        for i, token in enumerate(tokens):
            if self.used[i]:
                continue
            if token.kind == "sym" and token.text in _SIGNS:
                problem = self._sign_problem(i)
                if problem:
                    return problem
            if token.kind != "num":
                continue
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is not None and not nxt.spaced:
                if nxt.kind == "word":
                    if nxt.folded in _ORDINAL_SUFFIXES:
                        return NumberProblem(f"ordinal, not a score ({token.text}{nxt.text})")
                    return NumberProblem(f"number attached to a word ({token.text}{nxt.text})")
                if nxt.text in _DECIMAL_MARKS and self._attached_number(i + 2):
                    return NumberProblem(
                        f"decimal number ({token.text}{nxt.text}{tokens[i + 2].text})"
                    )
            if nxt is not None and nxt.text == "%":
                return NumberProblem(f"percentage, not a score ({token.text}%)")
            if not token.spaced and i > 0:
                before = tokens[i - 1]
                if before.kind == "word":
                    return NumberProblem(f"number attached to a word ({before.text}{token.text})")
                if before.text == "#":
                    return NumberProblem(f"'#' before a number ({token.text})")
        return None

    def _attached_number(self, i: int) -> bool:
        return (
            0 <= i < len(self.tokens) and self.tokens[i].kind == "num" and not self.tokens[i].spaced
        )

    def _sign_problem(self, i: int) -> NumberProblem | None:
        sign = self.tokens[i]
        left = i - 1 if i > 0 and self._is_number(i - 1) else None
        right = i + 1 if self._is_number(i + 1) else None
        if left is not None and right is not None:
            return NumberProblem(
                f"ambiguous: a range ({self._show(left)}{sign.text}{self._show(right)})"
            )
        attached = right is not None and not self.tokens[right].spaced
        if right is not None and attached and sign.text in _MINUS and self.scale.min < 0:
            value = self.values[right]
            self.values[right] = None if value is None else -value  # a scale like -2..2
            self.used[i] = True
            return None
        if right is not None and (attached or self._first_content(i)):
            return NumberProblem(f"signed number ({sign.text}{self._show(right)})")
        if left is not None and (not sign.spaced or sign.text == "+"):
            return NumberProblem(f"number with a modifier ({self._show(left)}{sign.text})")
        return None

    def _first_content(self, i: int) -> bool:
        """No word or number before token i: "- 3" is minus three, "top - 8" is a dash."""
        return all(t.kind == "sym" for t in self.tokens[:i])

    def _show(self, i: int) -> str:
        return self.tokens[i].text

    def check_context(self) -> NumberProblem | None:
        """Words around a number that make it a bound, a negation or a fraction."""
        for i, token in enumerate(self.tokens):
            if token.kind == "word" and token.folded in _FRACTION_WORDS and not self.used[i]:
                return NumberProblem(f"fraction, not a whole score ('{token.text}')")
        for i in range(len(self.tokens)):
            if not self._is_number(i):
                continue
            before = self._word_before(i)
            if before is not None and before in _BEFORE_BOUND:
                return NumberProblem(f"'{before}' before {self._show(i)}: not a plain score")
            if before is not None and before in self.lex.approximate:
                return NumberProblem(f"'{before}' {self._show(i)} is approximate, not one score")
            after = self._text(i + 1)
            if after in self.lex.approximate_after_first:
                for phrase in self.lex.approximate_after:
                    if all(self._text(i + 1 + k) == w for k, w in enumerate(phrase)):
                        shown = " ".join(phrase)
                        return NumberProblem(
                            f"{self._show(i)} '{shown}' is approximate, not one score"
                        )
            if after in _DECIMAL_WORDS and self._is_number(i + 2):
                return NumberProblem(f"decimal number ({self._show(i)} {after} ...)")
            if after in _AFTER_BOUND:
                return NumberProblem(f"'{after}' after {self._show(i)}: not a plain score")
            if after in _OR and self._text(i + 2) in _COMPARATIVES:
                return NumberProblem(
                    f"'{after} {self._text(i + 2)}' after {self._show(i)}: a bound, not a score"
                )
        return None

    def _word_before(self, i: int) -> str | None:
        """The first word before token i, skipping articles; None at a symbol or number."""
        j = i - 1
        while j >= 0 and not self.used[j] and self.tokens[j].kind == "word":
            if self._is_number(j):
                return None
            word = self.tokens[j].folded
            if word not in _ARTICLES:
                return word
            j -= 1
        return None

    def none_possible(self) -> bool:
        """No digit, number word, "een"/"one" or sign: the common all-label answer."""
        if self.values.count(None) != len(self.values):
            return False
        for t in self.tokens:
            if t.kind == "num" or t.text in _ARTICLE_OR_ONE or t.text in _SIGNS:
                return False
        return True

    def unit_after(self, i: int) -> bool:
        """A score's own unit right after it: "8 punten", "4 sterren"."""
        return self._text(i + 1) in _UNITS

    def found(self) -> list[int]:
        return [v for v in self.values if v is not None]


@dataclass(frozen=True, slots=True)
class Numbers:
    """The numbers an answer states, in order, and whether it also gave a count."""

    values: list[int]
    at: list[int]  # token index of each value
    quantities: int


def find_numbers(
    tokens: Sequence[Token], used: list[bool], scale: Scale, locale: str, roles: dict[int, str]
) -> Numbers | NumberProblem:
    """Every number the answer states, in order, or why the numbers cannot be trusted.

    `used` marks tokens already taken by a label; denominators, references, counts and restated
    scales get marked too, and `roles` says which each token was.
    """
    numbers = _Numbers(tokens, used, scale, locale, roles)
    if numbers.none_possible():
        problem = numbers.check_context()  # fraction words still count: "half"
        return problem or Numbers([], [], 0)
    numbers.consume_references()
    numbers.merge_runs(locale)
    checks = (
        # Before "een" is resolved: in "van 0 tot 10 een 9" it is the article, not a 1.
        numbers.consume_restated_scale,
        numbers.resolve_article_or_one,
        numbers.check_count_ratios,
        numbers.consume_denominators,
        numbers.check_shapes,
        numbers.check_context,
    )
    for check in checks:
        problem = check()
        if problem is not None:
            return problem
        if check == numbers.consume_denominators:
            numbers.consume_quantities()
    at = [i for i, v in enumerate(numbers.values) if v is not None]
    for i in at:
        roles[i] = "number"
        if numbers.unit_after(i):
            roles[i + 1] = "unit"
    return Numbers(numbers.found(), at, numbers.quantities)
