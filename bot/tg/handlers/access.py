"""The access gate, quota answers, /usage and the admin commands (thin Telegram adapters)."""

from __future__ import annotations

import logging

from telegram import LinkPreviewOptions, Message, MessageEntity, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    TypeHandler,
    filters,
)

from bot.core import identity, texts
from bot.core.access import QUOTA_KINDS, AccessControl
from bot.core.access_texts import usage_report
from bot.core.admin_texts import providers_text, stats_text
from bot.core.console_auth import console_link_text
from bot.core.logging_setup import bind_log_context
from bot.core.provider_status import status_checks
from bot.core.services import Services
from bot.core.usecases.gate import Gate, Knock, Verdict
from bot.tg.context import Context
from bot.tg.handlers.common import addressed_in_group

log = logging.getLogger(__name__)

REFUSAL_INTERVAL = 10.0  # a stranger who keeps writing hears the refusal once per this long
GATE_GROUP = -1  # runs before every other handler group


def access(context: Context) -> AccessControl:
    return context.bot_data.services.access


def setup(app: Application, services: Services) -> None:
    """Called when the platform starts, once the services are open (one AccessControl for
    every platform)."""
    app.bot_data.gate = Gate(services.access, services.settings.group_user_cooldown,
                                REFUSAL_INTERVAL)  # fmt: skip


def register(app: Application) -> None:
    """The gate first (group -1); admin commands only match admins, others get no answer."""
    app.add_handler(TypeHandler(Update, gate), group=GATE_GROUP)
    admins = filters.User(user_id=app.bot_data.settings.bot_admin_ids)
    new = filters.UpdateType.MESSAGE
    for name, callback in (
        ("allow", on_allow), ("deny", on_deny), ("quota", on_quota), ("stats", on_stats),
        ("providers", on_providers), ("resend", on_resend),
    ):  # fmt: skip
        app.add_handler(CommandHandler(name, callback, filters=new & admins))
    # Admins, and allowed users when CONSOLE_WEB_CHAT=true: the gate decides (core gate.py).
    app.add_handler(CommandHandler("console", on_console, filters=new))
    app.add_handler(CommandHandler("usage", on_usage, filters=new))


# -- the gate ------------------------------------------------------------------------------


def _command_name(message: Message) -> str | None:
    text = message.text or ""
    for entity in message.entities or ():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return text[1 : entity.length].split("@", 1)[0].lower()
    return None


async def gate(update: Update, context: Context) -> None:
    """Strangers are refused before any handler (and so any provider) runs; the decision is
    the core's (bot/core/usecases/gate.py), this sends its answer."""
    user, chat = update.effective_user, update.effective_chat
    bind_log_context(user=user.id if user else None, chat=chat.id if chat else None)
    if user is None or user.is_bot:
        raise ApplicationHandlerStop
    message, query = update.message, update.callback_query
    group = chat is not None and chat.type != chat.PRIVATE
    knock = Knock(
        user.id, chat.id if chat is not None else 0, group,
        addressed=message is not None and (not group or addressed_in_group(message, context)),
        command=_command_name(message) if message is not None else None,
        button=query is not None,
        album=message.media_group_id if message is not None else None,
    )  # fmt: skip
    verdict: Verdict = context.bot_data.gate.check(knock)
    if verdict.passes:
        return
    if verdict.text is not None:
        try:
            if query is not None:
                await query.answer(verdict.text, show_alert=True)
            elif message is not None:
                await message.reply_text(verdict.text)
        except TelegramError:
            if verdict.reason == "denied":
                log.warning(texts.LOG_COULD_NOT_SEND_REFUSAL, exc_info=True)
    raise ApplicationHandlerStop


# -- quotas used by the other handlers -----------------------------------------------------


def _zone(context: Context) -> str:
    return context.bot_data.settings.quota_timezone


# -- /usage --------------------------------------------------------------------------------


