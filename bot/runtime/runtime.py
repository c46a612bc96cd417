"""The runtime: the one owner of the program's life, with every chat platform as a peer.

Rules:
- start order: upkeep is built, the services open with the job runner built whole (its events
  router, callbacks and disk-full hook are passed in), each platform mounts its routes, the
  HTTP server listens, each platform starts, upkeep starts, unfinished jobs resume;
- platforms are peers: each starts on its own (`start` returns at once; one that cannot
  connect yet, like Telegram behind a dead proxy, keeps retrying in its own task), so none
  holds another back, and a platform's jobs wait (DeliveryDelayed) until it is up;
- a platform that finds the configuration wrong (a rejected token, a taken port) ends the
  program with exit code 2 (bot/runtime/main.py prints the Chinese line);
- stop (a signal, or `stop()`) runs in reverse: streaming answers are cut with their partial
  text, platforms stop (newest first), upkeep, the HTTP server, then the services, all within
  STOP_BUDGET seconds;
- no adapter imports another: the runtime is the only module that knows them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from typing import Any

from bot.core import texts
from bot.core.config import Settings
from bot.core.identity import platform_of
from bot.core.jobs.events_router import EventsRouter
from bot.core.services import Services
from bot.runtime.host import ConfigProblem, Host, Platform
from bot.runtime.http import HttpServer, serve_callbacks
from bot.runtime.upkeep import Upkeep

log = logging.getLogger(__name__)

STOP_BUDGET = 10.0  # seconds from the signal to the end, whatever hangs


def configured_platforms(settings: Settings) -> list[Platform]:
    """The platforms the settings turn on, in start order (imports only what is used)."""
    platforms: list[Platform] = []
    if settings.telegram_bot_token is not None:
        from bot.tg.app import TelegramPlatform

        platforms.append(TelegramPlatform(settings))
    if settings.onebot_ws_port is not None:
        from bot.onebot.app import QQPlatform

        platforms.append(QQPlatform(settings))
    return platforms


@dataclass
class Runtime:
    settings: Settings
    platforms: list[Platform] = field(default_factory=list)
    upkeep_options: dict[str, float] = field(default_factory=dict)  # tests: shorter periods
    serve_console: bool = True  # CONSOLE_PORT=0 also turns it off

    def __post_init__(self) -> None:
        if not self.platforms:
            self.platforms = configured_platforms(self.settings)
        self.services: Services | None = None
        self.router = EventsRouter()
        self.upkeep = Upkeep(self.settings, self.notify_admins, **self.upkeep_options)
        self.http = HttpServer(health=self._health)
        self._done = asyncio.Event()
        self.problem: BaseException | None = None
        self._started: list[Platform] = []

    def platform(self, name: str) -> Any:
        return next((p for p in self.platforms if p.name == name), None)

    # -- life -----------------------------------------------------------------------------------

    async def start(self) -> None:
        settings = self.settings
        callbacks = _grsai_callbacks(settings)
        for platform in self.platforms:  # changes for a platform still connecting are kept
            self.router.expect(platform.name)
        self.services = await Services.open(
            settings, events=self.router, callbacks=callbacks, on_disk_full=self.upkeep.disk_full
        )
        try:
            if callbacks is not None:  # next to the Telegram webhook (same address and proxy)
                serve_callbacks(self.http.at(settings.webhook_listen, settings.webhook_port),
                                callbacks)  # fmt: skip
            for platform in self.platforms:
                platform.mount(self.http)
            if settings.console_port and self.serve_console:  # the web console (loopback)
                self._mount_console(self.services)
            await self.http.start()
            host = Host(self.services, self.router, self.http, self._fatal)
            for platform in self.platforms:
                await platform.start(host)
                self._started.append(platform)
            self.upkeep.start(self.services.jobs, self.services.providers.clients)
            resumed = await self.services.runner.resume()
            if resumed:
                log.info(texts.LOG_RESUMED_UNFINISHED_JOBS, len(resumed))
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Everything in reverse order, within STOP_BUDGET seconds."""
        services, self.services = self.services, None
        if services is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STOP_BUDGET

        async def bounded(work: Any, share: float = 1.0) -> None:
            left = max(0.1, (deadline - loop.time()) * share)
            try:
                await asyncio.wait_for(work, left)
            except TimeoutError:
                log.warning(texts.LOG_STOP_STEP_TIMED_OUT)
            except Exception:
                log.warning(texts.LOG_STOP_STEP_FAILED, exc_info=True)

        # Streaming answers keep their partial text plus a notice while platforms still send.
        await bounded(services.background.close(services.settings.shutdown_grace), 0.6)
        for platform in reversed(self._started):
            await bounded(platform.stop(), 0.5)
        self._started.clear()
        await bounded(self.upkeep.stop(), 0.5)
        await bounded(self.http.stop(), 0.5)
        await bounded(services.close())
        self._done.set()

    async def run(self) -> None:
        """Start, serve until SIGINT/SIGTERM or a platform's fatal problem, then stop.
        Raises that problem (e.g. ConfigProblem) after stopping."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        self._stop_requested = stop
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
            await stop.wait()
        finally:
            await self.stop()
        if self.problem is not None:
            raise self.problem

    def _mount_console(self, services: Services) -> None:
        from bot.console.app import build_console_app
        from bot.core.console_auth import plain_http_warning

        settings = self.settings
        app = build_console_app(services, services.access)
        self.http.mount(settings.console_host, settings.console_port, app, "CONSOLE_PORT")
        log.info(texts.LOG_CONSOLE_AT, settings.console_public_url)
        if warning := plain_http_warning(settings):
            log.warning(warning)

    def _fatal(self, exc: BaseException) -> None:
        self.problem = exc
        stop = getattr(self, "_stop_requested", None)
        if stop is not None:
            stop.set()

    # -- for platforms and upkeep ----------------------------------------------------------------

    async def notify_admins(self, text: str) -> None:
        """`text` to every admin, through the platform each admin id belongs to."""
        by_name = {p.name: p for p in self._started}
        for admin in self.settings.bot_admin_ids:
            platform = by_name.get(platform_of(admin))
            if platform is None:
                continue
            try:
                await platform.notify(admin, text)
            except Exception:
                log.warning(texts.LOG_COULD_NOT_ALERT_ADMIN_ABOUT, admin, exc_info=True)

    def _health(self) -> dict[str, Any]:
        return {"platforms": {p.name: p.state() for p in self.platforms}}


def _grsai_callbacks(settings: Settings) -> Any:
    """GrsAI results POSTed next to the Telegram webhook (only when a public URL exists)."""
    import secrets

    from bot.core.jobs.callbacks import Callbacks

    if not settings.webhook_url or not settings.grsai_callbacks:
        return None
    base = (settings.grsai_callback_url or settings.webhook_url).rstrip("/") + "/grsai"
    # A random secret per start: tokens of jobs from an earlier run just fall back to polling.
    return Callbacks(base, secrets.token_bytes(32))


def run_until_stopped(settings: Settings) -> None:
    """Used by `python -m bot`: the runtime on a fresh event loop until a signal."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(Runtime(settings).run())


__all__ = ["ConfigProblem", "Host", "Platform", "Runtime", "configured_platforms"]
