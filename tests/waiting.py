"""Waiting for events in tests: poll a condition with a deadline, never sleep for a quiet period.

The fakes record every call, and the bot's state is readable; a test waits until what it expects
has happened (generous deadline: the machine is shared and busy), then asserts on it. A fixed
sleep or "quiet for 0.5 s" passes on an idle machine and fails under load.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

POLL = 0.02


async def eventually(
    check: Callable[[], Any],
    timeout: float = 15.0,  # noqa: ASYNC109  (a deadline, not a cancellation scope)
    message: str = "",
) -> Any:
    """Poll `check` (sync, or returning an awaitable) until it is truthy; return that value.

    Raises AssertionError after `timeout` seconds with `message` and the last value seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {message or check} (last: {value!r})")
        await asyncio.sleep(POLL)


async def settles(
    read: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    timeout: float = 15.0,  # noqa: ASYNC109
) -> T:
    """Read (e.g. a job from the store) until `done(value)`; return the last value read.

    On timeout the last value is returned, not raised: the test's own assertion then fails with
    its own message, so waiting first keeps what the test asserts unchanged.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = await read()
        if done(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(POLL)


async def job_in_state(jobs: Any, job_id: int, state: str, timeout: float = 15.0) -> Any:  # noqa: ASYNC109
    """The job once it reached `state` (or as it is at the deadline): a result is delivered a
    moment before its job is marked done, so reading the state right after is a race."""
    return await settles(
        lambda: jobs.get(job_id), lambda j: j is not None and j.state == state, timeout
    )
