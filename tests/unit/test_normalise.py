"""The answer normaliser, one behaviour per test: never a wrong value, invalid over a guess."""

from __future__ import annotations

import pytest

from scoring.channels import Channel
from scoring.normalise import (
    NORMALISER_VERSION,
    Answer,
    Invalid,
    OptOut,
    Outcome,
    is_help,
    is_optin,
    is_optout,
    normalise,
    outcome_json,
)
from scoring.scales import Scale, ScalePoint
from tests.unit.scale_factories import ces, ces_effort, csat, faces, nps, numeric

NPS = nps()
CSAT = csat()
CES = ces()


def value_of(text: str, scale: Scale = NPS, locale: str = "nl", channel: str = "sms") -> int | str:
    """The answer's value, or its outcome name when it is not an answer."""
    outcome = normalise(text, scale, locale=locale, channel=channel)
    return outcome.value if isinstance(outcome, Answer) else outcome.outcome


def reason_of(text: str, scale: Scale = NPS, locale: str = "nl") -> str:
    outcome = normalise(text, scale, locale=locale)
    assert isinstance(outcome, Invalid), outcome
    return outcome.reason


# --- the public shapes -------------------------------------------------------------------


def test_version_is_a_dated_string() -> None:
    """The version stored with each response looks like 2026.11.1."""
    year, month, serial = NORMALISER_VERSION.split(".")
    assert len(year) == 4
    assert 1 <= int(month) <= 12
    assert int(serial) >= 1


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (Answer(9), {"outcome": "answer", "value": 9}),
        (Invalid("no number"), {"outcome": "invalid", "reason": "no number"}),
        (OptOut(), {"outcome": "optout"}),
    ],
)
def test_outcome_json_has_one_shape_per_outcome(
    outcome: Outcome, expected: dict[str, object]
) -> None:
    """outcome_json gives the stored JSON for each outcome."""
    assert outcome_json(outcome) == expected


def test_channel_may_be_the_enum_or_its_value() -> None:
    """Channel.VOICE and "voice" behave the same."""
    assert normalise("7", NPS, channel=Channel.VOICE) == normalise("7", NPS, channel="voice")


def test_unknown_locale_and_channel_do_not_raise() -> None:
    """A locale or channel we do not know still gets an answer."""
    assert value_of("zeven", NPS, locale="de", channel="pigeon") == 7


# --- digits with noise -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9", 9), (" 8. ", 8), ("10!", 10), ("Score: 8", 8), ("*8*", 8), ("ik geef een 7", 7)],
)
def test_digits_with_punctuation_and_words_around_them(text: str, expected: int) -> None:
    """Punctuation, WhatsApp bold and filler words around one number are fine."""
    assert value_of(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("een 8", 8), ("een zes", 6), ("een 9!", 9)])
def test_dutch_article_een_is_not_the_number_one(text: str, expected: int) -> None:
    """ "een" before a number is the article, not a second number."""
    assert value_of(text) == expected


def test_article_een_inside_a_sentence_is_not_the_number_one() -> None:
    """ "ik geef jullie een zes" is 6."""
    assert value_of("ik geef jullie een zes") == 6


@pytest.mark.parametrize("text", ["een", "Een.", "één", "ÉÉN", "een ster", "one", "one star"])
def test_een_or_one_alone_or_counted_is_one(text: str) -> None:
    """Alone, accented, or counting stars, "een"/"one" means 1."""
    scale = CSAT if "st" in text else NPS  # a star count only reads on a five-point scale
    assert value_of(text, scale, locale="en" if "one" in text else "nl") == 1


@pytest.mark.parametrize("text", ["ik geef jullie een", "een, twee", "8, een", "goed een"])
def test_een_without_a_noun_after_it_is_invalid(text: str) -> None:
    """ "een" with nothing after it could be the article or 1: refuse."""
    assert value_of(text) == "invalid"


@pytest.mark.parametrize("text", ["a good one", "this one"])
def test_english_pronoun_one_is_not_a_number(text: str) -> None:
    """ "a good one" says nothing about the score."""
    assert value_of(text, locale="en") == "invalid"


