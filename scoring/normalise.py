"""One answer normaliser for every channel: raw text onto the flow's scale, or why not.

The rule is: never a wrong value. Every word of an answer is accounted for (a number, a label
word, a known filler, a known modifier whose effect is defined) or the answer is Invalid with a
reason, and the engine asks again. Every reason is a short English sentence for logs and the CLI;
an Answer also says which rule decided and what each word did (`surveybot normalize --explain`,
and `Response.decision` in storage).

Order of the rules:
1. Longer than 500 characters is Invalid; an opt-out keyword or phrase (STOP, afmelden, /stop,
   "haal me van de lijst", "stop sending me these", see `keywords`) is an OptOut on every scale.
2. Unknown words get a bounded typo correction (`typos`); a reason clause or sign-off that cannot
   touch the score is cut off (`accounting`).
3. Scale labels with their modifiers, aliases and emoji (`label_match`), star runs (`star_runs`)
   and numbers in digits or words (`number_words`) each name zero or more points; other emoji
   are praise, complaint or neutral (`emoji`), and an unknown one is Invalid; restated
   scales, order and case numbers and counts with a unit are taken out first.
4. Every word left must be accounted for (`accounting`); praise and complaint must agree with
   the score.
5. Exactly one distinct point inside the scale is an Answer; none, several, or one outside
   the scale is Invalid. The same point named twice ("tevreden, 4") is fine.

The judgement calls, each refusing rather than guessing:
- "een" before a word or number is the article ("een 8" is 8); alone, or counting ("een
  ster"), it is 1; with nothing after it inside a longer answer it is Invalid. "één" is 1.
- "not X" is the opposite point only for the plain positive whose opposite is the same word
  negated ("niet tevreden" = "ontevreden", "not agree" = "disagree"). Negated extremes, the
  midpoint, negative labels ("niet ontevreden"), intensified or softened negation ("niet zo
  tevreden") and "nooit"/"never" are Invalid.
- Hedges and hypotheticals ("misschien", "probably", "zou ... kunnen", "could have been") are
  Invalid; so is a range or ratio of counts ("2 of 3 keer", "3 in 4 calls").
- Modifiers next to a label have the effects `label_match` defines; any other is Invalid.
- "x/N", "x out of N", "x uit/van (de)/op N" drop N only when N is the scale maximum; another
  N is Invalid (never rescaled). Dutch "of" means "or", so "9 of 10" is two numbers.
- Grade marks on a word ("satisfied+", "tevreden-") are Invalid, as "8-" is.
- Decimals, fractions, signs, ranges, percentages, ordinals, approximations ("ongeveer 7") and
  bounds ("meer dan 7", "at least 7", "8 of meer", "niet 8") are Invalid.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Literal

from scoring.accounting import Accounted, account, cut_tail, tail_sentiment
from scoring.answer_tokens import Token, clean, has_fraction_char, tokenise
from scoring.channels import CHANNELS, Channel
from scoring.emoji import Emoji, take_other_emoji
from scoring.keywords import (
    is_help,
    is_optin,
    is_optout,
    keyword_words,
    optout_in_words,
    optout_phrase,
)
from scoring.label_match import label_index, match_labels, take_emoji
from scoring.lexicon import lexicon
from scoring.number_words import NumberProblem, find_numbers, word_value
from scoring.scales import Scale
from scoring.star_runs import StarProblem, take_stars
from scoring.typos import correct_tokens
from scoring.yes_no import count_problem

__all__ = [
    "NORMALISER_VERSION",
    "Answer",
    "Invalid",
    "OptOut",
    "Outcome",
    "is_help",
    "is_optin",
    "is_optout",
    "normalise",
    "outcome_json",
]

# Stored with every response: bump it whenever a rule changes what an input maps to.
NORMALISER_VERSION = "2026.12.3"
MAX_ANSWER_CHARS = 500
MAX_REASON_CHARS = 255  # what storage keeps beside the answer
_MAX_REASON_CHARS = 120  # invalid reasons quote bits of the answer; keep log lines short

_log = logging.getLogger(__name__)
# The common case, a bare number ("7", " 8. ", "10!", "1#"), skips everything else.
_PLAIN_NUMBER = re.compile(r"\s*(\d{1,3})\s*[.!#]?\s*")
# WhatsApp/Telegram strikethrough: "~7~ 8" takes 7 back; too subtle to guess about.
STAR_SCALE_MAX = 5
_STAR_WORD = re.compile(r"\b(?:sterren|ster|stars?)\b", re.IGNORECASE)
_STRIKETHROUGH = re.compile(r"~[^~\s][^~]*~")
# A grade mark on a word ("satisfied+", "tevreden--"), as "8-" is on a number: no defined effect.
_GRADE_MARK = re.compile(r"[^\W\d_][+\-\u2212\u2013]+(?!\w)")
_EXACT_TRIM = re.compile(r"^\s+|[\s.!]+$")  # "  Tevreden!! " is the label "tevreden"


@dataclass(frozen=True, slots=True)
class Answer:
    value: int
    outcome: Literal["answer"] = "answer"
    # How it was read; not part of equality, so Answer(8) == the 8 read from "een 8".
    rule: str = field(default="number", compare=False)
    words: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def reason(self) -> str:
        """The rule and every word's part in it, short enough to store beside the answer."""
        shown = " ".join(f"{word}={role}" for word, role in self.words)
        text = f"{self.rule}; words: {shown}" if shown else self.rule
        return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 3] + "..."


