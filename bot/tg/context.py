"""What every Telegram handler works with, typed: PTB's custom `ContextTypes` (the
python-telegram-bot way to give `context.bot_data` a class), as QQ's handlers get a QQContext.

Rules:
- one BotData per application, made by PTB (`CONTEXT_TYPES`) and filled by bot/tg/app.py: the
  settings when the application is built, the services, the gate and the job events when the
  runtime starts the platform; nothing else writes it;
- handlers read `context.bot_data.services` and friends, never a string key: a missing or
  misspelt piece of state is a type error, not a KeyError at the first user's message;
- this module holds state, it decides nothing (the use cases are in bot/core/usecases).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import Message
from telegram.ext import CallbackContext, ContextTypes, ExtBot

if TYPE_CHECKING:
    from bot.core.access import AccessControl
    from bot.core.config import Settings
    from bot.core.services import Services
    from bot.core.usecases.gate import Gate
    from bot.tg.outbound.job_events import TelegramJobEvents


@dataclass(eq=False)
class BotData:
    """The application's shared state; PTB builds it without arguments, app.py fills it."""

    settings: Settings = field(init=False)
    services: Services = field(init=False)  # from the runtime, when the platform starts
    gate: Gate = field(init=False)  # the access gate and cooldown (bot/core/usecases/gate.py)
    job_events: TelegramJobEvents | None = None  # status pacing for the jobs started here
    albums: dict[str, list[Message]] = field(default_factory=dict)  # media group id → parts

    @property
    def access(self) -> AccessControl | None:
        """The one AccessControl, or None before the runtime handed over the services."""
        services = getattr(self, "services", None)
        return services.access if services is not None else None


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