@pytest.mark.parametrize("text", ["this one is a 9", "a 10 for one agent", "10, one"])
def test_one_beside_another_number_is_never_a_filler(text: str) -> None:
    """ "one" could be a second number ("a 10 for one agent"): refuse rather than drop it."""
    assert value_of(text, locale="en") == "invalid"


def test_een_after_a_number_counts_as_a_second_number() -> None:
    """ "acht een" is two numbers, not 8."""
    assert value_of("acht een") == "invalid"


# --- number words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("Zeven", "nl", 7),
        ("tien", "nl", 10),
        ("nul", "nl", 0),
        ("six", "en", 6),
        ("Ten.", "en", 10),
        ("Nine.", "en", 9),
        ("Negen.", "nl", 9),
        ("seven", "nl", 7),
        ("zeven", "en", 7),
    ],
)
def test_number_words_in_either_language(text: str, locale: str, expected: int) -> None:
    """Dutch and English number words work whatever the flow's locale."""
    assert value_of(text, locale=locale) == expected


@pytest.mark.parametrize("text", ["eenentwintig", "tweeëntwintig", "twenty one", "twenty-one"])
def test_compound_number_words_are_one_number(text: str) -> None:
    """Compounds go through text2num whole and land out of range, not on a part."""
    assert reason_of(text).startswith("out of range")


@pytest.mark.parametrize(
    ("text", "expected"), [("twenty one", 21), ("een en twintig", 21), ("drie en twintig", 23)]
)
def test_compound_number_words_on_a_wide_scale(text: str, expected: int) -> None:
    """On a 0-100 scale the compound is the answer, never one of its parts."""
    assert value_of(text, numeric(0, 100)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "probably a seven", "perhaps 8", "7 maybe", "hmm maybe 6", "it could have been a 10",
        "would have been a 10", "it had been a 10", "misschien een 7", "waarschijnlijk een 8",
        "kan een 9 zijn", "zou een 8 kunnen zijn", "het had een 10 kunnen zijn",
    ],
)  # fmt: skip
def test_hedges_and_hypotheticals_are_invalid(text: str) -> None:
    """A guess or a counterfactual is not a score the customer gives."""
    assert value_of(text) == "invalid"


@pytest.mark.parametrize(
    "text", ["7?", "een 8?", "is 7 goed?", "7/10?", "8 ?", "is een 6 goed genoeg?", "a 9?"]
)
def test_a_score_asked_back_as_a_question_is_invalid(text: str) -> None:
    """ "7?" asks whether 7 is right; the customer has not answered yet."""
    assert value_of(text) == "invalid"


@pytest.mark.parametrize("text", ["8!", "8.", "8. Top!", "9; prima geholpen"])
def test_a_score_ending_its_sentence_otherwise_still_counts(text: str) -> None:
    assert value_of(text) in {8, 9}


def test_lone_letter_o_is_not_zero() -> None:
    """text2num reads "o" as zero; alone it is an exclamation."""
    assert value_of("o") == "invalid"


# --- out of / denominators ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9/10", 9),
        ("8 / 10", 8),
        ("eight out of ten", 8),
        ("8 out of 10", 8),
        ("7 uit 10", 7),
        ("7 van de 10", 7),
        ("8 op 10", 8),
        ("10/10", 10),
        ("one out of ten", 1),
    ],
)
def test_denominator_equal_to_scale_max_is_not_a_second_number(text: str, expected: int) -> None:
    """ "x out of max" is x."""
    assert value_of(text, locale="en") == expected


@pytest.mark.parametrize(("text", "scale"), [("4/5", NPS), ("8/10", CSAT), ("7 uit 8", NPS)])
def test_denominator_other_than_scale_max_is_invalid(text: str, scale: Scale) -> None:
    """We never rescale: 4/5 on 0-10 is not 8."""
    assert "denominator" in reason_of(text, scale)


def test_dutch_of_between_numbers_means_or() -> None:
    """ "9 of 10" is Dutch for "9 or 10", so it is ambiguous, not 9."""
    assert value_of("9 of 10") == "invalid"


