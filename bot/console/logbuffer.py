"""The console's 日志 page: the last warnings and errors, kept in memory, scrubbed of secrets.

A logging handler (installed while the console runs) keeps the newest CAPACITY lines and hands
each new one to the pages following live (SSE). Lines are scrubbed by bot/core/redact.py whatever
the other handlers did; emit may run on any thread, so followers are fed through their loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

from bot.core.logging_setup import OneLineFormatter
from bot.core.redact import scrub

CAPACITY = 500
FOLLOWER_BACKLOG = 200  # lines a slow follower may lag behind before it misses some


@dataclass(frozen=True)
class LogLine:
    at: float
    level: str
    text: str


Follower = tuple[asyncio.AbstractEventLoop, "asyncio.Queue[LogLine | None]"]


class LogBuffer(logging.Handler):
    def __init__(self, capacity: int = CAPACITY) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(OneLineFormatter())
        self._lines: deque[LogLine] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._followers: set[Follower] = set()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = LogLine(record.created or time.time(), record.levelname,
                           scrub(self.format(record)))  # fmt: skip
        except Exception:
            self.handleError(record)
            return
        with self._lock:
            self._lines.append(line)
            followers = list(self._followers)
        for loop, queue in followers:
            try:
                loop.call_soon_threadsafe(_offer, queue, line)
            except RuntimeError:  # that loop is closed: the follower is gone
                pass

    def lines(self) -> list[LogLine]:
        with self._lock:
            return list(self._lines)

    def follow(self) -> asyncio.Queue[LogLine | None]:
        queue: asyncio.Queue[LogLine | None] = asyncio.Queue(FOLLOWER_BACKLOG)
        with self._lock:
            self._followers.add((asyncio.get_running_loop(), queue))
        return queue

    def unfollow(self, queue: asyncio.Queue[LogLine | None]) -> None:
        with self._lock:
            self._followers = {f for f in self._followers if f[1] is not queue}

    def end_followers(self) -> None:
        """Shutdown: every live page's stream ends now (None), so the server stops at once."""
        with self._lock:
            followers = list(self._followers)
        for loop, queue in followers:
            loop.call_soon_threadsafe(_offer, queue, None)


def _offer(queue: asyncio.Queue[LogLine | None], line: LogLine | None) -> None:
    if queue.full():
        if line is not None:
            return  # a follower that does not read loses lines, never blocks logging
        queue.get_nowait()  # room for the end marker
    queue.put_nowait(line)
