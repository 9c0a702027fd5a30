"""One answer normaliser for every channel: raw text onto the flow's scale, or why not.

The rule is: never a wrong value. When an answer could mean two points, it is Invalid and the
engine asks again. Every reason is a short English sentence for logs and the CLI.

Order of the rules:
1. Longer than 500 characters is Invalid; a whole-message opt-out word (STOP, afmelden, /stop,
   "stop met bellen", see `keywords`) is an OptOut on every scale.
2. Scale labels, aliases and emoji (`label_match`), star runs (`star_runs`) and numbers in
   digits or words (`number_words`) each name zero or more points.
3. Exactly one distinct point inside the scale is an Answer; none, several, or one outside
   the scale is Invalid. The same point named twice ("tevreden, 4") is fine.

The judgement calls, each refusing rather than guessing:
- "een" before a word or number is the article ("een 8" is 8); alone, or counting ("een
  ster"), it is 1; with nothing after it inside a longer answer it is Invalid. "één" is 1.
- "not X" is the opposite point only for the plain positive whose opposite is the same word
  negated ("niet tevreden" = "ontevreden", "not agree" = "disagree"). Negated extremes, the
  midpoint, negative labels ("niet ontevreden") and intensified negation are Invalid.
- A degree word right next to a label ("erg tevreden", "agree strongly") is Invalid.
- "x/N", "x out of N", "x uit/van (de)/op N" drop N only when N is the scale maximum; another
  N is Invalid (never rescaled). Dutch "of" means "or", so "9 of 10" is two numbers.
- Decimals, fractions, signs, ranges, percentages, ordinals and bounds ("meer dan 7",
  "at least 7", "8 of meer", "niet 8") are Invalid.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

from scoring.answer_tokens import clean, has_fraction_char, tokenise
from scoring.channels import CHANNELS, Channel
from scoring.keywords import is_help, is_optin, is_optout
from scoring.label_match import label_index, match_labels, take_emoji
from scoring.number_words import NumberProblem, find_numbers
from scoring.scales import Scale
from scoring.star_runs import StarProblem, take_stars

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
NORMALISER_VERSION = "2026.11.2"
MAX_ANSWER_CHARS = 500
_MAX_REASON_CHARS = 120  # reasons quote bits of the answer; keep log lines short

_log = logging.getLogger(__name__)
# The common case, a bare number ("7", " 8. ", "10!", "1#"), skips everything else.
_PLAIN_NUMBER = re.compile(r"\s*(\d{1,3})\s*[.!#]?\s*")
# WhatsApp/Telegram strikethrough: "~7~ 8" takes 7 back; too subtle to guess about.
STAR_SCALE_MAX = 5
_STAR_WORD = re.compile(r"\b(?:sterren|ster|stars?)\b", re.IGNORECASE)
_STRIKETHROUGH = re.compile(r"~[^~\s][^~]*~")


@dataclass(frozen=True, slots=True)
class Answer:
    value: int
    outcome: Literal["answer"] = "answer"


@dataclass(frozen=True, slots=True)
class Invalid:
    reason: str
    outcome: Literal["invalid"] = "invalid"


@dataclass(frozen=True, slots=True)
class OptOut:
    outcome: Literal["optout"] = "optout"


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
    if isinstance(outcome, Invalid) and len(outcome.reason) > _MAX_REASON_CHARS:
        return Invalid(outcome.reason[: _MAX_REASON_CHARS - 3] + "...")
    return outcome


def outcome_json(o: Outcome) -> dict[str, object]:
    """The outcome as stored and shown: {"outcome": "answer", "value": 9} and so on."""
    if isinstance(o, Answer):
        return {"outcome": o.outcome, "value": o.value}
    if isinstance(o, Invalid):
        return {"outcome": o.outcome, "reason": o.reason}
    return {"outcome": o.outcome}


def _in_scale(value: int, scale: Scale) -> Outcome:
    if scale.contains(value):
        return Answer(value)
    shown = str(value) if abs(value) < 10**9 else f"a {len(str(abs(value)))}-digit number"
    return Invalid(f"out of range: {shown} is not in {scale.min}..{scale.max}")


def _normalise(text: object, scale: Scale, locale: str, channel: str) -> Outcome:
    if not isinstance(text, str):
        return Invalid("answer is not text")
    if len(text) > MAX_ANSWER_CHARS:
        return Invalid(f"too long: {len(text)} characters (limit {MAX_ANSWER_CHARS})")
    if is_optout(text):
        return OptOut()
    plain = _PLAIN_NUMBER.fullmatch(text)
    if plain:
        return _in_scale(int(plain.group(1)), scale)
    if has_fraction_char(text):
        return Invalid("fraction, not a whole score")
    cleaned = clean(text)
    if not cleaned.strip():
        return Invalid("empty answer")
    if _STRIKETHROUGH.search(cleaned):
        return Invalid("strikethrough text")
    if "*" in cleaned and CHANNELS.is_voice(channel):
        return Invalid("the * key is not an answer")

    index = label_index(scale, locale)
    emoji_values, cleaned = take_emoji(cleaned, index)
    stars, cleaned = take_stars(cleaned)
    if isinstance(stars, StarProblem):
        return Invalid(f"stars: {stars.reason}")
    tokens = tokenise(cleaned)
    labels, used = match_labels(tokens, index, scale)
    if labels.problem:
        return Invalid(labels.problem)
    numbers = find_numbers(tokens, used, scale, locale)
    if isinstance(numbers, NumberProblem):
        return Invalid(numbers.reason)

    signals: list[tuple[int, str]] = [(v, f"'{name}'") for v, name in labels.found]
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
        if not (stars.filled == 1 and stars.out_of is None and numbers):
            signals.append((stars.filled, "stars"))
    if signals and labels.stray_negator:
        return Invalid(f"'{labels.stray_negator}' makes the answer unclear")
    return _decide(numbers, signals, scale)


def _decide(numbers: list[int], signals: list[tuple[int, str]], scale: Scale) -> Outcome:
    """One distinct value across numbers, labels, emoji and stars, inside the scale."""
    distinct_numbers = sorted(set(numbers))
    if len(distinct_numbers) > 1:
        shown = ", ".join(str(n) for n in distinct_numbers)
        return Invalid(f"ambiguous: more than one number ({shown})")
    named: dict[int, str] = {n: str(n) for n in distinct_numbers}
    for value, source in signals:
        named.setdefault(value, f"{source} ({value})")
    if not named:
        return Invalid("no number or answer label found")
    if len(named) > 1:
        shown = " vs ".join(named.values())
        if not numbers and all(source.startswith("'") for _, source in signals):
            return Invalid(f"ambiguous: more than one label: {shown}")
        return Invalid(f"contradiction: {shown}")
    return _in_scale(next(iter(named)), scale)