# --- symbols: keycaps, fullwidth, stars ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7\ufe0f\u20e3", 7), ("7\u20e3", 7), ("🔟", 10), ("1\ufe0f\u20e30\ufe0f\u20e3", 10)],
)
def test_keycap_emoji_are_digits(text: str, expected: int) -> None:
    """Keycaps (with or without VS16) and 🔟 are digits."""
    assert value_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("\uff15", 5), ("\uff11\uff10", 10), ("\u0667", 7), ("\u096d", 7)]
)
def test_unicode_decimal_digits_are_digits(text: str, expected: int) -> None:
    """Fullwidth, Arabic-Indic and Devanagari digits are read as numbers."""
    assert value_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("⭐⭐⭐⭐", 4),
        ("★★★", 3),
        ("⭐\ufe0f⭐\ufe0f", 2),
        ("⭐ ⭐ ⭐", 3),
        ("★★★☆☆", 3),
        ("🌟", 1),
    ],
)
def test_star_runs_count_the_stars(text: str, expected: int) -> None:
    """A run of star emoji is its length; empty stars show the maximum."""
    assert value_of(text, CSAT) == expected


@pytest.mark.parametrize("text", ["⭐⭐⭐⭐⭐", "⭐⭐⭐⭐⭐⭐⭐⭐", "5 stars", "vijf sterren"])
def test_star_rating_on_a_zero_to_ten_scale_is_refused(text: str) -> None:
    """Five stars is a top rating, not a 5 out of 10: on NPS, stars are never guessed at."""
    assert value_of(text, NPS) == "invalid"


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("10 minuten gewacht!", "nl"),
        ("waited 10 minutes", "en"),
        ("twee duimen omhoog", "nl"),
        ("top 3 service", "en"),
        ("In 1 woord: geweldig", "nl"),
        ("one of ten", "en"),
    ],
)
def test_a_count_or_rank_in_a_sentence_is_not_a_score(text: str, locale: str) -> None:
    """'10 minuten gewacht' counts minutes: taking 10 would store a promoter for a complaint."""
    assert value_of(text, NPS, locale=locale) == "invalid"


@pytest.mark.parametrize(
    "text",
    [
        "less than satisfied",
        "minder dan tevreden",
        "more than okay",
        "satisfied-ish",
    ],
)
def test_comparisons_intensifiers_and_suffixes_around_a_label_are_refused(text: str) -> None:
    """'less than satisfied' is not 'satisfied'; refuse rather than store the opposite."""
    assert value_of(text, CSAT, locale="en") == "invalid"


@pytest.mark.parametrize(
    ("text", "expected"), [("2 stars", 2), ("2 sterren", 2), ("4 ⭐", 4), ("4⭐", 4)]
)
def test_number_with_star_unit(text: str, expected: int) -> None:
    """A number with "stars" or a single star emoji is that number."""
    assert value_of(text, CSAT) == expected


@pytest.mark.parametrize("text", ["⭐⭐⭐ en ⭐", "★☆★", "★★★☆☆☆", "3 ⭐⭐"])
def test_confusing_star_runs_are_invalid(text: str) -> None:
    """Split runs, empty stars in the middle, a wrong total or a disagreeing number."""
    assert value_of(text, CSAT) == "invalid"


def test_too_many_stars_is_out_of_range() -> None:
    """Six stars on a five-point scale is not 5."""
    assert reason_of("⭐⭐⭐⭐⭐⭐", CSAT).startswith("out of range")


# --- labels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("Zeer tevreden!", "nl", 5),
        ("zeer ontevreden", "nl", 1),
        ("ontevreden", "nl", 2),
        ("Ontevreden.", "nl", 2),
        ("tevreden", "nl", 4),
        ("heel tevreden", "nl", 5),
        ("very dissatisfied", "en", 1),
        ("satisfied", "en", 4),
        ("neutral", "en", 3),
        ("neither satisfied nor dissatisfied", "en", 3),
        ("satisfied", "nl", 4),
        ("tevreden", "en", 4),
        ("ik ben zeer tevreden over jullie", "nl", 5),
    ],
)
def test_csat_labels_in_both_locales(text: str, locale: str, expected: int) -> None:
    """Labels and aliases match after folding case, accents and punctuation, in nl and en."""
    assert value_of(text, CSAT, locale) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("helemaal mee oneens", 1),
        ("mee oneens", 2),
        ("oneens", 2),
        ("enigszins mee oneens", 3),
        ("niet mee eens, niet mee oneens", 4),
        ("enigszins mee eens", 5),
        ("mee eens", 6),
        ("Helemaal mee eens.", 7),
        ("ik ben het er helemaal mee eens", 7),
        ("neither agree nor disagree", 4),
        ("somewhat disagree", 3),
        ("strongly agree", 7),
    ],
)
def test_longest_label_wins(text: str, expected: int) -> None:
    """ "helemaal mee oneens" is never "mee oneens", "ontevreden" never "tevreden"."""
    assert value_of(text, CES) == expected


