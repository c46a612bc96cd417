"""/start, /help, /new, /model and the fallbacks for messages the bot does not handle."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.chat.service import conversation_key
from bot.config import CHAT_MODELS
from bot.tg.common import is_private, services


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A short Chinese welcome."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None
    name = user.first_name if user else "朋友"
    await message.reply_text(texts.WELCOME.format(name=name))


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every command with an example."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(texts.HELP)


async def on_new(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forget this conversation's context."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    key = conversation_key(message.chat_id, user.id, is_private(update))
    removed = await services(context).chat.forget(key)
    await message.reply_text(texts.NEW_CONVERSATION if removed else texts.NEW_CONVERSATION_EMPTY)


def _model_keyboard(current: str, owner: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    (texts.MODEL_MARK if model == current else "") + model,
                    callback_data=f"model|{model}|{owner}",
                )
            ]
            for model in CHAT_MODELS
        ]
    )


async def on_model(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the chat models with the user's current one marked."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    current = await services(context).chat.model_for(user.id)
    await message.reply_text(
        texts.MODEL_CHOOSE.format(current=current), reply_markup=_model_keyboard(current, user.id)
    )


async def on_model_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remember the chosen model for this user and mark it in the keyboard."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, model, owner = ([*query.data.split("|"), "", ""])[:3]
    if owner and owner != str(query.from_user.id):
        await query.answer(texts.BUTTON_FORBIDDEN, show_alert=True)
        return
    if not await services(context).chat.set_model(query.from_user.id, model):
        await query.answer(texts.MODEL_UNKNOWN, show_alert=True)
        return
    await query.answer(texts.MODEL_SET.format(model=model))
    if query.message is not None:
        await query.edit_message_text(
            texts.MODEL_SET.format(model=model),
            reply_markup=_model_keyboard(model, query.from_user.id),
        )


async def on_unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, voice and the like: say what the bot can do (private chats only)."""
    if is_private(update) and update.effective_message is not None:
        await update.effective_message.reply_text(texts.UNSUPPORTED_MESSAGE)


async def on_unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(texts.UNKNOWN_BUTTON)
