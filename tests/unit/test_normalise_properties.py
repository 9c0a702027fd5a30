"""Properties of the normaliser that must hold for any input."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bots.channels import BUILT_IN
from flows.loader import load_bundled_flows
from scoring.label_match import label_index
from scoring.lexicon import lexicon
from scoring.normalise import Answer, Invalid, OptOut, normalise
from scoring.scales import Scale
from scoring.typos import NUMBER_WORDS
from tests.unit.scale_factories import ces, ces_effort, csat, faces, nps, numeric

SCALES = [nps(), csat(), ces(), ces_effort(), faces()]
LOCALES = ["nl", "en"]
CHANNELS = [spec.name for spec in BUILT_IN]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of real answers, so that random combinations reach the interesting rules.
DENOMINATOR_ENDINGS = ["/", " uit", " van", " op", " de", " of", " outta"]
VOCABULARY = [
    *(str(n) for n in range(-2, 13)),
    *["een", "één", "one", "zes", "zeven", "acht", "negen", "tien", "ten", "twenty", "o"],
    *["niet", "not", "geen", "zo", "heel", "erg", "helemaal", "very", "really", "at", "all"],
    *["tevreden", "ontevreden", "zeer", "mee", "eens", "oneens", "agree", "disagree"],
    *["satisfied", "dissatisfied", "neutraal", "neutral", "goed", "slecht", "moeite"],
    *["out", "of", "uit", "van", "de", "op", "or", "en", "meer", "dan", "half", "stars"],
    *["/", "-", "+", ",", ".", "!", "?", "#", "*", "%", "~", "⭐", "★", "☆", "😍", "🙂"],
    *["7\ufe0f\u20e3", "🔟", "\uff15", "\u200b", "\ufe0f", "\x00", "½"],
]
phrases = st.lists(st.sampled_from(VOCABULARY), max_size=8).map(" ".join)
glued = st.lists(st.sampled_from(VOCABULARY), max_size=6).map("".join)
anything = st.one_of(st.text(max_size=60), phrases, glued, st.text(min_size=490, max_size=520))


@st.composite
def numeric_scales(draw: st.DrawFn) -> Scale:
    low = draw(st.integers(-10, 10))
    return numeric(low, low + draw(st.integers(1, 100)))


@st.composite
def labelled_phrases(draw: st.DrawFn) -> tuple[Scale, str, str, int]:
    """A scale, a locale, one of its labels or aliases in that locale, and its point."""
    scale = draw(st.sampled_from(SCALES))
    point = draw(st.sampled_from(scale.points))
    locale = draw(st.sampled_from(LOCALES))
    phrase = draw(st.sampled_from([point.label[locale], *point.aliases.get(locale, [])]))
    return scale, locale, phrase, point.value


def assert_sound(outcome: object, scale: Scale) -> None:
    assert isinstance(outcome, Answer | Invalid | OptOut)
    if isinstance(outcome, Answer):
        assert scale.contains(outcome.value)
    if isinstance(outcome, Invalid):
        assert outcome.reason
        assert not outcome.reason.startswith("internal error"), "the normaliser raised"


@FAST
@given(
    text=anything,
    scale=st.sampled_from(SCALES),
    locale=st.sampled_from(LOCALES),
    channel=st.sampled_from(CHANNELS),
)
def test_no_input_crashes_and_answers_stay_in_scale(
    text: str, scale: Scale, locale: str, channel: str
) -> None:
    """Any text gives an outcome without raising, and every Answer lies inside the scale."""
    assert_sound(normalise(text, scale, locale=locale, channel=channel), scale)


@FAST
@given(text=anything, scale=numeric_scales())
def test_unlabelled_scales_are_sound_too(text: str, scale: Scale) -> None:
    """Scales without labels, including negative ones, obey the same rules."""
    assert_sound(normalise(text, scale), scale)


@FAST
@given(data=st.data(), scale=st.one_of(st.sampled_from(SCALES), numeric_scales()))
def test_every_in_range_integer_is_itself(data: st.DataObject, scale: Scale) -> None:
    """str(n) normalises to n for every n on the scale, on every channel."""
    n = data.draw(st.integers(scale.min, scale.max))
    channel = data.draw(st.sampled_from(CHANNELS))
    assert normalise(str(n), scale, channel=channel) == Answer(n)


@FAST
@given(data=st.data(), scale=st.one_of(st.sampled_from(SCALES), numeric_scales()))
def test_out_of_range_integers_are_invalid(data: st.DataObject, scale: Scale) -> None:
    """No number outside the scale is ever clamped onto it."""
    n = data.draw(st.one_of(st.integers(scale.max + 1, 10_000), st.integers(0, 10_000)))
    if not scale.contains(n):
        assert isinstance(normalise(str(n), scale), Invalid)


@FAST
@given(
    labelled=labelled_phrases(),
    answer_locale=st.sampled_from(LOCALES),
    case=st.sampled_from([str.lower, str.upper, str.title, str.capitalize]),
    end=st.sampled_from(["", ".", "!", " ", "!!"]),
)
def test_each_label_is_its_point(
    labelled: tuple[Scale, str, str, int], answer_locale: str, case: object, end: str
) -> None:
    """Every label and alias, in any case and with end punctuation, is its own point."""
    scale, _label_locale, phrase, value = labelled
    assert callable(case)
    text = case(phrase) + end
    assert normalise(text, scale, locale=answer_locale) == Answer(value)


@FAST
@given(labelled=labelled_phrases(), end=st.sampled_from(["?", " ?", "??", "?!"]))
def test_each_label_asked_back_as_a_question_is_invalid(
    labelled: tuple[Scale, str, str, int], end: str
) -> None:
    """ "Tevreden?" or "7?" asks whether that is the right answer: a re-prompt, not a score."""
    scale, label_locale, phrase, _value = labelled
    assert isinstance(normalise(phrase + end, scale, locale=label_locale), Invalid)


@FAST
@given(text=phrases, scale=st.sampled_from(SCALES), data=st.data())
def test_a_second_different_number_never_keeps_the_first_answer(
    text: str, scale: Scale, data: st.DataObject
) -> None:
    """If "X" is the answer v, then "X w" for another number w is not v."""
    first = normalise(text, scale)
    if not isinstance(first, Answer):
        return
    # "een /" then "3" reads "een / 3": one out of three, a denominator and not a second score.
    assume(not text.rstrip().endswith(tuple(DENOMINATOR_ENDINGS)))
    other = data.draw(st.integers(scale.min, scale.max).filter(lambda w: w != first.value))
    separator = data.draw(st.sampled_from([" ", ", ", " of ", " or ", " en "]))
    assert normalise(f"{text}{separator}{other}", scale) != first


def _vocabulary() -> list[str]:
    """Every word the normaliser knows as typed: labels of the bundled flows, lexicon, numbers."""
    words = set(lexicon().known) | set(NUMBER_WORDS)
    for flow in load_bundled_flows().values():
        for locale in LOCALES:
            words |= label_index(flow.scale, locale).words
    return sorted(w for w in words if w.isalpha())


VOCABULARY_WORDS = _vocabulary()
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _truly_unknown(word: str) -> bool:
    """Two or more edits from every known word, no stretched letters, no glued intensifier."""
    if any(a == b for a, b in itertools.pairwise(word)):
        return False
    if any(word.startswith(p) for p in lexicon().glued_intensify):
        return False
    return process.extractOne(word, VOCABULARY_WORDS, scorer=OSA.distance, score_cutoff=1) is None


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    """A known word with two random edits: the words a fuzzy matcher would wrongly take."""
    word = list(draw(st.sampled_from(VOCABULARY_WORDS)))
    for _ in range(2):
        at = draw(st.integers(0, len(word)))
        letter = draw(st.sampled_from(LETTERS))
        edit = draw(st.sampled_from(["insert", "replace", "delete"]))
        if edit == "insert" or not word or at == len(word):
            word.insert(at, letter)
        elif edit == "replace":
            word[at] = letter
        else:
            del word[at]
    return "".join(word)


unknown_words = st.one_of(near_misses(), st.text(alphabet=LETTERS, min_size=2, max_size=10)).filter(
    _truly_unknown
)
BUNDLED = [flow.scale for flow in load_bundled_flows().values()]
answers = st.one_of(
    labelled_phrases().map(lambda t: (t[0], t[1], t[2])),
    st.tuples(st.sampled_from(SCALES), st.sampled_from(LOCALES), phrases),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=answers, word=unknown_words, data=st.data())
def test_an_unknown_word_never_changes_the_value(
    answer: tuple[Scale, str, str], word: str, data: st.DataObject
) -> None:
    """An unknown word inserted anywhere (next to a label too) keeps the value or makes it
    invalid; it never yields another value, and never turns a non-answer into one."""
    scale, locale, text = answer
    words = text.split()
    at = data.draw(st.integers(0, len(words)))
    changed = " ".join([*words[:at], word, *words[at:]])
    before = normalise(text, scale, locale=locale)
    after = normalise(changed, scale, locale=locale)
    if isinstance(after, Answer):
        assert before == after, f"{text!r} -> {before}, but {changed!r} -> {after}"
