"""Send pacing for QQ: per chat and per account token buckets (QQ punishes bursts).

Rules: every outgoing message first waits for its chat's bucket (default: a burst of 3, then
one per second), then for the account's bucket (default: a burst of 5, then 20 per minute).
Waiting for one chat never holds up another chat's chat-level wait; the account level is
shared and served in arrival order. Clock and sleep are injectable so tests run instantly.
Strangers' refusal notices never wait: `take_spare` sends one only when its own small budget
(REFUSAL_BURST, then REFUSAL_PER_MINUTE), the chat and the account all have a token now,
nobody is waiting for the account and a token stays for answers and results; otherwise the
notice is dropped (not queued): paid results and answers go first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float = field(default=-1.0)
    stamp: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)

    def wait_time(self, now: float) -> float:
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity


# Refusals: 3 at once, then 6 a minute for the whole account (a tenth of its 20/min budget at
# most: a crowd of strangers cannot crowd out answers); one account token is always left.
REFUSAL_BURST = 3
REFUSAL_PER_MINUTE = 6.0


@dataclass(frozen=True)
class PacingConfig:
    chat_interval: float = 1.0  # seconds between messages in one chat after the burst
    chat_burst: int = 3
    account_per_minute: float = 20.0
    account_burst: int = 5


class SendPacer:
    """`await pacer.wait(chat_key)` before each send; returns the seconds it waited."""

    def __init__(
        self,
        config: PacingConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.config = config or PacingConfig()
        self._clock = clock
        self._sleep = sleep
        self._chats: dict[str, TokenBucket] = {}
        self._chat_locks: dict[str, asyncio.Lock] = {}
        self._account = TokenBucket(
            rate=self.config.account_per_minute / 60.0, capacity=self.config.account_burst
        )
        self._account_lock = asyncio.Lock()
        self._refusals = TokenBucket(rate=REFUSAL_PER_MINUTE / 60.0, capacity=REFUSAL_BURST)

    def take_spare(self, chat_key: str) -> bool:
        """A refusal notice may go now (tokens taken) or must be dropped: see the rules."""
        now = self._clock()
        bucket, lock = self._chat(chat_key)
        if lock.locked() or self._account_lock.locked():
            return False
        if self._refusals.wait_time(now) > 0 or bucket.wait_time(now) > 0:
            return False
        self._account._refill(now)
        if self._account.tokens < 2:  # keep one for an answer or a result
            return False
        for taken in (self._refusals, bucket, self._account):
            taken.take(now)
        return True

    def _chat(self, key: str) -> tuple[TokenBucket, asyncio.Lock]:
        bucket = self._chats.get(key)
        if bucket is None:
            if len(self._chats) > 1000:
                self._prune()
            bucket = TokenBucket(rate=1.0 / self.config.chat_interval,
                                 capacity=self.config.chat_burst)  # fmt: skip
            self._chats[key] = bucket
            self._chat_locks[key] = asyncio.Lock()
        return bucket, self._chat_locks[key]

    def _prune(self) -> None:
        """Forget idle chats (full bucket, nobody waiting): memory stays bounded."""
        now = self._clock()
        for key in [k for k, b in self._chats.items() if b.full(now)]:
            if not self._chat_locks[key].locked():
                del self._chats[key], self._chat_locks[key]

    async def _wait_for(self, bucket: TokenBucket) -> float:
        waited = 0.0
        while (delay := bucket.wait_time(self._clock())) > 0:
            await self._sleep(delay)
            waited += delay
        bucket.take(self._clock())
        return waited

    async def wait(self, chat_key: str) -> float:
        bucket, lock = self._chat(chat_key)
        async with lock:
            waited = await self._wait_for(bucket)
            async with self._account_lock:
                waited += await self._wait_for(self._account)
        return waited
