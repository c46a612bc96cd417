"""Small helpers shared by the Telegram handlers."""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.ext import ContextTypes

from bot.services import Services


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


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
    mention = f"@{bot_username}"
    return (
        " ".join(part for part in text.split() if part.lower() != mention.lower())
        if (mention.lower() in text.lower())
        else text.strip()
    )


def mentions_bot(message: Message, bot_username: str) -> bool:
    target = f"@{bot_username}".lower()
    for entity, value in {**message.parse_entities(), **message.parse_caption_entities()}.items():
        if entity.type == MessageEntity.MENTION and value.lower() == target:
            return True
    return False


def is_reply_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return bool(chat and chat.type == chat.PRIVATE)
