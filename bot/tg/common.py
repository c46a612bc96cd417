"""Small helpers shared by the Telegram handlers."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, Message, MessageEntity, ReplyParameters, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.services import Services
from bot.store.jobs import Job

# Bad Request texts that mean the chat cannot receive anything any more.
CHAT_GONE = ("chat not found", "group chat was deactivated", "chat_write_forbidden",
             "have no rights to send", "not enough rights to send", "peer_id_invalid",
             "user is deactivated", "bot was kicked", "bot was blocked")  # fmt: skip


def chat_gone(exc: TelegramError) -> bool:
    """A Bad Request meaning the chat cannot receive anything any more."""
    return isinstance(exc, BadRequest) and any(t in str(exc).lower() for t in CHAT_GONE)


def about_the_place(exc: TelegramError) -> bool:
    """A Bad Request about where the message was to go (a deleted topic, a replied message)
    rather than about the message itself."""
    text = str(exc).lower()
    return isinstance(exc, BadRequest) and any(w in text for w in ("thread", "topic", "repl"))


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


def job_button(label: str, action: str, job: Job) -> InlineKeyboardButton:
    """A button under a job's status or result; generation.on_job_button (and the video
    buttons in character_handlers) read `job|<action>|<id>`."""
    return InlineKeyboardButton(label, callback_data=f"job|{action}|{job.id}")


def reply_to_job(job: Job) -> ReplyParameters | None:
    """Replies to the request that started `job`, if it is known (sent even if it is gone)."""
    if job.reply_to_id is None:
        return None
    return ReplyParameters(job.reply_to_id, allow_sending_without_reply=True)


def addressed_in_group(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
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
