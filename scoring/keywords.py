"""Whole-message keywords: opt-out, opt-in and help, in Dutch and English.

A keyword only counts as the whole message (case, accents, punctuation, a leading "/" and
politeness words ignored): "stop" opts out, "stop met die 8" does not. Twilio's own SMS keywords
(STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE; START, UNSTOP; HELP, INFO) are
all here so that we agree with what the carrier already did.

Opt-outs are data (`scoring/lexicons/*.toml`, `[optout]`): the keywords, and natural-language
phrases ("haal me van de lijst", "stop sending me these") that opt out when the rest of the
message is only opt-out filler ("ik wil", "please", "from your list") and it has no digit.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from scoring.lexicon import lexicon

# Longer messages are never a bare keyword; the cap keeps this cheap for huge inputs.
_MAX_KEYWORD_CHARS = 80
_TELEGRAM_COMMAND = re.compile(r"^\s*/(\w+)@\w+")  # "/stop@SurveyBot" -> "/stop"
_APOSTROPHES = re.compile("['\u2018\u2019\u02bc`\u00b4]")
_WORD = re.compile(r"[^\W_]+")
_DIGIT = re.compile(r"\d")
_POLITE = frozenset(
    {"please", "pls", "plz", "thanks", "thank", "you", "aub", "alsjeblieft", "alstublieft", "graag"}
)

# Not "yes": Twilio counts it as opt-in, but here "yes" is far more likely a (bad) answer.
OPTIN_KEYWORDS = frozenset(
    {"start", "unstop", "aanmelden", "inschrijven", "optin", "opt in", "meld me aan"}
)
HELP_KEYWORDS = frozenset({"help", "info", "hulp", "helpen", "informatie"})


def keyword_form(text: object) -> str:
    """The message reduced to lowercase words without accents, punctuation or politeness."""
    if not isinstance(text, str) or len(text) > _MAX_KEYWORD_CHARS:
        return ""
    return _keyword_form(text)


# Every answer asks three times (opt-out, opt-in, help); most answers are a few short texts.
@functools.lru_cache(maxsize=512)
def _keyword_form(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold()
    text = _TELEGRAM_COMMAND.sub(r"/\1", text)
    return " ".join(keyword_words(_WORD.findall(_APOSTROPHES.sub("", text))))


def keyword_words(words: Iterable[str]) -> list[str]:
    """The words without politeness words and repeats: "STOP STOP STOP" is still "stop"."""
    kept: list[str] = []
    for word in words:
        if word not in _POLITE and (not kept or kept[-1] != word):
            kept.append(word)
    return kept


def optout_phrase(text: str) -> str | None:
    """The keyword or phrase with which the whole message asks us to stop, if it does."""
    form = keyword_form(text)
    return optout_in_words(form.split()) if form else None


def optout_in_words(words: list[str]) -> str | None:
    """`optout_phrase` on the message's words, already folded and without politeness words."""
    lex = lexicon()
    form = " ".join(words)
    if form in lex.optout_keywords:
        return form
    if _DIGIT.search(form):
        return None  # "8, en stop" carries a score: never read it as only an opt-out
    for start, word in enumerate(words):
        for phrase in lex.optout_by_first.get(word, ()):
            end = start + len(phrase)
            if tuple(words[start:end]) == phrase:
                rest = words[:start] + words[end:]
                if all(w in lex.optout_fillers for w in rest):
                    return " ".join(phrase)
    return None


def is_optout(text: str) -> bool:
    """The whole message asks us to stop (STOP, afmelden, "haal me van de lijst", /stop, ...)."""
    return optout_phrase(text) is not None


def is_optin(text: str) -> bool:
    """The whole message asks to be contacted again (START, UNSTOP, AANMELDEN, ...)."""
    return keyword_form(text) in OPTIN_KEYWORDS


def is_help(text: str) -> bool:
    """The whole message asks for help (HELP, INFO, HULP, /help)."""
    return keyword_form(text) in HELP_KEYWORDS