@dataclass(frozen=True, slots=True)
class Invalid:
    reason: str
    outcome: Literal["invalid"] = "invalid"


@dataclass(frozen=True, slots=True)
class OptOut:
    outcome: Literal["optout"] = "optout"
    phrase: str = field(default="", compare=False)

    @property
    def reason(self) -> str:
        return f"opt-out '{self.phrase}'"


Outcome = Answer | Invalid | OptOut


def normalise(
    text: str, scale: Scale, *, locale: str = "nl", channel: Channel | str = "sms"
) -> Outcome:
    """Map a raw answer onto `scale`, or say why it can't. Never raises."""
    try:
        outcome = _normalise(text, scale, locale, str(channel))
    except Exception:  # a bug here must cost a re-ask, not the webhook
        _log.exception("normaliser failed on an answer of %d chars", len(str(text)))
        return Invalid("internal error while reading the answer")
    if isinstance(outcome, Answer) and (
        problem := count_problem(scale, [role for _, role in outcome.words])
    ):
        outcome = Invalid(problem)
    if isinstance(outcome, Invalid) and len(outcome.reason) > _MAX_REASON_CHARS:
        return Invalid(outcome.reason[: _MAX_REASON_CHARS - 3] + "...")
    return outcome


def outcome_json(o: Outcome, *, explain: bool = False) -> dict[str, object]:
    """The outcome as stored and shown: {"outcome": "answer", "value": 9} and so on.

    `explain` adds the rule that decided, each word's part, and the normaliser version.
    """
    found: dict[str, object] = {"outcome": o.outcome}
    if isinstance(o, Answer):
        found["value"] = o.value
        if explain:
            found["rule"] = o.rule
            found["words"] = [list(pair) for pair in o.words]
    elif isinstance(o, Invalid):
        found["reason"] = o.reason
    elif explain:
        found["rule"] = o.reason
    if explain:
        found["normaliser_version"] = NORMALISER_VERSION
    return found


def _in_scale(value: int, scale: Scale, rule: str = "number") -> Outcome:
    if scale.contains(value):
        return Answer(value, rule=rule)
    shown = str(value) if abs(value) < 10**9 else f"a {len(str(abs(value)))}-digit number"
    return Invalid(f"out of range: {shown} is not in {scale.min}..{scale.max}")


