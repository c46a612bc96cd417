"""Builds the PTB Application: one visible place where every handler is registered."""

from __future__ import annotations

import logging

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
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import texts
from bot.config import Settings
from bot.jobs.events_router import router_of
from bot.services import Services
from bot.tg import (
    access_handlers,
    character_handlers,
    chat_handlers,
    commands,
    draw_handlers,
    generation,
    maintenance,
    media_router,
    settings_handlers,
    story_handlers,
    video_handlers,
)
from bot.tg.job_events import TelegramJobEvents
from bot.tg.platform import capabilities as telegram_capabilities
from bot.tg.ratelimit import ChatBudgetRateLimiter

log = logging.getLogger(__name__)

NEW_MESSAGES = filters.UpdateType.MESSAGE  # edited messages are deliberately ignored


def build_application(settings: Settings) -> Application:
    assert settings.telegram_bot_token is not None
    builder = (
        ApplicationBuilder()
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
        # Chat turns run as the bot's own tasks (bot/background.py), so a slot is held only
        # briefly; 256 lets commands and buttons through whatever is streaming.
        .concurrent_updates(256)
        .connect_timeout(10)
        .read_timeout(30)
        .write_timeout(60)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if proxy := settings.telegram_proxy:  # Telegram traffic only; providers stay direct
        builder = builder.proxy(proxy).get_updates_proxy(proxy)
    app = builder.build()
    app.bot_data["settings"] = settings
    register_handlers(app)
    from bot.onebot.adapter import attach  # QQ beside Telegram when ONEBOT_WS_PORT is set

    attach(app, settings)
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


async def _post_init(app: Application) -> None:
    settings: Settings = app.bot_data["settings"]
    services = await Services.open(settings)
    app.bot_data["services"] = services
    await access_handlers.setup(app, services)
    maintenance.setup(app, services)  # media retention sweeps, full-disk alert
    services.runner.events = TelegramJobEvents(
        app.bot, services.jobs, services.runner, settings.job_status_interval,
        kind_intervals={"video": settings.video_status_interval},
        capabilities=telegram_capabilities(settings),  # the upload limit of this deployment
        retry_min=settings.job_delivery_retry_min, retry_max=settings.job_delivery_retry_max,
    )  # fmt: skip
    if settings.onebot_ws_port is not None:  # QQ jobs wait (delayed) until QQ fills its slot
        services.runner.events = router_of(services.runner.events)
    resumed = await services.runner.resume()
    if resumed:
        log.info(texts.LOG_RESUMED_UNFINISHED_JOBS, len(resumed))
    # Only what the configured providers can do (no /story without a storyboard provider).
    menu = [BotCommand(name, text) for name, text in commands.command_menu(services.providers)]
    try:
        await app.bot.set_my_commands(menu, scope=BotCommandScopeAllPrivateChats())
        await app.bot.set_my_commands(menu, scope=BotCommandScopeAllGroupChats())
    except TelegramError:
        log.warning(texts.LOG_COULD_NOT_SET_COMMAND_MENU, exc_info=True)


async def _post_stop(app: Application) -> None:
    """Before the Bot closes: cut streaming answers (partial text + notice), bounded."""
    services: Services | None = app.bot_data.get("services")
    if services is not None:
        await services.background.close(services.settings.shutdown_grace)


async def _post_shutdown(app: Application) -> None:
    services: Services | None = app.bot_data.get("services")
    if services is not None:
        await services.close()


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure and tell the user something went wrong instead of going silent."""
    log.error(texts.LOG_HANDLER_FAILED, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(texts.ERR_INTERNAL)
        except TelegramError:
            pass
