"""One `events` for the runner, many chat platforms: each job goes to its chat's platform.

Rules: the platform is `bot.core.identity.platform_of(job.chat_id)`; a platform that is not (yet)
running delays delivery (DeliveryDelayed: the job stays `delivering` and is retried), it never
hands a job to the wrong platform and never ends it. A change to show for a platform that is
expected but still connecting (Telegram behind a slow proxy) is kept, the newest per job, and
shown once the platform registers: a job resumed or ended meanwhile still tells its user.
"""

from __future__ import annotations

import asyncio

from bot.core.identity import platform_of
from bot.core.jobs.runner import DeliveryDelayed, JobEvents
from bot.core.platform import Capabilities
from bot.core.store.jobs import Job


class EventsRouter:
    def __init__(self, **platforms: JobEvents | None) -> None:
        self.platforms: dict[str, JobEvents | None] = dict(platforms)
        # platform → job id → the newest change not shown yet (platform still connecting)
        self._held: dict[str, dict[int, Job]] = {}
        self._flushes: set[asyncio.Task[None]] = set()

    def expect(self, platform: str) -> None:
        """`platform` is configured and will register: hold its changes until it does."""
        if self.platforms.get(platform) is None:
            self._held.setdefault(platform, {})

    def set(self, platform: str, events: JobEvents | None) -> None:
        self.platforms[platform] = events
        held = self._held.pop(platform, {})
        if events is not None and held:
            task = asyncio.get_running_loop().create_task(self._show(events, list(held.values())))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    @staticmethod
    async def _show(events: JobEvents, jobs: list[Job]) -> None:
        for job in jobs:
            await events.on_change(job)

    def _of(self, job: Job) -> JobEvents | None:
        return self.platforms.get(platform_of(job.chat_id))

    async def on_change(self, job: Job) -> None:
        events = self._of(job)
        if events is not None:
            await events.on_change(job)
            return
        held = self._held.get(platform_of(job.chat_id))
        if held is not None:
            held[job.id] = job

    async def deliver(self, job: Job) -> None:
        events = self._of(job)
        if events is None:
            raise DeliveryDelayed(f"{platform_of(job.chat_id)} is not running")
        await events.deliver(job)

    async def close(self) -> None:
        for task in list(self._flushes):
            task.cancel()
        for events in self.platforms.values():
            if events is not None:
                await events.close()


def router_of(current: object) -> EventsRouter:
    """The runner's router, wrapping whatever single `events` it had under the platform name
    its capabilities declare (bot/core/platform.py)."""
    if isinstance(current, EventsRouter):
        return current
    router = EventsRouter()
    if current is not None:
        capabilities: Capabilities = current.capabilities  # type: ignore[attr-defined]
        router.set(capabilities.name, current)  # type: ignore[arg-type]
    return router
