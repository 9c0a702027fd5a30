"""The Bot API pacer: one message a second per chat, and memory of idle chats let go."""

from __future__ import annotations

import asyncio

from bots.telegram.limiter import Limits, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _message_to(limiter: RateLimiter, chat_id: str) -> None:
    async with limiter.chat(chat_id) as slot:
        await limiter.pace(slot)


async def test_idle_chats_are_forgotten_and_memory_stays_bounded() -> None:
    """Thousands of chats, one message each, spread over time: only recent ones are kept."""
    clock = Clock()
    limiter = RateLimiter(Limits(overall_per_second=10_000), clock=clock)
    most = 0
    for n in range(20_000):
        await _message_to(limiter, str(n))
        clock.now += 0.01  # 100 new chats a second, each paced for one second
        most = max(most, limiter.remembered)
    assert most <= 2_100  # the sweep mark (1,024), doubled at most, never every chat seen


async def test_a_chat_still_waiting_its_second_keeps_its_pace_across_a_sweep() -> None:
    """A sweep forgets only chats whose second has passed: a busy chat is still spaced."""
    clock = Clock()
    limiter = RateLimiter(Limits(overall_per_second=10_000, per_chat_interval=1.0), clock=clock)
    await _message_to(limiter, "busy")
    for n in range(3_000):  # enough new chats to trigger sweeps
        await _message_to(limiter, f"other-{n}")
    async with limiter.chat("busy") as slot:
        waited = asyncio.create_task(limiter.pace(slot))
        await asyncio.sleep(0.05)
        assert not waited.done()  # still within the busy chat's second
        clock.now += 1.0
        waited.cancel()
