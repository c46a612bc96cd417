"""What the runtime and its platforms agree on: the interface a platform implements and what
it is handed at start. Adapters import this module, never bot.runtime.runtime (which imports
them).

Rules: a platform's `start` returns at once (slow connects run in its own task); it registers
its job events with the router only when it can deliver; a wrong configuration found by a
platform is a ConfigProblem, passed to `fatal`, and ends the program with exit code 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.runtime.problems import ConfigProblem

if TYPE_CHECKING:
    from bot.core.jobs.events_router import EventsRouter
    from bot.core.services import Services
    from bot.runtime.http import HttpServer


@dataclass
class Host:
    """What the runtime hands a platform at start."""

    services: Services
    router: EventsRouter
    http: HttpServer
    fatal: Callable[[BaseException], None]  # the platform cannot go on: stop the program


class Platform(Protocol):
    name: str  # bot.core.identity.platform_of of its chats

    def mount(self, http: HttpServer) -> None:
        """Add this platform's routes (before the server listens)."""

    async def start(self, host: Host) -> None:
        """Start serving; return at once (connect in the background when it takes time).
        Register the platform's job events with `host.router` once it can deliver."""

    async def stop(self) -> None:
        """Stop taking input and close (bounded)."""

    async def notify(self, chat_id: int, text: str) -> None:
        """A text to a chat of this platform (admin alerts); best effort, never raises."""

    def state(self) -> str:
        """For /healthz: "starting", "connecting", "running" …"""


__all__ = ["ConfigProblem", "Host", "Platform"]