def test_accents_do_not_matter_for_labels() -> None:
    """ "oke" matches the alias "oké"."""
    assert value_of("OKE", faces()) == 2


@pytest.mark.parametrize(
    ("text", "expected"), [("😍", 5), ("🙂", 4), ("☹️", 2), ("☹", 2), ("😡😡", 1)]
)
def test_point_emoji_match_their_point(text: str, expected: int) -> None:
    """Emoji listed on a point mean that point, with or without VS16, repeated or not."""
    assert value_of(text, CSAT) == expected


def test_label_and_agreeing_number_is_that_point() -> None:
    """ "tevreden, 4" agrees with itself."""
    assert value_of("tevreden, 4", CSAT) == 4


@pytest.mark.parametrize("text", ["tevreden 5", "😍 3", "zeer waarschijnlijk een 8"])
def test_number_plus_contradicting_label_is_invalid(text: str) -> None:
    """A label or emoji that disagrees with the number makes the answer invalid."""
    scale = NPS if "waarschijnlijk" in text else CSAT
    assert reason_of(text, scale).startswith("contradiction")


@pytest.mark.parametrize("text", ["on tevreden", "on-tevreden", "dis satisfied"])
def test_negative_prefix_typed_apart_is_not_the_positive_label(text: str) -> None:
    """ "on tevreden" is a typo for "ontevreden", never "tevreden"."""
    assert value_of(text, CSAT) != 4


def test_second_judgement_after_a_label_is_invalid() -> None:
    """ "het gaat wel goed" is not the alias "gaat wel"."""
    assert value_of("het gaat wel goed", CSAT) == "invalid"


def test_two_different_labels_are_invalid() -> None:
    """ "tevreden maar ook ontevreden" names two points."""
    assert reason_of("tevreden maar ook ontevreden", CSAT).startswith("ambiguous")


@pytest.mark.parametrize(
    "text", ["redelijk tevreden", "best tevreden", "quite satisfied", "amper mee eens"]
)
def test_degree_word_without_a_defined_point_is_invalid(text: str) -> None:
    """ "redelijk tevreden" could be 3 or 4: do not guess."""
    scale = CES if "eens" in text or "agree" in text else CSAT
    assert value_of(text, scale) == "invalid"


def test_digit_labels_are_left_to_the_number_rules() -> None:
    """NPS labels are "0".."10"; "-3" must not match the label "3"."""
    assert value_of("-3") == "invalid"


def stars_scale() -> Scale:
    """A custom scale whose labels contain digits."""
    points = [
        ScalePoint(value=v, label={"nl": f"{v} ster", "en": f"{v} star"}) for v in range(1, 4)
    ]
    return Scale(min=1, max=3, points=points)


@pytest.mark.parametrize(
    ("text", "expected"), [("2 ster", 2), ("2 STAR!", 2), ("-2 ster", "invalid")]
)
def test_digits_inside_labels_still_obey_the_number_rules(text: str, expected: int | str) -> None:
    """A label with a digit matches, but a sign before it still makes it invalid."""
    assert value_of(text, stars_scale()) == expected


def test_nps_end_aliases() -> None:
    """The NPS ends have word aliases."""
    assert value_of("not at all likely", locale="en") == 0
    assert value_of("zeer waarschijnlijk") == 10


# --- negation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("niet tevreden", 2),
        ("not satisfied", 2),
        ("ik ben niet tevreden", 2),
    ],
)
def test_not_plain_positive_is_its_opposite(text: str, expected: int) -> None:
    """ "niet tevreden" means "ontevreden"."""
    assert value_of(text, CSAT) == expected