async def on_usage(update: Update, context: Context) -> None:
    """What the user used today and what is left."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    await message.reply_text(await usage_report(access(context), user.id, _zone(context)))


# -- admin commands ------------------------------------------------------------------------


def _target_name(target_id: int) -> str:
    template = texts.ADMIN_TARGET_GROUP if target_id < 0 else texts.ADMIN_TARGET_USER
    return template.format(id=identity.display(target_id))


def _target_of(update: Update, context: Context) -> int | None:
    """The id argument, or the current group when there is none."""
    args = context.args or []
    if args:
        try:
            return identity.parse(args[0])  # also qq:<QQ号> / qqgroup:<群号>
        except ValueError:
            return None
    chat = update.effective_chat
    if chat is not None and chat.type != chat.PRIVATE:
        return chat.id
    return None


async def on_allow(update: Update, context: Context) -> None:
    """/allow <id>: a user (>0) or a group (<0); in a group without id: this group."""
    await _set_access(update, context, allowed=True)


async def on_deny(update: Update, context: Context) -> None:
    """/deny <id>: overrides BOT_ALLOWED_IDS and BOT_PUBLIC for that id."""
    await _set_access(update, context, allowed=False)


async def _set_access(update: Update, context: Context, allowed: bool) -> None:
    message, admin = update.effective_message, update.effective_user
    assert message is not None and admin is not None
    target = _target_of(update, context)
    if target is None or target == 0:
        await message.reply_text(texts.ADMIN_USAGE_ALLOW if allowed else texts.ADMIN_USAGE_DENY)
        return
    control = access(context)
    if not allowed and control.is_admin(target):
        shown = identity.display(target)
        await message.reply_text(texts.ADMIN_CANNOT_DENY_ADMIN.format(target=shown))
        return
    await control.set_allowed(target, allowed, admin.id)
    log.info(texts.LOG_ADMIN_ACCESS, admin.id, "allowed" if allowed else "denied", target)
    template = texts.ADMIN_ALLOWED if allowed else texts.ADMIN_DENIED
    await message.reply_text(template.format(target=_target_name(target)))


async def on_quota(update: Update, context: Context) -> None:
    """/quota <id> <kind> <n|default>, or /quota <id> to show that user's limits."""
    message, admin = update.effective_message, update.effective_user
    assert message is not None and admin is not None
    args = context.args or []
    control = access(context)
    try:
        user_id = identity.parse(args[0])  # also qq:<QQ号>
    except (IndexError, ValueError):
        await message.reply_text(texts.ADMIN_USAGE_QUOTA)
        return
    if len(args) == 1:
        limits = await control.limits(user_id)
        lines = "\n".join(
            f"{texts.QUOTA_KIND_NAMES[k]}（{k}）：{limits[k] if limits[k] is not None else '∞'}"
            for k in QUOTA_KINDS
        )
        shown = identity.display(user_id)
        await message.reply_text(texts.ADMIN_QUOTA_SHOW.format(user_id=shown, lines=lines))
        return
    kind = args[1].lower() if len(args) == 3 else ""
    raw = args[2].lower() if len(args) == 3 else ""
    value: int | None
    if raw in texts.ADMIN_QUOTA_DEFAULT_WORDS:
        value = None
    elif raw.isdecimal():  # not isdigit: "²".isdigit() is True but int("²") fails
        value = int(raw)
    else:
        kind = ""
    if kind not in QUOTA_KINDS:
        await message.reply_text(texts.ADMIN_USAGE_QUOTA)
        return
    await control.set_quota(user_id, kind, value)
    log.info(texts.LOG_ADMIN_SET_QUOTA, admin.id, user_id, kind, value)
    name = texts.QUOTA_KIND_NAMES[kind]
    if value is None:
        default = control.default_limits()[kind]
        await message.reply_text(
            texts.ADMIN_QUOTA_RESET.format(
                user_id=identity.display(user_id), name=name, value=default
            )
        )
    else:
        await message.reply_text(
            texts.ADMIN_QUOTA_SET.format(user_id=identity.display(user_id), name=name, value=value)
        )


async def on_stats(update: Update, context: Context) -> None:
    """/stats: users, today's jobs by state, failures by reason, estimated spend."""
    assert update.effective_message is not None
    stats = await access(context).stats()
    await update.effective_message.reply_text(stats_text(stats))


async def on_resend(update: Update, context: Context) -> None:
    """/resend <任务编号>: send a result that was made but refused in every form again (its
    saved files; nothing is paid again)."""
    message = update.effective_message
    assert message is not None
    args = context.args or []
    if len(args) != 1 or not args[0].isdecimal():
        await message.reply_text(texts.ADMIN_USAGE_RESEND)
        return
    svc: Services = context.bot_data.services
    job = await svc.jobs.get(int(args[0]))
    admin = update.effective_user.id if update.effective_user else None
    if job is None or not await svc.runner.redeliver(job, actor=admin):
        await message.reply_text(texts.ADMIN_RESEND_NOT_PARKED.format(job_id=args[0]))
        return
    log.info(texts.LOG_ADMIN_RESENDS_JOB, identity.display(message.chat_id), job.id)
    await message.reply_text(texts.ADMIN_RESEND_STARTED.format(job_id=job.id))


async def on_console(update: Update, context: Context) -> None:
    """/console: a one-time login link for the web console (or, for an allowed user with
    CONSOLE_WEB_CHAT=true, the web chat), in a private chat only."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    assert message is not None and chat is not None and user is not None
    services: Services = context.bot_data.services
    private = chat.type == chat.PRIVATE
    text = await console_link_text(
        services.db, services.settings, user.id, private=private, command="/console",
        allowed=services.access.is_allowed(user.id, None),
    )  # fmt: skip
    # No preview: Telegram's servers must not fetch the link (and the link page is a form).
    await message.reply_text(text, link_preview_options=LinkPreviewOptions(is_disabled=True))


async def on_providers(update: Update, context: Context) -> None:
    """Probe every provider's key (nothing is generated, nothing is paid)."""
    assert update.effective_message is not None
    # The same probes as QQ's /服务商 (GrsAI is optional when no routing list names it).
    checks = status_checks(context.bot_data.services)
    await update.effective_message.reply_text(await providers_text(checks))
