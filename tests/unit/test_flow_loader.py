"""Flow files: validated on load, with errors that name the file, the field and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.loader import BUNDLED_DIR, FlowFileError, load_flow_dir, load_flows

NPS_TEXT = (BUNDLED_DIR / "nps.toml").read_text(encoding="utf-8")


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_flows_cover_the_three_metrics_with_their_scales() -> None:
    """csat 1-5, nps 0-10 and ces 1-7 ship with the product."""
    flows = load_flows()
    assert {f: (flows[f].scale.min, flows[f].scale.max) for f in ("csat", "nps", "ces")} == {
        "csat": (1, 5),
        "nps": (0, 10),
        "ces": (1, 7),
    }
    assert flows["csat"].scale.label(1, "nl") == "zeer ontevreden"
    assert flows["ces"].scale.label(7, "en") == "strongly agree"
    assert flows["nps"].follow_up is not None
    assert (flows["nps"].follow_up.when_min, flows["nps"].follow_up.when_max) == (0, 6)


def test_effort_question_scale_points_the_other_way() -> None:
    """The 'how much effort' CES says lower is better."""
    assert load_flows()["ces-effort"].scale.direction == "lower_is_better"


def test_missing_label_names_file_field_and_problem(tmp_path: Path) -> None:
    """A point without an English label is reported with its exact field path."""
    broken = NPS_TEXT.replace(
        '{ value = 3, label = { nl = "3", en = "3" } }', '{ value = 3, label = { nl = "3" } }'
    )
    path = write(tmp_path, "nps.toml", broken)
    with pytest.raises(FlowFileError) as caught:
        load_flow_dir(tmp_path)
    [problem] = caught.value.problems
    assert problem.path == path
    assert problem.field == "scale.points[3]"
    assert "no label for locale(s) en" in problem.message


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    """A syntax error says which file and where."""
    path = write(tmp_path, "csat.toml", 'id = "csat"\nmetric = \n')
    with pytest.raises(FlowFileError) as caught:
        load_flow_dir(tmp_path)
    assert str(path) in str(caught.value)
    assert "invalid TOML" in str(caught.value)


def test_every_broken_file_is_reported_at_once(tmp_path: Path) -> None:
    """Two broken files give two problems, not one at a time."""
    write(tmp_path, "a.toml", "id = 1\n")
    write(tmp_path, "b.toml", "nonsense")
    with pytest.raises(FlowFileError) as caught:
        load_flow_dir(tmp_path)
    assert {p.path.name for p in caught.value.problems} == {"a.toml", "b.toml"}


def test_follow_up_band_outside_the_scale_is_refused(tmp_path: Path) -> None:
    """A follow-up for 0-12 on a 0-10 scale can never be right."""
    write(tmp_path, "nps.toml", NPS_TEXT.replace("when_max = 6", "when_max = 12"))
    with pytest.raises(
        FlowFileError, match=r"nps.toml: follow_up: band 0\.\.12 lies outside the scale 0\.\.10"
    ):
        load_flow_dir(tmp_path)


def test_file_name_must_match_flow_id(tmp_path: Path) -> None:
    """nps.toml copied to promoters.toml without changing the id is caught."""
    write(tmp_path, "promoters.toml", NPS_TEXT)
    with pytest.raises(FlowFileError, match="'nps' must match the file name"):
        load_flow_dir(tmp_path)


def test_user_directory_adds_and_overrides_flows(tmp_path: Path) -> None:
    """A user flow with a new id is added; one with a bundled id replaces it."""
    write(tmp_path, "nps.toml", NPS_TEXT.replace("max_reprompts = 2", "max_reprompts = 1"))
    write(tmp_path, "nps-shop.toml", NPS_TEXT.replace('id = "nps"', 'id = "nps-shop"'))
    flows = load_flows(tmp_path)
    assert flows["nps"].max_reprompts == 1
    assert "nps-shop" in flows
    assert "csat" in flows


def test_unknown_field_is_refused_not_ignored(tmp_path: Path) -> None:
    """A typo like 'max_reprompt' is an error, so a setting never silently does nothing."""
    write(tmp_path, "nps.toml", NPS_TEXT.replace("max_reprompts = 2", "max_reprompt = 2"))
    with pytest.raises(FlowFileError, match="max_reprompt: Extra inputs are not permitted"):
        load_flow_dir(tmp_path)
