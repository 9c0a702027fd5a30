"""Label variants: other ways customers write a scale's labels, as per-locale data.

`variants/<locale>.toml` beside the flow files maps a label, as a flow spells it, to its
variants ("zeer ontevreden" = ["helemaal niet tevreden", ...]). A variant joins the aliases of
whichever point carries that label in that locale, so the scale's labels stay the source of
truth; one that already names another point of the flow is left out for that flow.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path

from scoring.answer_tokens import phrase_key
from scoring.scales import LOCALES, Scale, ScalePoint

Variants = dict[str, dict[tuple[str, ...], list[str]]]  # locale -> label key -> variants
VARIANTS_DIR = "variants"


class VariantsError(ValueError):
    """A variants file that cannot be read; the message names the file."""


def load_variants(directories: Iterable[Path]) -> Variants:
    """The variants in `<dir>/variants/<locale>.toml` for each directory, merged in order."""
    found: Variants = {loc: {} for loc in LOCALES}
    for directory in directories:
        for loc in LOCALES:
            path = directory / VARIANTS_DIR / f"{loc}.toml"
            if not path.is_file():
                continue
            try:
                raw = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise VariantsError(f"{path}: cannot read variants: {exc}") from exc
            table = raw.get("variants", {})
            if not isinstance(table, dict) or not all(
                isinstance(v, list) and all(isinstance(x, str) for x in v) for v in table.values()
            ):
                raise VariantsError(f"{path}: [variants] maps each label to a list of strings")
            for label, texts in table.items():
                found[loc].setdefault(phrase_key(label), []).extend(texts)
    return found


def apply_variants(scale: Scale, variants: Variants) -> Scale:
    """The scale with each variant added to the aliases of the point whose label it varies."""
    taken: dict[str, dict[tuple[str, ...], int]] = {loc: {} for loc in variants}
    for point in scale.points:
        for loc in variants:
            for text in [point.label.get(loc, ""), *point.aliases.get(loc, [])]:
                taken[loc].setdefault(phrase_key(text), point.value)
    points: list[ScalePoint] = []
    for point in scale.points:
        aliases = {loc: list(texts) for loc, texts in point.aliases.items()}
        for loc, table in variants.items():
            own = [point.label.get(loc, ""), *point.aliases.get(loc, [])]
            for key in {phrase_key(text) for text in own}:
                for text in table.get(key, []):
                    if taken[loc].get(phrase_key(text), point.value) == point.value:
                        aliases.setdefault(loc, [])
                        if text not in aliases[loc]:
                            aliases[loc].append(text)
        points.append(point.model_copy(update={"aliases": aliases}))
    return scale.model_copy(update={"points": points})
