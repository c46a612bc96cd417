"""/start, /help, /new, /model and the fallbacks for messages the bot does not handle."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core import texts
from bot.core.chat.service import conversation_key
from bot.core.jobs.capabilities import can_run
from bot.core.providers.registry import ProviderSet
from bot.core.services import Services
from bot.tg.context import Context
from bot.tg.handlers.common import is_private, services


def available_commands(providers: ProviderSet) -> set[str]:
    """The commands the configured providers can run: only these are offered to users."""
    names = {name for name, _ in texts.COMMANDS} | {""}
    return {name for name in names if can_run(providers, name)}


def command_menu(providers: ProviderSet) -> list[tuple[str, str]]:
    offered = available_commands(providers)
    return [(name, text) for name, text in texts.COMMANDS if name in offered]


def help_text(offered: set[str]) -> str:
    """/help: each section's lines whose command is available; empty sections left out."""
    parts = [texts.HELP_TITLE]
    for heading, lines in texts.HELP_SECTIONS:
        shown = [line for needs, line in lines if needs in offered]
        if shown:
            parts.append("\n".join([heading, *shown]))
    return "\n\n".join(parts)


async def on_start(update: Update, context: Context) -> None:
    """A short Chinese welcome naming what this setup can do."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None
    name = user.first_name if user else texts.USER_FALLBACK_NAME
    offered = available_commands(services(context).providers)
    lines = [line for needs, line in texts.WELCOME_LINES if needs in offered]
    await message.reply_text("\n".join(lines).format(name=name))


async def on_help(update: Update, context: Context) -> None:
    """Every available command with an example."""
    assert update.effective_message is not None
    offered = available_commands(services(context).providers)
    await update.effective_message.reply_text(help_text(offered))


async def on_new(update: Update, context: Context) -> None:
    """Forget this conversation's context."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    key = conversation_key(message.chat_id, user.id, is_private(update))
    removed = await services(context).chat.forget(key)
    await message.reply_text(texts.NEW_CONVERSATION if removed else texts.NEW_CONVERSATION_EMPTY)


CALLBACK_LIMIT = 64  # bytes Telegram allows in callback_data


async def _model_menu(
    svc: Services, current: str, owner: int
) -> tuple[list[str], InlineKeyboardMarkup]:
    """Lines naming each provider's models, and one button per model, grouped by provider in
    the CHAT_PROVIDERS order. GrsAI's models keep their plain names (`model|<name>|<owner>`);
    other providers' are `provider:model`."""
    chat = svc.providers.chat
    lines: list[str] = []
    rows: list[list[InlineKeyboardButton]] = []
    limit = svc.settings.provider_models_menu_max
    for provider in chat.order:
        label = texts.PROVIDER_NAMES.get(provider, provider)
        models = await chat.catalog.models(provider)
        if models is None:
            lines.append(texts.MODEL_GROUP_UNAVAILABLE.format(provider=label))
            continue
        shown = list(models if provider == "grsai" else models[:limit])
        lines.append(texts.MODEL_GROUP_LINE.format(provider=label, count=len(shown)))
        for model in shown:
            ref = model if provider == "grsai" else f"{provider}:{model}"
            data = f"model|{ref}|{owner}"
            if len(data.encode()) > CALLBACK_LIMIT:
                continue  # too long for a button; still listed in the text
            text = model if provider == "grsai" else texts.MODEL_PROVIDER_BUTTON.format(
                provider=label, model=model)  # fmt: skip
            mark = texts.MODEL_MARK if ref == current else ""
            rows.append([InlineKeyboardButton(mark + text, callback_data=data)])
    served = svc.chat.served.get(owner)
    if served:
        lines.append(texts.MODEL_SERVED_BY.format(
            provider=texts.PROVIDER_NAMES.get(served[0], served[0]), model=served[1]))  # fmt: skip
    return lines, InlineKeyboardMarkup(rows)


async def on_model(update: Update, context: Context) -> None:
    """Show the chat models with the user's current one marked."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    svc = services(context)
    current = await svc.chat.model_for(user.id)
    lines, keyboard = await _model_menu(svc, current, user.id)
    await message.reply_text(
        "\n".join([texts.MODEL_CHOOSE.format(current=current), *lines]), reply_markup=keyboard
    )


async def on_model_chosen(update: Update, context: Context) -> None:
    """Remember the chosen model for this user and mark it in the keyboard."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, model, owner = ([*query.data.split("|"), "", ""])[:3]
    if owner and owner != str(query.from_user.id):
        await query.answer(texts.BUTTON_FORBIDDEN, show_alert=True)
        return
    svc = services(context)
    if not await svc.chat.set_model(query.from_user.id, model):
        await query.answer(texts.MODEL_UNKNOWN, show_alert=True)
        return
    await query.answer(texts.MODEL_SET.format(model=model))
    if query.message is not None:
        _, keyboard = await _model_menu(svc, model, query.from_user.id)
        await query.edit_message_text(texts.MODEL_SET.format(model=model), reply_markup=keyboard)


async def on_unsupported(update: Update, context: Context) -> None:
    """Stickers, voice and the like: say what the bot can do (private chats only)."""
    if is_private(update) and update.effective_message is not None:
        await update.effective_message.reply_text(texts.UNSUPPORTED_MESSAGE)


async def on_unknown_button(update: Update, context: Context) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(texts.UNKNOWN_BUTTON)
