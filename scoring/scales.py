"""Scales: the points an answer can take, their labels, and which way is better."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

LOCALES: tuple[str, ...] = ("nl", "en")


def unknown_locale(locale: str) -> str | None:
    """Why `locale` can't be used (it names the ones we speak), or None when it can."""
    if locale in LOCALES:
        return None
    return f"unknown locale {locale!r}; known locales: {', '.join(LOCALES)}"


class Metric(StrEnum):
    CSAT = "csat"
    NPS = "nps"
    CES = "ces"
    FCR = "fcr"  # first-contact resolution: yes/no, reported as the share of yes
    CUSTOM = "custom"


class Direction(StrEnum):
    """Which end of the scale is the good one."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class ScalePoint(BaseModel):
    """One point of a scale, with its label per locale and the other ways people say it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: int
    label: dict[str, str]
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    emoji: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _every_locale_labelled(self) -> ScalePoint:
        missing = [loc for loc in LOCALES if not self.label.get(loc, "").strip()]
        if missing:
            raise ValueError(f"point {self.value} has no label for locale(s) {', '.join(missing)}")
        return self


class Scale(BaseModel):
    """A closed, integer scale from `min` to `max` inclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min: int
    max: int
    direction: Direction = Direction.HIGHER_IS_BETTER
    points: list[ScalePoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _points_cover_the_range(self) -> Scale:
        if self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        if self.max - self.min > 100:
            raise ValueError("a scale has at most 101 points")
        if self.points:
            values = [p.value for p in self.points]
            expected = list(range(self.min, self.max + 1))
            if sorted(values) != expected:
                raise ValueError(
                    f"points must be exactly the values {self.min}..{self.max}, once each; "
                    f"got {sorted(values)}"
                )
        return self

    @property
    def values(self) -> range:
        return range(self.min, self.max + 1)

    def contains(self, value: int) -> bool:
        return self.min <= value <= self.max

    def point(self, value: int) -> ScalePoint | None:
        return next((p for p in self.points if p.value == value), None)

    def label(self, value: int, locale: str) -> str:
        point = self.point(value)
        return point.label[locale] if point else str(value)

    def goodness(self, value: int) -> int:
        """The value re-expressed so that higher always means better."""
        if self.direction is Direction.HIGHER_IS_BETTER:
            return value
        return self.min + self.max - value
