"""Plain functions building the bundled scales, for unit tests that must not read flow files.

They mirror `flows/bundled/{nps,csat,ces,faces,ces-effort}.toml`; the corpus test checks that
they still do.
"""

from __future__ import annotations

from scoring.scales import Direction, Scale, ScalePoint


def _point(
    value: int,
    nl: str,
    en: str,
    *,
    aliases_nl: tuple[str, ...] = (),
    aliases_en: tuple[str, ...] = (),
    emoji: tuple[str, ...] = (),
) -> ScalePoint:
    aliases = {loc: list(a) for loc, a in (("nl", aliases_nl), ("en", aliases_en)) if a}
    return ScalePoint(value=value, label={"nl": nl, "en": en}, aliases=aliases, emoji=list(emoji))


def nps() -> Scale:
    """0-10, every point labelled with its digits; the ends also by their meaning."""
    points = [_point(v, str(v), str(v)) for v in range(1, 10)]
    points.insert(
        0,
        _point(
            0, "0", "0", aliases_nl=("zeer onwaarschijnlijk",), aliases_en=("not at all likely",)
        ),
    )
    points.append(
        _point(
            10, "10", "10", aliases_nl=("zeer waarschijnlijk",), aliases_en=("extremely likely",)
        )
    )
    return Scale(min=0, max=10, points=points)


def csat() -> Scale:
    """1-5 satisfaction, with faces."""
    return Scale(
        min=1,
        max=5,
        points=[
            _point(1, "zeer ontevreden", "very dissatisfied", emoji=("😡", "😠")),
            _point(2, "ontevreden", "dissatisfied", emoji=("😞", "🙁", "☹️")),
            _point(
                3,
                "neutraal",
                "neutral",
                aliases_nl=("gaat wel", "neutraal"),
                aliases_en=("okay", "neither satisfied nor dissatisfied"),
                emoji=("😐",),
            ),
            _point(4, "tevreden", "satisfied", emoji=("🙂", "😊")),
            _point(
                5,
                "zeer tevreden",
                "very satisfied",
                aliases_nl=("heel tevreden",),
                aliases_en=("extremely satisfied",),
                emoji=("😍", "🤩"),
            ),
        ],
    )


def ces() -> Scale:
    """1-7 agreement with "<company> made it easy for me"."""
    return Scale(
        min=1,
        max=7,
        points=[
            _point(1, "helemaal mee oneens", "strongly disagree"),
            _point(2, "mee oneens", "disagree", aliases_nl=("oneens",)),
            _point(3, "enigszins mee oneens", "somewhat disagree"),
            _point(
                4,
                "neutraal",
                "neither agree nor disagree",
                aliases_nl=("niet mee eens, niet mee oneens",),
                aliases_en=("neutral",),
            ),
            _point(5, "enigszins mee eens", "somewhat agree"),
            _point(6, "mee eens", "agree"),
            _point(7, "helemaal mee eens", "strongly agree"),
        ],
    )


def ces_effort() -> Scale:
    """1-7 "how much effort", where lower is better."""
    labels = [
        ("heel weinig moeite", "very low effort"),
        ("weinig moeite", "low effort"),
        ("vrij weinig moeite", "fairly low effort"),
        ("gemiddelde moeite", "neither low nor high effort"),
        ("vrij veel moeite", "fairly high effort"),
        ("veel moeite", "high effort"),
        ("heel veel moeite", "very high effort"),
    ]
    return Scale(
        min=1,
        max=7,
        direction=Direction.LOWER_IS_BETTER,
        points=[_point(v, nl, en) for v, (nl, en) in enumerate(labels, start=1)],
    )


def faces() -> Scale:
    """1-3 faces, a custom pulse."""
    return Scale(
        min=1,
        max=3,
        points=[
            _point(
                1,
                "niet goed",
                "not good",
                aliases_nl=("slecht",),
                aliases_en=("bad",),
                emoji=("☹️", "🙁", "😞"),
            ),
            _point(2, "gaat wel", "okay", aliases_nl=("oké",), aliases_en=("ok",), emoji=("😐",)),
            _point(
                3,
                "goed",
                "good",
                aliases_nl=("prima",),
                aliases_en=("great",),
                emoji=("🙂", "😊", "😀"),
            ),
        ],
    )


def numeric(low: int, high: int) -> Scale:
    """A scale with no labels at all, only numbers."""
    return Scale(min=low, max=high)
