"""The normaliser's word lists and label variants are data; these tests keep the data sound."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pytest

from flows.loader import BUNDLED_DIR, FlowFileError, load_bundled_flows, load_flow_dir
from flows.variants import VARIANTS_DIR
from scoring.answer_tokens import phrase_key
from scoring.keywords import is_optout, optout_phrase
from scoring.lexicon import INTENSIFY, LEXICON_DIR, SOFTEN, lexicon
from scoring.normalise import Answer, OptOut, normalise
from scoring.number_words import word_value
from scoring.scales import LOCALES

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "answers.tsv"
FLOWS = load_bundled_flows()


def corpus() -> list[dict[str, str]]:
    with CORPUS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_no_score_answer_in_the_corpus_reads_as_an_opt_out() -> None:
    """Every corpus row that is a score or a re-prompt is never taken for an opt-out."""
    rows = [r for r in corpus() if r["expected"] != "optout"]
    assert len(rows) > 500
    wrongly = [r["input"] for r in rows if is_optout(r["input"])]
    assert wrongly == []


def test_no_label_or_number_of_any_bundled_flow_is_an_opt_out() -> None:
    """A label, alias or variant, alone or with a modifier or a number, never opts out."""
    lex = lexicon()
    modifiers = [" ".join(p) for p in lex.before]
    for flow in FLOWS.values():
        for point in flow.scale.points:
            for locale in LOCALES:
                for text in [point.label[locale], *point.aliases.get(locale, [])]:
                    for answer in [
                        text,
                        f"{text} {point.value}",
                        *(f"{m} {text}" for m in modifiers),
                    ]:
                        assert optout_phrase(answer) is None, (flow.id, answer)


@pytest.mark.parametrize("flow_id", sorted(FLOWS))
def test_every_opt_out_in_the_data_opts_out_on_every_flow(flow_id: str) -> None:
    """Each opt-out keyword and phrase, as a whole message, is an OptOut on every scale."""
    lex = lexicon()
    scale = FLOWS[flow_id].scale
    texts = [*lex.optout_keywords, *(" ".join(p) for p in lex.optout_phrases)]
    for text in texts:
        assert isinstance(normalise(text, scale), OptOut), text


def test_an_opt_out_phrase_with_a_score_in_it_is_not_an_opt_out() -> None:
    """ "haal me van de lijst, 8" carries a score: it is not read as only an opt-out."""
    assert optout_phrase("haal me van de lijst, 8") is None
    assert optout_phrase("haal me van de lijst") == "van de lijst"


def test_intensifiers_and_softeners_are_disjoint() -> None:
    """A word cannot both strengthen and soften a label."""
    lex = lexicon()
    assert lex.intensify_words.isdisjoint(lex.soften_words)


@pytest.mark.parametrize("locale", LOCALES)
def test_lexicon_words_are_written_as_the_normaliser_reads_them(locale: str) -> None:
    """Lowercase, no apostrophes: otherwise an entry could never match an answer."""
    raw = tomllib.loads((LEXICON_DIR / f"{locale}.toml").read_text("utf-8"))
    for section in ("modifiers", "words", "optout"):
        for key, entries in raw[section].items():
            for entry in entries:
                assert entry == entry.lower().strip(), (section, key, entry)
                assert "'" not in entry, (section, key, entry)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_variant_varies_a_label_of_a_bundled_flow(locale: str) -> None:
    """A variant keyed by a label no bundled flow has is a typo in the variants file."""
    raw = tomllib.loads((BUNDLED_DIR / VARIANTS_DIR / f"{locale}.toml").read_text("utf-8"))
    labels = {
        phrase_key(text)
        for flow in FLOWS.values()
        for point in flow.scale.points
        for text in [point.label[locale], *point.aliases.get(locale, [])]
    }
    for label in raw["variants"]:
        assert phrase_key(label) in labels, label


def test_a_variant_never_overrides_a_flows_own_label(tmp_path: Path) -> None:
    """The flow's labels are the source of truth: a variant naming another point is left out."""
    flow_text = (BUNDLED_DIR / "csat.toml").read_text("utf-8")
    (tmp_path / "csat.toml").write_text(flow_text, "utf-8")
    (tmp_path / VARIANTS_DIR).mkdir()
    (tmp_path / VARIANTS_DIR / "nl.toml").write_text(
        '[variants]\n"tevreden" = ["zeer tevreden", "dik in orde"]\n', "utf-8"
    )
    scale = load_flow_dir(tmp_path)["csat"].scale
    assert normalise("zeer tevreden", scale) == Answer(5)
    assert normalise("dik in orde", scale) == Answer(4)


def test_modifier_kinds_come_from_the_data() -> None:
    """The lists in the TOML files decide what a word does, not the code."""
    lex = lexicon()
    assert lex.before[("super",)] == INTENSIFY
    assert lex.before[("een", "beetje")] == SOFTEN
    assert ("amper",) in lex.before
    assert lex.before[("amper",)] not in (INTENSIFY, SOFTEN)


def test_a_broken_variants_file_names_the_file(tmp_path: Path) -> None:
    """A variants file that is not a label -> list of strings table is a clear flow error."""
    (tmp_path / "csat.toml").write_text((BUNDLED_DIR / "csat.toml").read_text("utf-8"), "utf-8")
    (tmp_path / VARIANTS_DIR).mkdir()
    (tmp_path / VARIANTS_DIR / "en.toml").write_text('[variants]\n"satisfied" = "happy"\n', "utf-8")
    with pytest.raises(FlowFileError) as caught:
        load_flow_dir(tmp_path)
    assert "variants/en.toml" in str(caught.value)
    assert "maps each label to a list of strings" in str(caught.value)


def test_no_filler_is_a_number_word() -> None:
    """A number word dropped as a filler could hide a second number ("a 10 for one agent")."""
    lex = lexicon()
    free = lex.fillers | lex.praise | lex.complaint
    numbers = {w for w in free for loc in LOCALES if word_value(w, loc) is not None}
    assert numbers <= {"een"}  # the Dutch article; `number_words` decides when it is 1


def test_emoji_lists_do_not_overlap() -> None:
    """An emoji is praise, complaint or neutral, never two of them."""
    raw = tomllib.loads((LEXICON_DIR / "emoji.toml").read_text("utf-8"))
    praise, complaint, neutral = (set(raw[key]) for key in ("praise", "complaint", "neutral"))
    assert not praise & complaint
    assert not (praise | complaint) & neutral