@pytest.mark.parametrize(
    "text",
    [
        "niet zo tevreden", "niet al te tevreden", "not that satisfied", "not so satisfied",
        "not too satisfied", "nooit tevreden", "never satisfied", "nooit echt tevreden",
    ],
)  # fmt: skip
def test_softened_or_never_negation_is_invalid(text: str) -> None:
    """ "niet zo tevreden" is 2 or 3 and "never satisfied" says how often: refuse both."""
    assert value_of(text, CSAT) == "invalid"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("niet mee eens", 2), ("ik ben het er niet mee eens", 2), ("I don't agree", 2)],
)
def test_not_agree_is_disagree(text: str, expected: int) -> None:
    """ "niet mee eens" means "mee oneens"."""
    assert value_of(text, CES) == expected


@pytest.mark.parametrize(
    "text",
    [
        "niet ontevreden",
        "not dissatisfied",
        "not very satisfied",
        "niet zeer tevreden",
        "niet erg tevreden",
        "helemaal niet tevreden",
        "not satisfied at all",
        "not neutral",
        "niet echt tevreden",
    ],
)
def test_negation_that_could_mean_several_points_is_invalid(text: str) -> None:
    """Litotes, negated extremes, negated neutral and intensified negation are never guessed."""
    assert value_of(text, CSAT) == "invalid"


def test_negation_on_a_lower_is_better_scale_needs_a_true_opposite() -> None:
    """ "not low effort" is not quite "high effort"."""
    assert value_of("not low effort", ces_effort(), "en") == "invalid"


def test_negation_on_a_three_point_scale_is_invalid() -> None:
    """ "niet slecht" on three faces could be 2 or 3."""
    assert value_of("niet slecht", faces()) == "invalid"


def test_negation_label_is_a_label_not_a_negation() -> None:
    """ "niet goed" is a label of its own on the faces scale."""
    assert value_of("niet goed", faces()) == 1


@pytest.mark.parametrize("text", ["tevreden? niet echt", "nee, tevreden", "niet 🙂"])
def test_stray_negation_with_a_label_is_invalid(text: str) -> None:
    """A "niet" that is not attached to the label could still undo it."""
    assert value_of(text, CSAT) == "invalid"


def test_negated_number_is_invalid() -> None:
    """ "niet 8" is not 8."""
    assert value_of("niet 8") == "invalid"


@pytest.mark.parametrize("text", ["8 niet", "7 not", "10 geen", "8 beter"])
def test_negation_or_comparison_right_after_a_number_is_invalid(text: str) -> None:
    """ "8 niet" may take the 8 back."""
    assert value_of(text) == "invalid"


def test_unrelated_negation_next_to_a_number_is_fine() -> None:
    """ "niet slecht, een 8" is 8: the "niet" belongs to "slecht"."""
    assert value_of("niet slecht, een 8") == 8


# --- invalid numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["7 of 8", "6 of 7", "9 or 10", "7 en 8", "zes of zeven", "één, twee"]
)
def test_two_different_numbers_are_ambiguous(text: str) -> None:
    """Two different numbers are never resolved."""
    assert reason_of(text).startswith("ambiguous: more than one number")


def test_ambiguous_reason_names_the_numbers() -> None:
    """The reason says which numbers were seen."""
    assert reason_of("6 of 7") == "ambiguous: more than one number (6, 7)"


def test_the_same_number_twice_is_fine() -> None:
    """ "8, echt een 8" is still 8."""
    assert value_of("8, echt een 8") == 8


@pytest.mark.parametrize("text", ["7-8", "7 - 8", "7\u20138", "zes-zeven"])
def test_ranges_are_ambiguous(text: str) -> None:
    """A range names two points."""
    assert reason_of(text).startswith("ambiguous")


@pytest.mark.parametrize(
    "text", ["8,5", "7.5", "7,5", "8½", "zeven en een half", "acht komma acht", "eight point five"]
)
def test_decimals_and_fractions_are_invalid(text: str) -> None:
    """A scale point is a whole number; 7,5 is neither 7 nor 8."""
    assert value_of(text) == "invalid"


