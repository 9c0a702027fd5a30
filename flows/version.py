"""A flow's version: a short hash of its question's wording and its scale.

Stored with every response, so a reworded question or a changed scale starts a new series
that reports can split or filter by instead of mixing it silently with the old one.
"""

from __future__ import annotations

import hashlib
import json

from flows.models import Flow

LENGTH = 12
_CACHE_LIMIT = 256  # flows are few; a reloaded flow is a new object and a new entry

# id(flow) -> (flow, version). Flows are frozen, so a flow's version never changes; every
# answer stores it, and hashing the whole question each time was a tenth of an answer's cost.
_versions: dict[int, tuple[Flow, str]] = {}


def version_payload(flow: Flow) -> dict[str, object]:
    """What the version covers: the question in every locale and channel, and the scale."""
    return {
        "metric": flow.metric.value,
        "question": flow.question.model_dump(mode="json", exclude_none=True),
        "scale": {
            "min": flow.scale.min,
            "max": flow.scale.max,
            "direction": flow.scale.direction.value,
            "labels": {str(p.value): p.label for p in flow.scale.points},
        },
    }


def flow_version(flow: Flow) -> str:
    """12 hex digits of SHA-256 over the wording and the scale (not the thanks or re-prompts)."""
    cached = _versions.get(id(flow))
    if cached is not None and cached[0] is flow:
        return cached[1]
    version = _compute(flow)
    if len(_versions) >= _CACHE_LIMIT:
        _versions.clear()
    _versions[id(flow)] = (flow, version)
    return version


def _compute(flow: Flow) -> str:
    canonical = json.dumps(version_payload(flow), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:LENGTH]
