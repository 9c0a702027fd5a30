"""Mistakes in a flow file that would reach customers or never fire are refused on load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from flows.loader import BUNDLED_DIR, FlowFileError, load_flow_dir, load_flows
from flows.models import Localised
from flows.render import SYSTEM_TEXTS, VOICE_TEXTS

NPS_TEXT = (BUNDLED_DIR / "nps.toml").read_text(encoding="utf-8")


def problems(directory: Path, text: str) -> list[str]:
    (directory / "nps.toml").write_text(text, encoding="utf-8")
    with pytest.raises(FlowFileError) as caught:
        load_flow_dir(directory)
    return [f"{p.field}: {p.message}" for p in caught.value.problems]


def test_misspelt_placeholder_names_the_field(tmp_path: Path) -> None:
    """`{compny}` would be sent verbatim: the file, the text and the locale are named."""
    text = NPS_TEXT.replace("dat je {company} aanbeveelt", "dat je {compny} aanbeveelt", 1)
    assert problems(tmp_path, text) == [
        "question.text.nl: unknown placeholder {compny}; a text can use {company}, {min}, "
        "{max} (write {{ and }} for literal braces)"
    ]


def test_placeholders_are_checked_in_every_text(tmp_path: Path) -> None:
    """The thanks and the channel wordings are checked too, not only the question."""
    text = NPS_TEXT.replace('en = "Thank you for your answer!"', 'en = "Thanks {name}!"')
    assert problems(tmp_path, text) == [
        "thanks.en: unknown placeholder {name}; a text can use {company}, {min}, {max} "
        "(write {{ and }} for literal braces)"
    ]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (
            "{company!r}",
            "placeholder {company!r} has a conversion or format spec; write a plain {company}",
        ),
        (
            "{company:>10}",
            "placeholder {company:>10} has a conversion or format spec; write a plain {company}",
        ),
        ("{company", "unmatched brace '{' (write {{ and }} for literal braces)"),
        ("{company}}", "unmatched brace '}' (write {{ and }} for literal braces)"),
    ],
)
def test_formatted_placeholders_and_unmatched_braces_are_named(
    tmp_path: Path, written: str, expected: str
) -> None:
    """Quotes, padding or a stray brace would reach customers: each is refused by its name,
    not reported as an unknown placeholder quoting the whole sentence."""
    text = NPS_TEXT.replace("dat je {company} aanbeveelt", f"dat je {written} aanbeveelt", 1)
    assert problems(tmp_path, text) == [f"question.text.nl: {expected}"]


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ("alert_min = 0\nalert_max = 11", "alert_max: 11 lies outside the scale 0..10"),
        ("alert_min = -1\nalert_max = 6", "alert_min: -1 lies outside the scale 0..10"),
        ("alert_min = 6\nalert_max = 2", "alert_min: 6 must not be above alert_max (2)"),
    ],
)
def test_alert_band_outside_the_scale_is_refused(tmp_path: Path, band: str, expected: str) -> None:
    """An alert band that can never match (or always misfires) names the field."""
    assert "alert_min = 0\nalert_max = 6" in NPS_TEXT
    assert problems(tmp_path, NPS_TEXT.replace("alert_min = 0\nalert_max = 6", band)) == [expected]


def test_bundled_flows_use_only_known_placeholders() -> None:
    """Every shipped flow loads under the stricter checks."""
    assert set(load_flows()) >= {"nps", "csat", "ces", "ces-effort", "faces"}


def _dutch_texts(value: object, path: str = "") -> list[tuple[str, str]]:
    """Every Dutch text in a flow (or a table of texts), with where it sits."""
    if isinstance(value, Localised):
        return [(path, value.nl)]
    if isinstance(value, BaseModel):
        value = dict(value)
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _dutch_texts(v, f"{path}.{k}")]
    return []


def test_dutch_speaks_to_the_customer_as_je_in_every_text() -> None:
    """One register per locale: every bundled text, voice included, says 'je', never 'u'."""
    formal = re.compile(r"\b(u|uw|U|Uw)\b")
    texts = [t for flow in load_flows().values() for t in _dutch_texts(flow, flow.id)]
    texts += _dutch_texts(SYSTEM_TEXTS, "system") + _dutch_texts(VOICE_TEXTS, "voice")
    assert len(texts) > 50
    assert [(where, text) for where, text in texts if formal.search(text)] == []


def test_every_flow_with_a_follow_up_thanks_for_the_comment() -> None:
    """After the customer's comment, each flow says thanks for it (ces-effort included)."""
    flows = load_flows()
    assert [f.id for f in flows.values() if f.follow_up and not f.thanks_after_comment] == []
    effort = flows["ces-effort"].thanks_after_comment
    assert effort is not None
    assert effort.nl == "Bedankt voor je toelichting. We gaan ermee aan de slag."
