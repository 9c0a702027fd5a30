"""Every word of an answer accounted for, or the reason it is not.

After labels and numbers have taken their words, each word left must be a filler, praise or a
complaint (which must then agree with the score), a word beside a count ("na 4 keer bellen"),
a hedge ("misschien", "probably": invalid, a guess is not a score),
or an intensifier used as emphasis in an answer with no label ("echt een 9"). Anything else
makes the answer invalid: an unknown word next to a label may change what it means.

Two tails are cut off before that: a reason clause ("8, want ze waren snel") and a sign-off with
a name ("groetjes, Petra"), each only when it holds no number, label word or negator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scoring.answer_tokens import Token
from scoring.label_match import LabelIndex, has_label
from scoring.lexicon import INTENSIFY, Lexicon

_ARTICLES = frozenset({"een", "one", "a", "an"})
_MAX_SIGNATURE_WORDS = 3


@dataclass(frozen=True, slots=True)
class Accounted:
    """What the leftover words said: praise (+1), complaint (-1), both or neither (0)."""

    sentiment: int
    praise: str | None
    complaint: str | None


def _clean_tail(
    tokens: Sequence[Token], index: LabelIndex, lex: Lexicon, is_number: Callable[[str], bool]
) -> bool:
    """A tail that cannot touch the score: no digit, number, label, negator or contrast."""
    if has_label(tokens, index):
        return False
    for token in tokens:
        if token.kind == "num":
            return False
        if token.kind != "word":
            continue
        word = token.folded
        if word in lex.negators or word in lex.contrast:
            return False
        if word not in _ARTICLES and is_number(word):
            return False
    return True


def tail_sentiment(tokens: Sequence[Token], lex: Lexicon) -> Accounted:
    """Praise or complaint in a reason clause: it must agree with the score as well."""
    praise = next((t.text for t in tokens if t.folded in lex.praise), None)
    complaint = next((t.text for t in tokens if t.folded in lex.complaint), None)
    return Accounted((praise is not None) - (complaint is not None), praise, complaint)


def cut_tail(
    tokens: list[Token], index: LabelIndex, lex: Lexicon, is_number: Callable[[str], bool]
) -> tuple[list[Token], str | None]:
    """The tokens without a harmless reason clause or sign-off, and a note on what went."""
    words = [i for i, t in enumerate(tokens) if t.kind == "word"]
    for i in words:
        if i > 0 and tokens[i].folded in lex.reason:
            tail = tokens[i + 1 :]
            if _clean_tail(tail, index, lex, is_number):
                shown = " ".join(t.text for t in tokens[i:] if t.kind == "word")
                return tokens[:i], f"reason clause '{shown}' explains the score"
            return tokens, None
    if lex.signoff_first.isdisjoint([tokens[i].folded for i in words]):
        return tokens, None
    for phrase in lex.signoff:
        for pos in range(len(words) - len(phrase) + 1):
            span = words[pos : pos + len(phrase)]
            if tuple(tokens[k].folded for k in span) != phrase:
                continue
            rest = words[pos + len(phrase) :]
            tail = tokens[span[-1] + 1 :]
            if len(rest) <= _MAX_SIGNATURE_WORDS and _clean_tail(tail, index, lex, is_number):
                shown = " ".join(t.text for t in tokens[span[0] :] if t.kind == "word")
                return tokens[: span[0]], f"sign-off '{shown}'"
    return tokens, None


def account(
    tokens: Sequence[Token],
    taken: Sequence[bool],
    roles: dict[int, str],
    lex: Lexicon,
    *,
    has_label: bool,
    has_count: bool,
) -> Accounted | str:
    """The leftover words' sentiment, or why one of them cannot be accounted for."""
    praise: str | None = None
    complaint: str | None = None
    for i, token in enumerate(tokens):
        if token.kind != "word" or taken[i] or i in roles:
            continue
        word = token.folded
        litotes = _negated_sentiment(tokens, taken, i, lex)
        if litotes is not None:
            # "niet slecht" praises, "not great" complains: the pair is one judgement.
            roles[i] = roles[litotes] = "negated " + (
                "praise" if word in lex.praise else "complaint"
            )
            shown = f"{token.text} {tokens[litotes].text}"
            if tokens[litotes].folded in lex.complaint:
                praise = praise or shown
            else:
                complaint = complaint or shown
        elif has_count and word in lex.quantity_context:
            roles[i] = "about the count"
        elif word in lex.hedge:
            return f"'{token.text}' makes it a guess or a hypothetical, not a score"
        elif word in lex.fillers:
            roles[i] = "filler"
        elif word in lex.praise:
            roles[i], praise = "praise", praise or token.text
        elif word in lex.complaint:
            roles[i], complaint = "complaint", complaint or token.text
        elif word in lex.negators:
            return f"'{token.text}' makes the answer unclear"
        elif (word,) in lex.before:
            if lex.before[(word,)] != INTENSIFY:
                return f"'{token.text}' does not say how it changes the answer"
            if has_label and not _before_sentiment(tokens, taken, i, lex):
                return f"'{token.text}' is not next to the label it strengthens"
            roles[i] = "emphasis"
        else:
            return f"unknown word '{token.text}' may change the answer"
    sentiment = (praise is not None) - (complaint is not None)
    return Accounted(sentiment, praise, complaint)


def _before_sentiment(tokens: Sequence[Token], taken: Sequence[bool], i: int, lex: Lexicon) -> bool:
    """An intensifier right before praise or a complaint ("very helpful") strengthens that."""
    j = i + 1
    while j < len(tokens) and not taken[j] and tokens[j].folded in lex.intensify_words:
        j += 1
    if j >= len(tokens) or taken[j]:
        return False
    return tokens[j].folded in lex.praise or tokens[j].folded in lex.complaint


def _negated_sentiment(
    tokens: Sequence[Token], taken: Sequence[bool], i: int, lex: Lexicon
) -> int | None:
    """The index of the praise or complaint word right after the negator at i, if any."""
    if tokens[i].folded not in lex.negators:
        return None
    j = i + 1
    if j < len(tokens) and not taken[j] and tokens[j].kind == "word":
        word = tokens[j].folded
        if word in lex.praise or word in lex.complaint:
            return j
    return None
