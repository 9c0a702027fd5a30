"""A flow's version: a short hash of its question's wording and its scale.

Stored with every response, so a reworded question or a changed scale starts a new series
that reports can split or filter by instead of mixing it silently with the old one.
"""

from __future__ import annotations

import hashlib
import json
import weakref

from flows.models import Flow

LENGTH = 12

# Every scored answer stores its flow's version; flows are frozen, so each one's is worked out
# once (a model dump, JSON and a hash cost more than the rest of a webhook's Python code).
# Keyed by identity, dropped with the flow: a reloaded flow is a new object, hashed afresh.
_versions: dict[int, str] = {}


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
    key = id(flow)
    version = _versions.get(key)
    if version is None:
        version = _versions[key] = _hash(flow)
        weakref.finalize(flow, _versions.pop, key, None)
    return version


def _hash(flow: Flow) -> str:
    canonical = json.dumps(version_payload(flow), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:LENGTH]
