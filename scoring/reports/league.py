"""The agent league table: agents ranked by a shrunken score, beside the raw one.

A new agent with 12 answers and an NPS of 80 has mostly luck behind that figure. Empirical
Bayes pulls each agent's score towards their team's, the more the fewer answers:

  x       per answer: NPS +100 / 0 / -100, a share 100 / 0, CES the answer itself (flipped)
  m, n    the agent's raw score (the mean of x) and number of answers
  mu, s2  the team's score and the variance of x within it (the prior's centre; the overall
          figure when the team's own is hidden or unknown)
  v       s2 / n, the sampling variance of the agent's score
  tau2    how much agents truly differ beyond chance: DerSimonian-Laird over the ranked agents,
          (Q - (k - 1)) / (W - W2 / W), at least 0, where w = 1/v, Q = sum w (m - mu)^2,
          W = sum w, W2 = sum w^2 and k the number of agents; estimated from the settled
          agents (30+ answers) when there are two or more, so a newcomer's lucky dozen does
          not widen the spread that then lets it stand out
  B       tau2 / (tau2 + v): how much of the agent's own score to believe
  shrunk  mu + B (m - mu), with the 95% interval shrunk ± 1.96 sqrt(B v + (1 - B)^2 s2 / N),
          N the team's answers (the second term is the uncertainty of mu itself)

The table builds on the by-agent breakdown (the same figures, the same attribution), so the
raw column always equals the breakdown's. Agents below the minimum n are counted, not ranked.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from scoring.reports.comparisons import aggregate_of
from scoring.reports.definitions import Headline, definition
from scoring.reports.figures import Score
from scoring.reports.formulas import Z95, Aggregate

SETTLED_N = 30  # answers after which an agent's score tells about the spread between agents


@dataclass(frozen=True, slots=True)
class Moments:
    """Mean and variance of the per-answer value x, and n."""

    n: int
    mean: float
    variance: float


def moments(headline: Headline, agg: Aggregate) -> Moments:
    """The per-answer mean and (population) variance that the score is the mean of."""
    n = agg.n
    if headline is Headline.NET:
        p, d = agg.high / n, agg.low / n
        return Moments(n, 100 * (p - d), 100**2 * (p + d - (p - d) ** 2))
    if headline is Headline.TOP_BOX:
        p = agg.high / n
        return Moments(n, 100 * p, 100**2 * p * (1 - p))
    mean = agg.total / n
    return Moments(n, mean, max(0.0, agg.total_sq / n - mean * mean))


@dataclass(frozen=True, slots=True)
class LeagueRow:
    rank: int
    agent: str | None
    team: str | None
    score: Score  # the raw figure, as the breakdown shows it
    shrunk: float
    interval: tuple[float, float]
    weight: float  # B: the share of the agent's own score in the shrunken one

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "agent": self.agent,
            "team": self.team,
            "raw": self.score.as_dict(),
            "shrunk": round(self.shrunk, 3),
            "shrunk_interval": [round(self.interval[0], 3), round(self.interval[1], 3)],
            "weight": round(self.weight, 4),
        }


@dataclass(frozen=True, slots=True)
class League:
    metric: str
    rows: list[LeagueRow]
    unranked: int  # agents with answers below the minimum n
    tau2: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "rows": [r.as_dict() for r in self.rows],
            "unranked": self.unranked,
            "between_agent_variance": round(self.tau2, 4),
        }


def agent_teams(
    counted: Iterable[tuple[str | None, str | None, int]],
) -> dict[str | None, str | None]:
    """Each agent's team: the team of most of their answers, from (agent, team, answers)."""
    teams: dict[str | None, str | None] = {}
    # Most answers wins; a tie goes to the first team by name, so the table is stable.
    for agent, team, _count in sorted(counted, key=lambda c: (-c[2], c[1] is None, c[1] or "")):
        teams.setdefault(agent, team)
    return teams


def between_agents(agents: Sequence[tuple[float, float, float]]) -> float:
    """DerSimonian-Laird tau^2 from (score, prior centre, sampling variance) per agent."""
    usable = [(m, mu, v) for m, mu, v in agents if v > 0]
    if len(usable) < 2:
        return 0.0
    w = [1.0 / v for _, _, v in usable]
    q = sum(wi * (m - mu) ** 2 for wi, (m, mu, _) in zip(w, usable, strict=True))
    total, squares = sum(w), sum(wi * wi for wi in w)
    return max(0.0, (q - (len(usable) - 1)) / (total - squares / total))


def league(
    metric: str,
    agents: Sequence[Score],
    teams_of: dict[str | None, str | None],
    team_scores: Sequence[Score],
    overall: Score,
) -> League:
    """Rank the shown agents by their shrunken score (highest first)."""
    spec = definition(metric)
    headline = spec.headline
    lo, hi = spec.score_range(*spec.scale)
    overall_agg = aggregate_of(overall)
    team_aggs = {t.key: a for t in team_scores if (a := aggregate_of(t)) is not None}
    shown = [(s, a) for s in agents if s.key is not None and (a := aggregate_of(s)) is not None]
    unranked = sum(1 for s in agents if s.hidden)
    if overall_agg is None or not shown:
        return League(metric, [], unranked, 0.0)
    fallback = moments(headline, overall_agg)

    def prior(agent: str | None) -> Moments:
        agg = team_aggs.get(teams_of.get(agent))
        return moments(headline, agg) if agg is not None else fallback

    own = [(s, moments(headline, a), prior(s.key)) for s, a in shown]
    settled = [(m.mean, mu.mean, mu.variance / m.n) for _, m, mu in own if m.n >= SETTLED_N]
    everyone = [(m.mean, mu.mean, mu.variance / m.n) for _, m, mu in own]
    tau2 = between_agents(settled if len(settled) >= 2 else everyone)
    rows = []
    for score, m, mu in own:
        v = mu.variance / m.n
        weight = tau2 / (tau2 + v) if tau2 + v > 0 else 0.0
        shrunk = mu.mean + weight * (m.mean - mu.mean)
        spread = math.sqrt(weight * v + (1 - weight) ** 2 * mu.variance / mu.n)
        interval = (max(lo, shrunk - Z95 * spread), min(hi, shrunk + Z95 * spread))
        rows.append((score, shrunk, interval, weight))
    rows.sort(key=lambda r: (-r[1], -r[0].n, str(r[0].key)))
    return League(
        metric,
        [
            LeagueRow(i, s.key, teams_of.get(s.key), s, shrunk, interval, weight)
            for i, (s, shrunk, interval, weight) in enumerate(rows, start=1)
        ],
        unranked,
        tau2,
    )
