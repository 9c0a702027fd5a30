"""The durable Telegram outbox: makes the Bot API calls answers stored (scoring.deferred).

Every process with the Telegram channel on runs one. It claims the oldest waiting call of each
chat under a lease, makes it through the outbox (paced, in order per chat), and settles what
it made in one commit per round. A 429 puts the call back for the `retry_after` Telegram
asked; a callback answer past Telegram's ~15 s is dropped, as Telegram would refuse it. Once
made, a call is deleted: none is made twice, except an edit whose process died mid-call (an
edit made twice changes nothing). A message whose process died mid-send is not resent: it
may have been delivered, and twice is worse for a survey than once reported lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from telegram.error import RetryAfter

from bots.telegram.actions import from_call
from bots.telegram.channel import TELEGRAM
from bots.telegram.client import retry_after_seconds
from bots.telegram.outbox import Outbox
from flows.ports import Clock
from scoring import deferred
from scoring.db import Database
from scoring.deferred import ClaimedCall

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
# Calls claimed at once (different chats), twice the outbox's HTTP gate: the next ones are ready
# as calls finish. Paced messages among them go out well within the lease (30 a second).
IN_FLIGHT = 128
POLL_SECONDS = 0.5  # for calls other processes stored; this one's answers wake it at once
MAX_ATTEMPTS = 8  # 429s in a row before a call is given up
ROUND_SECONDS = 0.02  # one claim-and-settle transaction per this long, at most, when busy


class Drainer:
    def __init__(self, db: Database, outbox: Outbox, clock: Clock, name: str) -> None:
        self.db = db
        self.outbox = outbox
        self.clock = clock
        self.name = name
        self._wake = asyncio.Event()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._done: list[int] = []
        self._later: dict[int, datetime] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        """New calls are stored: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="telegram-drainer")

    async def stop(self, timeout: float) -> None:
        """Finish the calls in flight (up to `timeout`); what is left waits in the table."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        released: list[int] = []
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks.values()), timeout=timeout)
            for call_id, task in list(self._tasks.items()):
                if task in pending:
                    task.cancel()
                    released.append(call_id)
            if pending:
                await asyncio.wait(pending)
        await self._settle(released)

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before looking, so a wake-up during the claim is not lost.
            self._wake.clear()
            done, later = self._done, self._later
            self._done, self._later = [], {}
            room = IN_FLIGHT - len(self._tasks)
            try:
                # The last round's calls are settled in the claim's own transaction.
                claimed = await self.db.run(
                    deferred.claim,
                    self.db.engine,
                    TELEGRAM.name,
                    worker=self.name,
                    now=self.clock(),
                    lease=LEASE,
                    limit=room,
                    done=done,
                    later=later,
                )
            except Exception:
                # Left leased: their lease runs out and they are taken again (an edit made twice
                # changes nothing; a message is then not resent, see the module's docstring).
                log.exception("telegram outbox: claiming calls failed; retrying")
                claimed = []
            for call in claimed:
                task = asyncio.create_task(self._make(call))
                self._tasks[call.id] = task
            if room > 0 and len(claimed) == room:
                continue  # there may be more: as soon as calls finish
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            # Commits and finished calls come in bursts: a moment lets one transaction settle
            # and claim many, instead of one each.
            await asyncio.sleep(ROUND_SECONDS)

    async def _settle(self, released: list[int] | None = None) -> None:
        done, later = self._done, self._later
        if not (done or later or released):
            return
        self._done, self._later = [], {}
        try:
            await self.db.run(deferred.settle, self.db.engine, done, later, released or ())
        except Exception:
            # Left leased: their lease runs out and they are taken again (an edit made twice
            # changes nothing; a message is then not resent, see the module's docstring).
            log.exception("telegram outbox: settling %d call(s) failed", len(done) + len(later))

    async def _make(self, call: ClaimedCall) -> None:
        try:
            retry_at = await self._attempt(call)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("telegram outbox: unexpected error; call dropped")
            retry_at = None
        if retry_at is None:
            self._done.append(call.id)
        else:
            self._later[call.id] = retry_at
        del self._tasks[call.id]
        self._wake.set()  # settle it, and claim that chat's next call

    async def _attempt(self, call: ClaimedCall) -> datetime | None:
        """Make the call; when to try again (a 429), or None: made, refused or dropped."""
        now = self.clock()
        if call.expires_at is not None and call.expires_at <= now:
            log.info("telegram %s dropped: expired before it could be made", call.method)
            return None
        if call.interrupted and call.method == "sendMessage":
            log.warning("telegram sendMessage not resent: its sender stopped mid-call")
            return None
        action = from_call(call.address, call.method, call.payload)
        if action is None:
            log.warning("telegram outbox: unknown stored method %s dropped", call.method)
            return None
        try:
            await self.outbox.perform(action)
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            if call.attempts >= MAX_ATTEMPTS:
                log.warning("telegram %s given up after %d 429s", call.method, call.attempts)
                return None
            log.warning("telegram 429: %s again in %.1f s", call.method, wait)
            return self.clock() + timedelta(seconds=wait)
        return None
