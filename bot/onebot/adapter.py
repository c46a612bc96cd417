"""QQ beside (or instead of) Telegram: the OneBot server's lifecycle and its wiring to core.

Rules:
- on only when ONEBOT_WS_PORT is set; the server validates host/token before listening;
- identities are bot.identity's encoded ids (qq:<n> → qq_user(n)), so access, quotas, usage
  and memory are the same core code Telegram uses, per platform identity;
- with Telegram, the adapter starts in PTB's post_init (after Services exist, sharing the
  same AccessControl) and stops in post_shutdown; alone, `run_alone` owns the loop.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Any

from bot import texts
from bot.access import AccessControl
from bot.config import Settings
from bot.jobs.events_router import router_of
from bot.onebot.context import QQContext
from bot.onebot.events import Event, MessageEvent
from bot.onebot.handlers import handle_message
from bot.onebot.jobs import QQJobEvents
from bot.onebot.replies import reply

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


class QQAdapter(QQContext):
    """Receives QQ messages and answers them through the core services."""

    def __init__(self, services: Services, access: AccessControl) -> None:
        super().__init__(services, access, self._on_event)

    async def start(self) -> None:
        await self.server.start()  # logs where it listens

    async def stop(self) -> None:
        await self.server.stop()

    async def _on_event(self, event: Event) -> None:
        if not isinstance(event, MessageEvent):
            return
        try:
            await handle_message(self, event)
        except Exception:  # never silence: log it and tell the user
            log.exception(texts.LOG_QQ_MESSAGE_HANDLER_FAILED)
            try:
                await reply(self, event, texts.ERR_INTERNAL)
            except Exception:
                log.warning(texts.LOG_COULD_NOT_SEND_ERROR_NOTICE, exc_info=True)


async def open_adapter(services: Services, access: AccessControl | None = None) -> QQAdapter:
    """Start QQ on already opened services (with Telegram: its AccessControl is shared)."""
    if access is None:
        access = AccessControl(services.settings, services.db, services.jobs)
        await access.load()
    adapter = QQAdapter(services, access)
    router = router_of(services.runner.events)
    router.set("qq", QQJobEvents(adapter, services.jobs))
    services.runner.events = router
    await adapter.start()
    return adapter


def attach(app: Any, settings: Settings) -> None:
    """Beside Telegram: start after the application's post_init, stop before its shutdown."""
    if settings.onebot_ws_port is None:
        return
    post_init, post_shutdown = app.post_init, app.post_shutdown

    async def start_qq(application: Any) -> None:
        if post_init is not None:
            await post_init(application)
        data = application.bot_data
        data["qq"] = await open_adapter(data["services"], data.get("access"))

    async def stop_qq(application: Any) -> None:
        adapter: QQAdapter | None = application.bot_data.pop("qq", None)
        if adapter is not None:
            await adapter.stop()
        if post_shutdown is not None:
            await post_shutdown(application)

    app.post_init, app.post_shutdown = start_qq, stop_qq


class RunningQQ:
    """QQ alone: services + adapter, for `run_alone` and the tests."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.services: Services | None = None
        self.adapter: QQAdapter | None = None

    async def start(self) -> QQAdapter:
        from bot.services import Services

        self.services = await Services.open(self.settings)
        try:
            self.adapter = await open_adapter(self.services)
        except BaseException:
            await self.services.close()
            raise
        resumed = await self.services.runner.resume()
        if resumed:
            log.info(texts.LOG_RESUMED_UNFINISHED_JOBS, len(resumed))
        return self.adapter

    async def stop(self) -> None:
        if self.adapter is not None:
            await self.adapter.stop()
            self.adapter = None
        if self.services is not None:
            await self.services.close()
            self.services = None


def run_alone(settings: Settings) -> None:
    """No Telegram: serve QQ until SIGTERM/SIGINT."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        running = RunningQQ(settings)
        await running.start()
        try:
            await stop.wait()
        finally:
            await running.stop()

    asyncio.run(main())
