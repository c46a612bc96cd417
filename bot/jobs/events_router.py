"""One `events` for the runner, many chat platforms: each job goes to its chat's platform.

Rules: the platform is `bot.identity.platform_of(job.chat_id)`; a platform that is not (yet)
running delays delivery (DeliveryDelayed: the job stays `delivering` and is retried), it never
hands a job to the wrong platform and never ends it.
"""

from __future__ import annotations

from bot.identity import platform_of
from bot.jobs.runner import DeliveryDelayed, JobEvents
from bot.platform import Capabilities
from bot.store.jobs import Job


class EventsRouter:
    def __init__(self, **platforms: JobEvents | None) -> None:
        self.platforms: dict[str, JobEvents | None] = dict(platforms)

    def set(self, platform: str, events: JobEvents | None) -> None:
        self.platforms[platform] = events

    def _of(self, job: Job) -> JobEvents | None:
        return self.platforms.get(platform_of(job.chat_id))

    async def on_change(self, job: Job) -> None:
        events = self._of(job)
        if events is not None:
            await events.on_change(job)

    async def deliver(self, job: Job) -> None:
        events = self._of(job)
        if events is None:
            raise DeliveryDelayed(f"{platform_of(job.chat_id)} is not running")
        await events.deliver(job)

    async def close(self) -> None:
        for events in self.platforms.values():
            if events is not None:
                await events.close()


def router_of(current: object) -> EventsRouter:
    """The runner's router, wrapping whatever single `events` it had under the platform name
    its capabilities declare (bot/platform.py)."""
    if isinstance(current, EventsRouter):
        return current
    router = EventsRouter()
    if current is not None:
        capabilities: Capabilities = current.capabilities  # type: ignore[attr-defined]
        router.set(capabilities.name, current)  # type: ignore[arg-type]
    return router
