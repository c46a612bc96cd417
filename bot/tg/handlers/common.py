"""Small helpers shared by the Telegram handlers."""

from __future__ import annotations

import re

from telegram import Message, MessageEntity, Update

from bot.core.services import Services
from bot.tg.context import Context


def services(context: Context) -> Services:
    return context.bot_data.services


def command_argument(message: Message) -> str:
    """The text after the leading /command (or /command@bot) of a text or caption."""
    text = message.text or message.caption or ""
    entities = message.entities or message.caption_entities or ()
    for entity in entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            # Offsets are UTF-16 units; parse_entity does the conversion for us.
            command = (
                message.parse_entity(entity)
                if message.text
                else (message.parse_caption_entity(entity))
            )
            return text[len(command) :].strip()
    return text.strip()


def strip_bot_mention(text: str, bot_username: str) -> str:
    """`text` without @bot_username; line breaks and indentation of the rest are kept."""
    pattern = re.compile(rf"[ \t]*(?<![\w@])@{re.escape(bot_username)}(?!\w)[ \t]*", re.IGNORECASE)

    def gap(match: re.Match[str]) -> str:
        before = text[match.start() - 1] if match.start() else "\n"
        after = text[match.end()] if match.end() < len(text) else "\n"
        return "" if "\n" in (before, after) else " "  # a space only between two words

    return pattern.sub(gap, text).strip()


def mentions_bot(message: Message, bot_username: str) -> bool:
    target = f"@{bot_username}".lower()
    for entity, value in {**message.parse_entities(), **message.parse_caption_entities()}.items():
        if entity.type == MessageEntity.MENTION and value.lower() == target:
            return True
    return False


def is_reply_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


def addressed_in_group(message: Message, context: Context) -> bool:
    """A group message meant for the bot: @mention, reply to the bot, or a bot command."""
    caption = message.caption or message.text or ""
    return (
        mentions_bot(message, context.bot.username)
        or is_reply_to_bot(message, context.bot.id)
        or caption.startswith("/")
    )


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return bool(chat and chat.type == chat.PRIVATE)
