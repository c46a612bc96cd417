"""Telegram as one of the runtime's platforms: PTB hosted inside `start()`, and the one
visible place where every handler is registered.

Rules:
- the runtime owns the program; PTB is a library here: `start` returns at once and a
  background task reaches Telegram (retrying with Chinese lines, bot/tg/protocol/startup.py), then
  starts PTB and long polling, or sets the webhook served by the runtime's HTTP server;
- Telegram's job events are registered with the runtime's router only once Telegram answers:
  until then its jobs wait (DeliveryDelayed) and other platforms serve as usual;
- a rejected token ends the program with exit code 2 (ConfigProblem);
- this package imports no other platform (tests/test_core_boundaries.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.core import texts
from bot.core.config import Settings
from bot.core.services import Services
from bot.runtime.host import ConfigProblem
from bot.tg.capabilities import capabilities as telegram_capabilities
from bot.tg.context import CONTEXT_TYPES, Context
from bot.tg.handlers import access as access_handlers
from bot.tg.handlers import characters as character_handlers
from bot.tg.handlers import chat as chat_handlers
from bot.tg.handlers import commands, generation
from bot.tg.handlers import draw as draw_handlers
from bot.tg.handlers import media as media_router
from bot.tg.handlers import settings as settings_handlers
from bot.tg.handlers import story as story_handlers
from bot.tg.handlers import video as video_handlers
from bot.tg.outbound.job_events import TelegramJobEvents
from bot.tg.outbound.pacing import ChatBudgetRateLimiter
from bot.tg.protocol.startup import TokenRejected, wait_for_telegram
from bot.tg.protocol.webhook import webhook_handler

if TYPE_CHECKING:
    from bot.runtime.host import Host
    from bot.runtime.http import HttpServer

log = logging.getLogger(__name__)

NEW_MESSAGES = filters.UpdateType.MESSAGE  # edited messages are deliberately ignored


def build_application(settings: Settings) -> Application:
    assert settings.telegram_bot_token is not None
    builder = (
        ApplicationBuilder()
        .context_types(CONTEXT_TYPES)  # context.bot_data is a BotData (bot/tg/context.py)
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .rate_limiter(
            ChatBudgetRateLimiter(
                private_interval=settings.private_chat_interval,
                group_max_per_minute=settings.group_messages_per_minute,
                private_burst=settings.private_chat_burst,
                overall_per_second=settings.telegram_messages_per_second,
                max_uploads=settings.telegram_max_uploads,
            )
        )
        .local_mode(settings.telegram_local_mode)  # files up to 2 GB via a local Bot API server
        # Chat turns run as the bot's own tasks (bot/core/background.py), so a slot is held only
        # briefly; 256 lets commands and buttons through whatever is streaming.
        .concurrent_updates(256)
        .connect_timeout(10)
        .read_timeout(30)
        .write_timeout(60)
    )
    if proxy := settings.telegram_proxy:  # Telegram traffic only; providers stay direct
        builder = builder.proxy(proxy).get_updates_proxy(proxy)
    if settings.webhook_url:  # updates come through the runtime's HTTP server
        builder = builder.updater(None)
    app = builder.build()
    app.bot_data.settings = settings
    register_handlers(app)
    return app


def register_handlers(app: Application) -> None:
    access_handlers.register(app)  # the gate (group -1), /usage and the admin commands
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    app.add_handler(CommandHandler("start", commands.on_start, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("help", commands.on_help, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("new", commands.on_new, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("model", commands.on_model, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("ask", chat_handlers.on_ask, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("draw", draw_handlers.on_draw, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("settings", settings_handlers.on_settings, filters=NEW_MESSAGES))
    app.add_handler(CallbackQueryHandler(commands.on_model_chosen, pattern=r"^model\|"))
    app.add_handler(CallbackQueryHandler(settings_handlers.on_setting_chosen, pattern=r"^set\|"))
    app.add_handler(CommandHandler("video", video_handlers.on_video, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("remix", video_handlers.on_remix, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("story", story_handlers.on_story, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("role", character_handlers.on_role, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("roles", character_handlers.on_roles, filters=NEW_MESSAGES))
    app.add_handler(
        CallbackQueryHandler(character_handlers.on_video_button, pattern=r"^job\|(remix|role)\|")
    )
    app.add_handler(CallbackQueryHandler(character_handlers.on_role_button, pattern=r"^role\|"))
    # Before the chat handlers: a text reply to a video/character prompt continues that prompt.
    app.add_handler(
        MessageHandler(NEW_MESSAGES & ~filters.COMMAND & video_handlers.PROMPT_REPLY,
                       video_handlers.on_prompt_reply)
    )  # fmt: skip
    app.add_handler(CallbackQueryHandler(generation.on_job_button, pattern=r"^job\|"))
    app.add_handler(
        MessageHandler(NEW_MESSAGES & private & filters.TEXT & ~filters.COMMAND,
                       chat_handlers.on_private_text)
    )  # fmt: skip
    app.add_handler(
        MessageHandler(NEW_MESSAGES & groups & filters.TEXT & ~filters.COMMAND,
                       chat_handlers.on_group_text)
    )  # fmt: skip
    media = filters.PHOTO | filters.Document.IMAGE | filters.VIDEO | filters.Document.VIDEO
    app.add_handler(MessageHandler(NEW_MESSAGES & media, media_router.on_media))
    app.add_handler(
        MessageHandler(NEW_MESSAGES & private & ~filters.COMMAND, commands.on_unsupported)
    )
    app.add_handler(CallbackQueryHandler(commands.on_unknown_button))
    app.add_error_handler(on_error)


ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


class TelegramPlatform:
    """PTB under the runtime: mount → start (background connect) → stop."""

    name = "telegram"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = build_application(settings)
        self.webhook_secret = _webhook_secret(settings) if settings.webhook_url else None
        self._stopping = asyncio.Event()
        self._connect: asyncio.Task[None] | None = None
        self._services: Services | None = None
        self._state = "starting"
        self.ready = asyncio.Event()  # set once Telegram answers and updates are taken
        self.poll_timeout = 10  # long-polling seconds (tests use less)

    def state(self) -> str:
        return self._state

    def mount(self, http: HttpServer) -> None:
        settings = self.settings
        if settings.webhook_url and self.webhook_secret is not None:
            # http://WEBHOOK_LISTEN:WEBHOOK_PORT/<path of WEBHOOK_URL>; TLS is the proxy's job.
            site = http.at(settings.webhook_listen, settings.webhook_port)
            path = urlsplit(settings.webhook_url).path or "/"
            site.router.add_post(path, webhook_handler(self.app, self.webhook_secret))

    async def start(self, host: Host) -> None:
        services = self._services = host.services
        self.app.bot_data.services = services
        access_handlers.setup(self.app, services)
        events = TelegramJobEvents(
            self.app.bot, services.jobs, services.runner, self.settings.job_status_interval,
            kind_intervals={"video": self.settings.video_status_interval},
            capabilities=telegram_capabilities(self.settings),  # this deployment's upload limit
            retry_min=self.settings.job_delivery_retry_min,
            retry_max=self.settings.job_delivery_retry_max,
        )  # fmt: skip
        self.app.bot_data.job_events = events  # status pacing for jobs started here
        self._state = "connecting"
        self._connect = asyncio.create_task(self._run(host, events), name="telegram-connect")

    async def _run(self, host: Host, events: TelegramJobEvents) -> None:
        try:
            if not await wait_for_telegram(self.app, self.settings, self._stopping):
                return  # stopped while waiting
        except TokenRejected:
            line = texts.STARTUP_TOKEN_INVALID.format(base=self.settings.telegram_base_url)
            host.fatal(ConfigProblem(line))
            return
        await self.app.start()
        host.router.set(self.name, events)  # Telegram's jobs are shown and delivered from now
        await self._set_menu(host.services)
        if self.app.updater is not None:
            await self.app.updater.start_polling(
                timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
            )
        else:
            await self.app.bot.set_webhook(
                self.settings.webhook_url or "", secret_token=self.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )  # fmt: skip
            log.info(texts.LOG_TELEGRAM_WEBHOOK_SET, self.settings.webhook_url)
        self._state = "running"
        self.ready.set()

    async def _set_menu(self, services: Services) -> None:
        # Only what the configured providers can do (no /story without a storyboard provider).
        menu = [BotCommand(name, text) for name, text in commands.command_menu(services.providers)]
        try:
            await self.app.bot.set_my_commands(menu, scope=BotCommandScopeAllPrivateChats())
            await self.app.bot.set_my_commands(menu, scope=BotCommandScopeAllGroupChats())
        except TelegramError:
            log.warning(texts.LOG_COULD_NOT_SET_COMMAND_MENU, exc_info=True)

    async def stop(self) -> None:
        self._stopping.set()
        if self._connect is not None and not self._connect.done():
            self._connect.cancel()
        if self._connect is not None:
            with contextlib.suppress(BaseException):
                await self._connect
        app = self.app
        with contextlib.suppress(Exception):
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
        with contextlib.suppress(Exception):
            if app.running:
                await app.stop()
        with contextlib.suppress(Exception):
            await app.shutdown()
        self._state = "stopped"

    async def notify(self, chat_id: int, text: str) -> None:
        if self._state != "running":
            return
        try:
            await self.app.bot.send_message(chat_id, text)
        except TelegramError:
            log.warning(texts.LOG_COULD_NOT_ALERT_ADMIN_ABOUT, chat_id, exc_info=True)


def _webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET, or a random one per start (setWebhook sends it to Telegram anyway)."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    return secrets.token_urlsafe(32)


async def on_error(update: object, context: Context) -> None:
    """Log the failure and tell the user something went wrong instead of going silent."""
    log.error(texts.LOG_HANDLER_FAILED, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(texts.ERR_INTERNAL)
        except TelegramError:
            pass