@pytest.mark.parametrize("text", ["-3", "- 3", "\u22123", "+7", "8+", "7-", "10+", "9 +"])
def test_signed_numbers_are_invalid(text: str) -> None:
    """Negative numbers and grade modifiers are not scale points."""
    assert value_of(text) == "invalid"


def test_dash_used_as_punctuation_is_fine() -> None:
    """ "top - 8" uses the dash as punctuation."""
    assert value_of("top - 8") == 8


@pytest.mark.parametrize(
    "text",
    [
        "meer dan 7",
        "minstens een 7",
        "at least 7",
        "8 of meer",
        "bijna een 9",
        "8%",
        "ten minste 7",
    ],
)
def test_bounds_are_not_scores(text: str) -> None:
    """ "more than 7" is a bound, not 7."""
    assert value_of(text) == "invalid"


@pytest.mark.parametrize("text", ["1st", "2e", "8punten", "a1"])
def test_numbers_glued_to_words_are_invalid(text: str) -> None:
    """Ordinals and codes are not scores."""
    assert value_of(text) == "invalid"


@pytest.mark.parametrize(
    ("text", "scale"), [("12", NPS), ("0", CES), ("7", CSAT), ("11", NPS), ("0612345678", NPS)]
)
def test_out_of_range_values_are_invalid(text: str, scale: Scale) -> None:
    """A number outside the scale is never clamped."""
    assert reason_of(text, scale).startswith("out of range")


@pytest.mark.parametrize("text", ["geen idee", "", "   ", "???", "weet ik niet", "\x00\x07"])
def test_no_number_is_invalid(text: str) -> None:
    """Noise without a number or label is invalid."""
    assert value_of(text) == "invalid"


def test_strikethrough_is_invalid() -> None:
    """ "~7~ 8" takes something back; too subtle to guess."""
    assert value_of("~7~ 8") == "invalid"


def test_overlong_answer_is_invalid() -> None:
    """More than 500 characters is refused before any parsing."""
    assert reason_of("8 " * 300).startswith("too long")


def test_invisible_characters_are_ignored() -> None:
    """Zero-width spaces and direction marks do not hide a number."""
    assert value_of("\u200b7\u200e") == 7


# --- voice ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [("10", 10), ("0", 0), ("1#", 1), ("7", 7)])
def test_voice_keypad_digits(text: str, expected: int) -> None:
    """Keypad digits, with a leaked finishOnKey '#', are the answer."""
    assert value_of(text, channel="voice") == expected


@pytest.mark.parametrize("text", ["*", "#", "", "*7", "7*"])
def test_voice_keypad_symbols_are_invalid(text: str) -> None:
    """'*', '#' and nothing are not answers."""
    assert value_of(text, channel="voice") == "invalid"


def test_hash_before_a_number_is_invalid() -> None:
    """ "#1" means "the best", not 1."""
    assert value_of("#1") == "invalid"


@pytest.mark.parametrize(
    ("text", "scale", "locale", "expected"),
    [
        ("Negen.", NPS, "nl", 9),
        ("Nine.", NPS, "en", 9),
        ("Zeven.", NPS, "nl", 7),
        ("Ten.", NPS, "en", 10),
        ("Helemaal mee eens.", CES, "nl", 7),
        ("Ontevreden.", CSAT, "nl", 2),
    ],
)
def test_voice_speech_results(text: str, scale: Scale, locale: str, expected: int) -> None:
    """Speech results with capitals and a full stop."""
    assert value_of(text, scale, locale, "voice") == expected


# --- keywords ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "Stop.",
        " stop! ",
        "afmelden",
        "UNSUBSCRIBE",
        "STOPALL",
        "stop all",
        "CANCEL",
        "END",
        "QUIT",
        "OPTOUT",
        "opt-out",
        "uitschrijven",
        "/stop",
        "/stop@SurveyBot",
        "stop alsjeblieft",
        "please stop",
        "STOP STOP",
        "\uff53\uff54\uff4f\uff50",
        "stop met bellen",
    ],
)
def test_whole_message_optout_words(text: str) -> None:
    """Opt-out words are recognised whatever the case and punctuation."""
    assert is_optout(text)


@pytest.mark.parametrize(
    "text", ["stop met die vragen, 8", "8 stop", "stoppen is geen optie, 9", "", "nonstop"]
)
def test_optout_word_inside_a_longer_message_is_not_optout(text: str) -> None:
    """Only the whole message counts."""
    assert not is_optout(text)


