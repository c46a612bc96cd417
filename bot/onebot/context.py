"""What every QQ handler works with: the core services, access control, the OneBot server and
the send pacer. A plain holder below the handlers, so no handler module imports the adapter
(which imports the handlers): the package has no import circles.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.core.access import AccessControl
from bot.core.config import Settings
from bot.core.usecases.gate import Gate
from bot.onebot.outbound.pacing import SendPacer
from bot.onebot.protocol.config import STATE_FILE, OneBotConfig
from bot.onebot.protocol.events import Event
from bot.onebot.protocol.transport import OneBotServer

if TYPE_CHECKING:
    from bot.core.services import Services

REFUSAL_WINDOW = 60.0  # a stranger is told at most once a minute per chat


def onebot_config(settings: Settings) -> OneBotConfig:
    assert settings.onebot_ws_port is not None
    token = settings.onebot_access_token
    return OneBotConfig(
        port=settings.onebot_ws_port,
        host=settings.onebot_ws_host,
        access_token=token.get_secret_value() if token is not None else None,
        state_file=settings.bot_data_dir / STATE_FILE,
    )


class QQContext:
    def __init__(
        self,
        services: Services,
        access: AccessControl,
        on_event: Callable[[Event], Awaitable[None]],
    ) -> None:
        self.services = services
        self.settings = services.settings
        self.access = access
        self.pacer = SendPacer()
        self.gate = Gate(access, self.settings.group_user_cooldown, REFUSAL_WINDOW)
        self.server = OneBotServer(onebot_config(self.settings), on_event)
        # (chat, user) → (what, options, when): the latest numbered list
        # (bot/onebot/handlers/choices.py)
        self.choices: dict[tuple[int, int], tuple[str, list[str], float]] = {}
        # answers that spent money once (bot/onebot/handlers/actions.py): a second one is "已处理"
        self.spent: dict[tuple[object, ...], None] = {}

    @property
    def port(self) -> int:
        return self.server.port
