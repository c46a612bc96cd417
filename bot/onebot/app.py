"""QQ as one of the runtime's platforms: the OneBot server's start and stop, and its wiring
to the core.

Rules:
- on only when ONEBOT_WS_PORT is set; the server validates host/token before listening, and a
  taken port ends the program with exit code 2 (PortInUse, bot/runtime/main.py);
- identities are bot.core.identity's encoded ids (qq:<n> → qq_user(n)), so access, quotas, usage
  and memory are the same core code Telegram uses (one AccessControl, from the services);
- the runtime starts it as a peer of Telegram: it listens whether or not Telegram answers;
- this package imports no other platform (tests/test_core_boundaries.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.core import texts
from bot.core.access import AccessControl
from bot.core.config import Settings
from bot.onebot.context import QQContext
from bot.onebot.handlers.messages import handle_message
from bot.onebot.outbound.job_events import QQJobEvents, chat_ref
from bot.onebot.outbound.replies import reply
from bot.onebot.protocol import segments as seg
from bot.onebot.protocol.events import Event, MessageEvent
from bot.onebot.protocol.transport import OneBotError

if TYPE_CHECKING:
    from bot.core.services import Services
    from bot.runtime.host import Host

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


class QQPlatform:
    """The OneBot reverse-WebSocket server under the runtime."""

    name = "qq"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.adapter: QQAdapter | None = None

    def state(self) -> str:
        return "running" if self.adapter is not None else "stopped"

    def mount(self, http: object) -> None:
        """QQ serves its own WebSocket port (ONEBOT_WS_PORT): nothing on the HTTP server."""

    async def start(self, host: Host) -> None:
        services = host.services
        adapter = QQAdapter(services, services.access)
        host.router.set(self.name, QQJobEvents(adapter, services.jobs))
        await adapter.start()  # raises PortInUse: the runtime ends with exit code 2
        self.adapter = adapter

    async def stop(self) -> None:
        adapter, self.adapter = self.adapter, None
        if adapter is not None:
            await adapter.stop()

    async def notify(self, chat_id: int, text: str) -> None:
        adapter = self.adapter
        if adapter is None:
            return
        try:
            chat = chat_ref(chat_id)
            await adapter.pacer.wait(chat.key)
            await adapter.server.send(chat, [seg.text(text)])
        except OneBotError:
            log.warning(texts.LOG_COULD_NOT_ALERT_ADMIN_ABOUT, chat_id, exc_info=True)
