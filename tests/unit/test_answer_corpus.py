"""Every row of the answer corpus (`tests/corpus/answers.tsv`), on the bundled flows' scales.

Columns: flow, channel, locale, input, expected, category, note. `keypad` is the voice channel's
digits and `voice` its speech transcripts; `expected` is a value, `invalid` or `optout`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from flows.loader import BUNDLED_DIR, load_bundled_flows
from flows.variants import apply_variants, load_variants
from scoring.channels import Channel
from scoring.normalise import Answer, Invalid, OptOut, Outcome, normalise
from scoring.scales import Scale
from tests.unit import scale_factories

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "answers.tsv"
HEADER = ["flow", "channel", "locale", "input", "expected", "category", "note"]
KEYPAD = "keypad"
FACTORIES = {
    "nps": scale_factories.nps,
    "csat": scale_factories.csat,
    "ces": scale_factories.ces,
    "faces": scale_factories.faces,
    "ces-effort": scale_factories.ces_effort,
}


@cache
def bundled_scales() -> dict[str, Scale]:
    """The scales of the bundled flow files, as the running service sees them."""
    return {flow_id: flow.scale for flow_id, flow in load_bundled_flows().items()}


def corpus_rows() -> list[object]:
    """One pytest param per corpus row; a single failing param when the file is missing."""
    if not CORPUS.is_file():
        return [pytest.param(None, id="corpus-missing")]
    params: list[object] = []
    with CORPUS.open(encoding="utf-8", newline="") as handle:
        for number, raw in enumerate(handle, start=1):
            # Only the line ending goes: inputs may start or end with spaces on purpose.
            line = raw.removesuffix("\n").removesuffix("\r")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if number == 1 and fields == HEADER:
                continue
            params.append(pytest.param(fields, id=f"line{number}-{fields[0]}-{fields[1]}"))
    return params


def expected_outcome(expected: str) -> Outcome | type[Invalid]:
    if expected == "optout":
        return OptOut()
    if expected == "invalid":
        return Invalid
    return Answer(int(expected))


def test_corpus_file_exists() -> None:
    """The corpus ships with the tests: a missing file is a failure, not a skip."""
    assert CORPUS.is_file(), f"answer corpus not found at {CORPUS}"


def test_factories_match_the_bundled_flows() -> None:
    """The unit-test scales plus the label variants are the bundled flows' scales."""
    scales = bundled_scales()
    variants = load_variants([BUNDLED_DIR])
    for flow_id, factory in FACTORIES.items():
        assert scales[flow_id] == apply_variants(factory(), variants), flow_id


@pytest.mark.parametrize("row", corpus_rows())
def test_corpus_row(row: list[str] | None) -> None:
    """Each corpus input normalises to its expected outcome."""
    if row is None:
        pytest.fail(f"answer corpus not found at {CORPUS}")
    assert len(row) == len(HEADER), f"malformed row: {row!r}"
    flow_id, channel, locale, text, expected, _category, _note = row
    channel = Channel.VOICE if channel == KEYPAD else Channel(channel)
    scale = bundled_scales()[flow_id]
    outcome = normalise(text, scale, locale=locale, channel=channel)
    want = expected_outcome(expected)
    if want is Invalid:
        assert isinstance(outcome, Invalid), f"{text!r} should be invalid, got {outcome}"
    else:
        assert outcome == want, f"{text!r}: expected {want}, got {outcome}"
    if isinstance(outcome, Answer):
        assert scale.contains(outcome.value)
