"""Yes/no scales: an answer that counts attempts or time is no plain yes or no.

"ja, na 3 keer bellen" on "was it resolved in one go?" says it took several goes; the count is
set aside on a numeric scale, but on a two-point scale it questions the answer: ask again.
"""

from __future__ import annotations

from scoring.scales import Scale

COUNT_ROLES = frozenset({"count", "about the count"})


def count_problem(scale: Scale, roles: list[str]) -> str | None:
    """Why a yes/no answer with a count beside it is unclear, or None when it is not."""
    if scale.max - scale.min != 1 or not COUNT_ROLES.intersection(roles):
        return None
    return "a count or duration beside a yes/no answer may contradict it"