def test_optout_comes_before_the_scale() -> None:
    """STOP is an OptOut on every scale."""
    for scale in (NPS, CSAT, CES):
        assert normalise("Stop", scale) == OptOut()


@pytest.mark.parametrize("text", ["START", "unstop", "Aanmelden", "/start"])
def test_optin_words(text: str) -> None:
    """START, UNSTOP and AANMELDEN opt back in."""
    assert is_optin(text)


def test_yes_is_not_optin() -> None:
    """ "YES" is too likely a stray answer to count as opt-in."""
    assert not is_optin("YES")


@pytest.mark.parametrize("text", ["HELP", "info", "Help?", "hulp", "/help"])
def test_help_words(text: str) -> None:
    """HELP, INFO and the Dutch HULP ask for help."""
    assert is_help(text)


def test_help_is_not_an_answer() -> None:
    """normalise leaves help to the caller: it is just not a score."""
    assert value_of("HELP") == "invalid"


@pytest.mark.parametrize(
    "text",
    [
        "2 of 3 keer gebeld", "na 6 of 7 weken", "twee of drie keer doorverbonden",
        "4 a 5 dagen gewacht", "4 à 5 dagen gewacht", "1 op de 10 keer", "10 van de 10 keer",
        "1 in 10 times", "5 of 6 transfers", "3 in 4 calls", "1 of 2 agents",
    ],
)  # fmt: skip
def test_two_counts_of_one_unit_are_no_score(text: str) -> None:
    """ "2 of 3 keer" is a range of counts in Dutch and a ratio in English: never a 2."""
    assert value_of(text) == "invalid"
    assert value_of(text, CSAT) == "invalid"


@pytest.mark.parametrize("text", ["1 😍", "10 😡", "10 🤮", "10 🙁", "0 ❤️", "9 👎", "2 👍"])
def test_sentiment_emoji_against_the_score_is_a_contradiction(text: str) -> None:
    """An emoji on the other half of the scale is not dropped: "10 😡" is asked again."""
    assert reason_of(text).startswith("contradiction")


def test_agreeing_emoji_is_shown_in_the_explanation() -> None:
    """ "9 👍" is 9, and --explain says what the thumb did."""
    outcome = normalise("9 👍🏽", NPS)
    assert isinstance(outcome, Answer)
    assert outcome.value == 9
    assert ("👍", "praise emoji") in outcome.words


def test_unknown_emoji_is_invalid_like_an_unknown_word() -> None:
    """An emoji no list names may mean anything: refuse rather than drop it."""
    assert reason_of("9 🦄").startswith("unknown emoji")


def test_emoji_sentiment_follows_the_scale_direction() -> None:
    """On "how much effort?" much effort is bad, so an angry face agrees with it."""
    assert value_of("veel moeite 😡", ces_effort()) == 6
    assert value_of("veel moeite 👍", ces_effort()) == "invalid"


@pytest.mark.parametrize("text", ["satisfied+", "satisfied-", "satisfied++", "tevreden+"])
def test_grade_mark_on_a_label_is_invalid(text: str) -> None:
    """ "satisfied+" has no defined point, as "8-" has none: refuse."""
    assert reason_of(text, CSAT).startswith("a grade mark")


@pytest.mark.parametrize("text", ["10 :(", "1 :)", "10 :-(", "2 <3"])
def test_typed_emoticon_against_the_score_is_a_contradiction(text: str) -> None:
    """A typed sad face beside a 10 is not dropped: the answer is asked again."""
    assert reason_of(text).startswith("contradiction")


@pytest.mark.parametrize("text", ["10 mn", "10 mins", "3 dgn gewacht", "2 u"])
def test_a_bare_duration_is_no_score(text: str) -> None:
    """ "10 mn" is ten minutes, not a 10: asked again, and the reason says why."""
    assert reason_of(text).startswith("a count or duration")


def test_unit_abbreviation_beside_a_score_is_a_count() -> None:
    """ "10 min gewacht, 8" is 8: the 10 is minutes."""
    assert value_of("10 min gewacht, 8") == 8
