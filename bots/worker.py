"""The send worker: claims due jobs from the queue and sends them, with retries and leases.

`surveybot serve` runs one in-process; `surveybot worker` runs more, on any machine that
shares the PostgreSQL database. Each claim is exclusive (SKIP LOCKED), so N workers never
send one job twice; a worker that dies mid-send leaves a lease that runs out, and the job is
checked with the provider before it is sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy.engine import Engine

from bots.connectors.outbound import ResponsePusher
from bots.container import Container
from bots.dispatch import RetryLater, deliver, remind
from flows.ports import Sender, SendError, SentLookup
from scoring import queue
from scoring.privacy import purge_expired_personal_data
from scoring.queue import ClaimedJob
from scoring.tables import InvitationStatus, JobStatus

log = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = timedelta(minutes=1)
RETENTION_EVERY = timedelta(hours=24)
# A job sent within this much of its due time goes now rather than being rescheduled.
WINDOW_SLACK = timedelta(seconds=30)
# What became of a claimed job. "failed": the send was refused for good and recorded;
# "gave up": out of attempts (also counted as failed in the batch line).
OUTCOMES = ("sent", "failed", "retried", "deferred", "skipped")
DONE = frozenset({"sent", "failed", "skipped"})


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(
        self,
        container: Container,
        *,
        name: str | None = None,
        batch: int = 20,
        poll_seconds: float = 1.0,
        lease: timedelta | None = None,
    ) -> None:
        self.container = container
        self.name = name or worker_name()
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.lease = lease or timedelta(seconds=container.settings.worker_lease_seconds)
        # Scores pushed back to the contact's platform ride on the same loop.
        self.pushes = ResponsePusher(container)
        self._last_housekeeping = container.service.clock() - HOUSEKEEPING_EVERY
        self._last_retention = container.service.clock() - RETENTION_EVERY

    @property
    def _engine(self) -> Engine:
        return self.container.db.engine

    async def send_now(self, invitation_id: int) -> None:
        """Send a just-created invitation at once if it is due (the API's fast path)."""
        job_id = await self.container.db.run(queue.job_for, self._engine, invitation_id)
        if job_id is not None:
            await self.run_once(job_id)

    async def run_once(self, job_id: int | None = None) -> int:
        """Claim and send one batch of due jobs (or the one job given). Returns how many."""
        now = self.container.service.clock()
        jobs = await self.container.db.run(
            queue.claim,
            self._engine,
            worker=self.name,
            now=now,
            lease=self.lease,
            limit=1 if job_id is not None else self.batch,
            job_id=job_id,
        )
        if jobs:
            outcomes = await asyncio.gather(*(self._process(job) for job in jobs))
            done = [job.id for job, outcome in zip(jobs, outcomes, strict=True) if outcome in DONE]
            if done:
                # One commit for the whole batch: on PostgreSQL every commit waits for the disk.
                await self.container.db.run(
                    queue.finish_many, self._engine, done, self.container.service.clock()
                )
            if job_id is None:  # the API's send of one new invitation is not a batch
                self._log_batch(outcomes)
        return len(jobs)

    def _log_batch(self, outcomes: list[str]) -> None:
        counts = {name: outcomes.count(name) for name in OUTCOMES}
        counts["failed"] += outcomes.count("gave up")
        log.info(
            "send batch: %d sent, %d failed, %d retried, %d deferred, %d skipped",
            *counts.values(),
            extra={"worker": self.name, **counts},
        )

    async def run_forever(self, stop: asyncio.Event) -> None:
        log.info("send worker %s started", self.name)
        while not stop.is_set():
            try:
                busy = await self.run_once()
                busy += await self.pushes.run_once()
                await self._housekeeping()
            except Exception:
                log.exception("send worker loop failed; retrying")
                busy = 0
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_seconds)
        await self.pushes.close()
        log.info("send worker %s stopped", self.name)

    async def _housekeeping(self) -> None:
        now = self.container.service.clock()
        if now - self._last_housekeeping < HOUSEKEEPING_EVERY:
            return
        self._last_housekeeping = now
        expired = await self.container.db.run(queue.expire_overdue, self._engine, now)
        if expired:
            log.info("expired %d unanswered survey(s)", expired)
        if now - self._last_retention >= RETENTION_EVERY:
            self._last_retention = now
            days = self.container.settings.retention_days
            purged = await self.container.db.run(
                purge_expired_personal_data, self._engine, now, days
            )
            log.info("retention (%d days): %s", days, purged)

    async def _process(self, job: ClaimedJob) -> str:
        """Send one job; its outcome (one of OUTCOMES). A failure puts it back with a backoff.

        A done job whose worker dies before `finish_many` commits is claimed again after its
        lease, finds its invitation no longer pending, and is finished then: nothing is resent.
        """
        service, db = self.container.service, self.container.db
        now = service.clock()
        policy = service.policy.for_flow(service.flow(job.flow_id))
        try:
            due = policy.window_time(now, job.address or "", job.timezone)
            if due > now + WINDOW_SLACK:
                await db.run(
                    queue.reschedule, self._engine, job.id, due, now, "quiet hours", refund=True
                )
                return "deferred"
            if job.kind == "reminder":
                return "sent" if await remind(self.container, job.public_id) else "skipped"
            if job.invitation_status == InvitationStatus.PENDING and not (
                job.interrupted and await self._already_sent(job)
            ):
                invitation = await deliver(self.container, job.public_id, retry=True)
                return "sent" if invitation.status == InvitationStatus.OPEN else "failed"
        except RetryLater as exc:
            return await self._retry_or_fail(job, str(exc), exc)
        except Exception as exc:
            log.exception("job %d (%s) failed unexpectedly", job.id, job.kind)
            return await self._retry_or_fail(job, f"internal error: {type(exc).__name__}", None)
        return "skipped"

    async def _retry_or_fail(self, job: ClaimedJob, reason: str, exc: RetryLater | None) -> str:
        service, db = self.container.service, self.container.db
        now = service.clock()
        policy = service.policy.for_flow(service.flow(job.flow_id))
        if job.attempts < policy.attempts:
            retry_at = policy.retry_time(now, job.attempts)
            await db.run(queue.reschedule, self._engine, job.id, retry_at, now, reason[:255])
            return "retried"
        log.warning("job %d gave up after %d attempts: %s", job.id, job.attempts, reason)
        if job.kind == "invite":
            # Close the invitation too: a pending one would block this person's next survey.
            error = exc.error if exc is not None else SendError(reason, permanent=True)
            await db.run(service.mark_failed, job.public_id, error)
        await db.run(queue.finish, self._engine, job.id, JobStatus.FAILED, now, reason[:255])
        return "gave up"

    async def _already_sent(self, job: ClaimedJob) -> bool:
        """After a crashed worker: ask the provider whether the question went out after all."""
        sender = self.container.senders.get(job.channel)
        if not isinstance(sender, SentLookup):
            return False
        service = self.container.service
        outbound = await self.container.db.run(service.outbound, job.public_id)
        if outbound is None:
            return True
        invitation = await self.container.db.run(service.get_invitation, job.public_id)
        result = await sender.find_sent(outbound, invitation.created_at)
        if result is None:
            return False
        await self.container.db.run(self.container.service.mark_sent, job.public_id, result)
        log.info("job %d was sent before its worker stopped; not sending again", job.id)
        return True


class WorkerPlugin:
    """Runs a Worker inside the web process, started and stopped with the app."""

    name = "worker"

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def senders(self) -> dict[str, Sender]:
        return {}

    def router(self) -> None:
        return None

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.worker.run_forever(self._stop))

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
