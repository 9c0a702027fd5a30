"""Outbound pacing: about 30 messages a second overall and one a second per chat.

Telegram's documented limits. Going over them earns 429s and, for bulk senders, worse; pacing
ourselves keeps those rare, and the outbox still honours `retry_after` when one comes.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

# Chats with nothing queued are forgotten once this many are remembered; the next sweep waits
# until the count has doubled again, so a sweep costs O(1) per chat added (amortised) however
# many chats are busy. A sweep at every new chat past the mark made the cost quadratic.
_PRUNE_ABOVE = 1024


@dataclass(frozen=True, slots=True)
class Limits:
    overall_per_second: int = 30
    per_chat_interval: float = 1.0  # seconds between two messages in one chat
    max_attempts: int = 5  # sends tried this often when Telegram answers 429


@dataclass
class ChatSlot:
    """One chat's queue: the lock keeps its messages in order, `next_at` spaces them."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_at: float = 0.0
    users: int = 0


class RateLimiter:
    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._recent: deque[float] = deque()
        self._overall = asyncio.Lock()
        self._chats: dict[str, ChatSlot] = {}
        self._prune_at = _PRUNE_ABOVE

    @asynccontextmanager
    async def chat(self, chat_id: str) -> AsyncIterator[ChatSlot]:
        """Exclusive use of one chat, in arrival order (asyncio locks are FIFO)."""
        slot = self._chats.get(chat_id)
        if slot is None:
            self._prune()
            slot = self._chats[chat_id] = ChatSlot()
        slot.users += 1
        try:
            async with slot.lock:
                yield slot
        finally:
            slot.users -= 1

    async def pace(self, slot: ChatSlot) -> None:
        """Wait until one more message may go to this chat and overall; then count it."""
        delay = slot.next_at - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)
        async with self._overall:
            window = 1.0
            while True:
                now = self._clock()
                while self._recent and now - self._recent[0] >= window:
                    self._recent.popleft()
                if len(self._recent) < self.limits.overall_per_second:
                    break
                await asyncio.sleep(window - (now - self._recent[0]))
            self._recent.append(now)
        slot.next_at = now + self.limits.per_chat_interval

    @property
    def remembered(self) -> int:
        """How many chats the limiter holds a slot for (busy, or paced until a moment ago)."""
        return len(self._chats)

    def _prune(self) -> None:
        if len(self._chats) < self._prune_at:
            return
        now = self._clock()
        for chat_id, slot in list(self._chats.items()):
            if slot.users == 0 and slot.next_at <= now:
                del self._chats[chat_id]
        self._prune_at = max(_PRUNE_ABOVE, 2 * len(self._chats))