def _normalise(text: object, scale: Scale, locale: str, channel: str) -> Outcome:
    if not isinstance(text, str):
        return Invalid("answer is not text")
    if len(text) > MAX_ANSWER_CHARS:
        return Invalid(f"too long: {len(text)} characters (limit {MAX_ANSWER_CHARS})")
    plain = _PLAIN_NUMBER.fullmatch(text)
    if plain:
        return _in_scale(int(plain.group(1)), scale)
    index = label_index(scale, locale)
    exact = index.exact.get(_EXACT_TRIM.sub("", text).casefold())
    if exact is not None:  # the whole answer is one label ("Tevreden.", "strongly agree")
        value, name = exact
        return Answer(value, rule=f"label '{name}'", words=((name, "label"),))
    if text.lstrip().startswith("/"):  # a Telegram command: "/stop", "/stop@SurveyBot"
        phrase = optout_phrase(text)
        return OptOut(phrase=phrase) if phrase else Invalid("a command, not an answer")
    if has_fraction_char(text):
        return Invalid("fraction, not a whole score")
    cleaned = clean(text)
    surface = _surface_problem(cleaned, channel)
    if surface:
        return Invalid(surface)

    emoji_values, cleaned = take_emoji(cleaned, index)
    stars, cleaned = take_stars(cleaned)
    other_emoji, cleaned = take_other_emoji(cleaned)
    if other_emoji.problem:
        return Invalid(other_emoji.problem)
    raw_tokens = tokenise(cleaned)
    phrase = optout_in_words(keyword_words(t.folded for t in raw_tokens if t.kind != "sym"))
    if phrase is not None:
        return OptOut(phrase=phrase)
    if isinstance(stars, StarProblem):
        return Invalid(f"stars: {stars.reason}")
    lex = lexicon()

    def known(word: str) -> bool:
        return word in index.words or word in lex.known or word_value(word, locale) is not None

    def is_number(word: str) -> bool:
        return word_value(word, locale) is not None

    tokens, notes = correct_tokens(raw_tokens, known, index.words, index.typo_targets, lex)
    all_tokens = tokens
    tokens, tail = cut_tail(tokens, index, lex, is_number)
    labels, used = match_labels(tokens, index, scale)
    if labels.problem:
        return Invalid(labels.problem)
    roles = labels.roles
    numbers = find_numbers(tokens, used, scale, locale, roles)
    if isinstance(numbers, NumberProblem):
        return Invalid(numbers.reason)

    signals: list[tuple[int, str]] = [(v, f"label {name}") for v, name in labels.found]
    signals += [(v, "emoji") for v in emoji_values]
    if scale.max > STAR_SCALE_MAX and (
        (stars is not None and stars.out_of is None) or _STAR_WORD.search(cleaned)
    ):
        # "⭐⭐⭐⭐⭐" or "5 sterren" is a top rating out of five, not a 5 on a 0-10 scale.
        return Invalid(f"a star rating is out of {STAR_SCALE_MAX}; this scale goes to {scale.max}")
    if stars is not None:
        if stars.out_of is not None and stars.out_of != scale.max:
            return Invalid(f"stars out of {stars.out_of}, but the scale goes to {scale.max}")
        # A lone star next to a number is a unit ("4 ⭐"), not a rating of one.
        if not (stars.filled == 1 and stars.out_of is None and numbers.values):
            signals.append((stars.filled, "stars"))
    if signals and labels.stray_negator:
        return Invalid(f"'{labels.stray_negator}' makes the answer unclear")
    outcome = _decide(numbers.values, signals, scale, counts=numbers.quantities)
    if not isinstance(outcome, Answer):
        return outcome
    for i in numbers.at:
        used[i] = True
    accounted = account(
        tokens, used, roles, lex, has_label=bool(labels.found), has_count=bool(numbers.quantities)
    )
    if isinstance(accounted, str):
        return Invalid(accounted)
    reason = tail_sentiment(all_tokens[len(tokens) :], lex) if tail else None
    disagreement = _asked_back(tokens, numbers.at, roles) or _sentiment_problem(
        _with_emoji(accounted, other_emoji), reason, outcome.value, scale
    )
    if disagreement:
        return Invalid(disagreement)
    rule = "; ".join([outcome.rule, *notes, *([tail] if tail else [])])
    return Answer(outcome.value, rule=rule, words=_word_roles(tokens, roles) + other_emoji.roles)


