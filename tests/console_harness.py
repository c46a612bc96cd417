"""The web console served on 127.0.0.1 (a free port) next to opened services, and a logged-in
HTTP client: what the console's tests share (the runtime mounts the same app)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from aiohttp import web

from bot.console.app import bound_port, build_console_app, serve_console
from bot.core.access import AccessControl
from bot.core.config import Settings
from bot.core.console_auth import ConsoleAuth
from bot.core.services import Services

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


class RunningConsole:
    def __init__(self, services: Services, access: AccessControl) -> None:
        self.services = services
        self.access = access
        self.app: web.Application | None = None
        self.runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> RunningConsole:
        self.app = build_console_app(self.services, self.access)
        self.runner = await serve_console(self.app, "127.0.0.1", 0)
        self.base = f"http://127.0.0.1:{bound_port(self.runner)}"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    @property
    def auth(self) -> ConsoleAuth:
        return ConsoleAuth(self.services.db, self.services.settings)

    async def link(self, identity: int) -> str:
        """A login link as /console sends it, pointed at this console's real port."""
        url = await self.auth.issue_login_link(identity)
        return self.base + "/login/" + url.rsplit("/", 1)[1]

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, follow_redirects=False, timeout=30,
                                 **kwargs)  # fmt: skip

    async def logged_in(self, identity: int) -> tuple[httpx.AsyncClient, str]:
        """A client holding a session of `identity`, and that session's CSRF token."""
        client = self.client()
        link = await self.link(identity)
        answer = await client.post(link)
        assert answer.status_code == 303, answer.text
        page = await client.get("/")
        assert page.status_code == 200, page.text
        found = CSRF_RE.search(page.text)
        assert found is not None
        return client, found.group(1)


@asynccontextmanager
async def console_on(settings: Settings) -> AsyncIterator[RunningConsole]:
    """Services opened on `settings` and the console served next to them, with the one
    AccessControl the platforms share (as the runtime mounts it)."""
    services = await Services.open(settings)
    running = await RunningConsole(services, services.access).start()
    try:
        yield running
    finally:
        await running.stop()
        await services.close()


@asynccontextmanager
async def bot_with_console(settings: Settings) -> AsyncIterator[tuple[Any, RunningConsole]]:
    """The bot started by the runtime (tests.harness.RunningBot) and the console beside it,
    sharing the services and their AccessControl as in production."""
    from tests.harness import RunningBot

    bot = RunningBot(settings)
    await bot.start()
    console = await RunningConsole(bot.services, bot.services.access).start()
    try:
        yield bot, console
    finally:
        await console.stop()
        await bot.stop()
