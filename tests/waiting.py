"""Waiting for what the bot records, never for a quiet period (see docs/testing.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.store.jobs import ACTIVE_STATES, Job


async def eventually(
    check: Callable[[], Awaitable[Any] | Any], timeout: float = 15.0, what: str = "condition"  # noqa: ASYNC109
) -> Any:
    """Poll `check` (plain or async) until it returns something truthy; that value is returned.
    Raises AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value) or isinstance(value, Awaitable):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        await asyncio.sleep(0.02)


async def settled_job(services: Any, job_id: int, timeout: float = 15.0) -> Job:  # noqa: ASYNC109
    """The job once it has left the active states: a platform sees a result before the job's
    last state write lands, so a test that saw the result waits for that write here."""

    async def settled() -> Job | None:
        job = await services.jobs.get(job_id)
        return job if job is not None and job.state not in ACTIVE_STATES else None

    return await eventually(settled, timeout, f"job {job_id} settled")


async def settles(
    read: Callable[[], Awaitable[Any]],
    done: Callable[[Any], bool],
    timeout: float = 15.0,  # noqa: ASYNC109
) -> Any:
    """Read (e.g. a job from the store) until `done(value)`; return the last value read.
    On timeout the last value is returned, not raised: the test's own assertion then fails with
    its own message, so waiting first leaves what the test asserts unchanged."""
    deadline = time.monotonic() + timeout
    while True:
        value = await read()
        if done(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.02)


async def job_in_state(jobs: Any, job_id: int, state: str, timeout: float = 15.0) -> Any:  # noqa: ASYNC109
    """The job once it is in `state` (e.g. "delivering", which is not a settled state), or as it
    is at the deadline."""
    return await settles(
        lambda: jobs.get(job_id), lambda j: j is not None and j.state == state, timeout
    )
