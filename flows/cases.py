"""What the edges (alert loop, API, dashboard) need of alert cases, as a Protocol named by use.

The SQL adapter is `scoring.cases.SqlAlertCases`; the composition root hands it out as
`Container.cases`, so no edge opens a session of its own for cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from scoring.cases import CaseChange, CaseStatus, PendingAlert


class AlertCases(Protocol):
    """Alert cases for the team (list, count, move along) and the alert loop's outbox."""

    def list_cases(
        self, status: CaseStatus | None = None, *, limit: int = 100, response_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Cases, newest first, with the response behind each and the alert delivery state."""
        ...

    def count_open(self) -> int:
        """Cases not closed yet."""
        ...

    def set_status(self, case_id: int, status: CaseStatus, now: datetime) -> CaseChange:
        """Move a case along; raises LookupError for an unknown case."""
        ...

    def due_alerts(self, target: str, now: datetime, *, since: datetime) -> list[PendingAlert]:
        """Events not yet delivered to `target` whose next attempt is due, oldest first."""
        ...

    def record_attempt(self, event_id: int, target: str, now: datetime, error: str | None) -> None:
        """Store one delivery attempt's outcome (None: sent)."""
        ...