_SENTENCE_END = frozenset({".", "!", "?", ";"})


def _asked_back(tokens: list[Token], numbers_at: list[int], roles: dict[int, str]) -> str | None:
    """ "7?", "is een 8 goed?": the customer asks whether that score is right; not an answer yet."""
    for start in [*numbers_at, *(i for i, role in roles.items() if role == "label")]:
        for token in tokens[start + 1 :]:
            if token.kind == "sym" and token.text in _SENTENCE_END:
                if token.text == "?":
                    return f"a question, not an answer: '{tokens[start].text}?'"
                break
    return None


def _with_emoji(accounted: Accounted, emoji: Emoji) -> Accounted:
    """ "1 😍", "10 😡": an emoji's sentiment must agree with the score like a word's."""
    if emoji.praise is None and emoji.complaint is None:
        return accounted
    praise = accounted.praise or emoji.praise
    complaint = accounted.complaint or emoji.complaint
    return Accounted((praise is not None) - (complaint is not None), praise, complaint)


def _surface_problem(cleaned: str, channel: str) -> str | None:
    if not cleaned.strip():
        return "empty answer"
    if _STRIKETHROUGH.search(cleaned):
        return "strikethrough text"
    if CHANNELS.is_voice(channel) and "*" in cleaned:
        return "the * key is not an answer"
    mark = _GRADE_MARK.search(cleaned)
    if mark:
        return f"a grade mark on a word ('{mark.group()[1:]}') has no defined effect"
    return None


def _sentiment_problem(
    accounted: Accounted, reason: Accounted | None, value: int, scale: Scale
) -> str | None:
    """Praise beside a low score, or a complaint beside a high one, is a contradiction.

    A reason clause ("9, want het was slecht") must agree as well.
    """
    if reason is not None:
        found = _sentiment_problem(reason, None, value, scale)
        if found:
            return found
    if accounted.praise is None and accounted.complaint is None:
        return None
    twice = 2 * scale.goodness(value)
    middle2 = scale.min + scale.max
    if accounted.praise is not None and twice <= middle2:
        return f"contradiction: '{accounted.praise}' with {value}, in the lower half of the scale"
    if accounted.complaint is not None and twice >= middle2:
        return f"contradiction: '{accounted.complaint}' with {value}, in the upper half"
    return None


def _word_roles(tokens: list[Token], roles: dict[int, str]) -> tuple[tuple[str, str], ...]:
    return tuple((tokens[i].text, roles[i]) for i in sorted(roles) if tokens[i].kind != "sym")


def _decide(
    numbers: list[int], signals: list[tuple[int, str]], scale: Scale, *, counts: int = 0
) -> Outcome:
    """One distinct value across numbers, labels, emoji and stars, inside the scale."""
    distinct_numbers = sorted(set(numbers))
    if len(distinct_numbers) > 1:
        shown = ", ".join(str(n) for n in distinct_numbers)
        return Invalid(f"ambiguous: more than one number ({shown})")
    named: dict[int, str] = {n: str(n) for n in distinct_numbers}
    for value, source in signals:
        named.setdefault(value, f"{source} ({value})")
    if not named and counts:  # "10 mn", "3 dgn gewacht": how long or how often, not a score
        return Invalid("a count or duration with its unit, not a score")
    if not named:
        return Invalid("no number or answer label found")
    if len(named) > 1:
        shown = " vs ".join(named.values())
        if not numbers and all(source.startswith("label") for _, source in signals):
            return Invalid(f"ambiguous: more than one label: {shown}")
        return Invalid(f"contradiction: {shown}")
    value = next(iter(named))
    sources = [f"number {n}" for n in distinct_numbers] + [s for _, s in signals]
    return _in_scale(value, scale, " = ".join(dict.fromkeys(sources)))
