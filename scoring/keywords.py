"""Whole-message keywords: opt-out, opt-in and help, in Dutch and English.

A keyword only counts as the whole message (case, accents, punctuation, a leading "/" and
politeness words ignored): "stop" opts out, "stop met die 8" does not. Twilio's own SMS keywords
(STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE; START, UNSTOP; HELP, INFO) are
all here so that we agree with what the carrier already did.
"""

from __future__ import annotations

import re
import unicodedata

# Longer messages are never a bare keyword; the cap keeps this cheap for huge inputs.
_MAX_KEYWORD_CHARS = 80
_TELEGRAM_COMMAND = re.compile(r"^\s*/(\w+)@\w+")  # "/stop@SurveyBot" -> "/stop"
_APOSTROPHES = re.compile("['\u2018\u2019\u02bc`\u00b4]")
_WORD = re.compile(r"[^\W_]+")
_POLITE = frozenset(
    {"please", "pls", "plz", "thanks", "thank", "you", "aub", "alsjeblieft", "alstublieft", "graag"}
)

OPTOUT_KEYWORDS = frozenset(
    {
        # carrier / Twilio standard
        "stop",
        "stopall",
        "stop all",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "optout",
        "opt out",
        "revoke",
        # Dutch
        "afmelden",
        "uitschrijven",
        "stoppen",
        "opzeggen",
        "meld me af",
        "meld mij af",
        "schrijf me uit",
        "schrijf mij uit",
        # Explicit "stop contacting me": unmistakable, and ignoring them would be rude.
        "stop met bellen",
        "stop met smsen",
        "stop met sms",
        "stop met berichten",
        "stop met appen",
        "niet meer bellen",
        "bel me niet meer",
        "bel mij niet meer",
        "stop calling",
        "stop calling me",
        "stop texting",
        "stop texting me",
        "stop messaging me",
        "dont call me",
        "do not call me",
        "dont text me",
        "do not text me",
        "dont contact me",
        "do not contact me",
    }
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
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold()
    text = _TELEGRAM_COMMAND.sub(r"/\1", text)
    words = _WORD.findall(_APOSTROPHES.sub("", text))
    kept: list[str] = []
    for word in words:
        # "STOP STOP STOP" is still just "stop".
        if word not in _POLITE and (not kept or kept[-1] != word):
            kept.append(word)
    return " ".join(kept)


def is_optout(text: str) -> bool:
    """The whole message asks us to stop (STOP, afmelden, UNSUBSCRIBE, /stop, ...)."""
    return keyword_form(text) in OPTOUT_KEYWORDS


def is_optin(text: str) -> bool:
    """The whole message asks to be contacted again (START, UNSTOP, AANMELDEN, ...)."""
    return keyword_form(text) in OPTIN_KEYWORDS


def is_help(text: str) -> bool:
    """The whole message asks for help (HELP, INFO, HULP, /help)."""
    return keyword_form(text) in HELP_KEYWORDS
