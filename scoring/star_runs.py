"""Star ratings typed as emoji: "⭐⭐⭐⭐", "★★★", "★★★☆☆"."""

from __future__ import annotations

from dataclasses import dataclass

_FILLED = frozenset("\u2b50\u2605\U0001f31f")  # ⭐ ★ 🌟
_EMPTY = frozenset("\u2606\u2729")  # ☆ ✩
_STARS = _FILLED | _EMPTY


@dataclass(frozen=True, slots=True)
class StarRun:
    filled: int
    out_of: int | None  # filled + empty when empty stars show the maximum ("★★★☆☆")


@dataclass(frozen=True, slots=True)
class StarProblem:
    reason: str


def take_stars(cleaned: str) -> tuple[StarRun | StarProblem | None, str]:
    """The one star run in the text (if any), and the text with it blanked out."""
    if cleaned.isascii():
        return None, cleaned
    positions = [i for i, c in enumerate(cleaned) if c in _STARS]
    if not positions:
        return None, cleaned
    first, last = positions[0], positions[-1]
    run = cleaned[first : last + 1]
    stars = "".join(c for c in run if not c.isspace())
    if len(stars) != len(positions):
        return StarProblem("more than one group of stars"), cleaned
    filled = sum(1 for c in stars if c in _FILLED)
    if any(c in _FILLED for c in stars[filled:]):
        return StarProblem("empty stars before filled ones"), cleaned
    out_of = len(stars) if filled < len(stars) else None
    return StarRun(filled, out_of), cleaned[:first] + " " + cleaned[last + 1 :]
