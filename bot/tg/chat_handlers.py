"""Chat turns from Telegram: private text, group /ask, @mentions, replies, photos and albums."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts
from bot.chat.service import ImageInput, conversation_key
from bot.tg.common import (
    command_argument,
    is_private,
    is_reply_to_bot,
    mentions_bot,
    services,
    strip_bot_mention,
)
from bot.tg.streaming import ReplyStream

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 10 * 1024 * 1024
_conversation_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A plain message in a private chat is one chat turn."""
    message = update.effective_message
    assert message is not None and message.text is not None
    await _answer(message, context, message.text, [])


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups: answer only an @mention of the bot or a reply to one of its messages."""
    message = update.effective_message
    assert message is not None and message.text is not None
    bot = context.bot
    if not (mentions_bot(message, bot.username) or is_reply_to_bot(message, bot.id)):
        return
    question = strip_bot_mention(message.text, bot.username)
    if not question:
        await message.reply_text(texts.ASK_EMPTY)
        return
    await _answer(message, context, question, [])


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask <question>: a chat turn, mainly for groups."""
    message = update.effective_message
    assert message is not None
    question = command_argument(message)
    replied = message.reply_to_message
    if not question and replied and (replied.text or replied.caption):
        question = replied.text or replied.caption or ""
    if not question:
        await message.reply_text(texts.ASK_EMPTY)
        return
    await _answer(message, context, question, [])


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo (or an album) with a caption is a question about the picture(s)."""
    message = update.effective_message
    assert message is not None
    if message.media_group_id:
        _collect_album(message, context)
        return
    if not is_private(update) and not _addressed_in_group(message, context):
        return
    await _answer_about_images(context, [message])


def _addressed_in_group(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    caption = message.caption or ""
    return (
        mentions_bot(message, context.bot.username)
        or is_reply_to_bot(message, context.bot.id)
        or caption.startswith("/ask")
    )


def _collect_album(message: Message, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Albums arrive as one update per photo: wait briefly, then answer once for all."""
    albums: dict[str, list[Message]] = context.application.bot_data.setdefault("albums", {})
    key = f"{message.chat_id}:{message.media_group_id}"
    if key in albums:
        albums[key].append(message)
        return
    albums[key] = [message]
    wait = services(context).settings.media_group_wait
    assert context.job_queue is not None
    context.job_queue.run_once(_album_complete, wait, data=key, name=f"album:{key}")


async def _album_complete(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert context.job is not None
    albums: dict[str, list[Message]] = context.application.bot_data.get("albums", {})
    parts = sorted(albums.pop(str(context.job.data), []), key=lambda m: m.message_id)
    if not parts:
        return
    first = parts[0]
    if first.chat.type != first.chat.PRIVATE and not any(
        _addressed_in_group(m, context) for m in parts
    ):
        return
    await _answer_about_images(context, parts)


async def _answer_about_images(context: ContextTypes.DEFAULT_TYPE, parts: list[Message]) -> None:
    anchor = next((m for m in parts if m.caption), parts[0])
    caption = (
        command_argument(anchor)
        if (anchor.caption or "").startswith("/")
        else (anchor.caption or "")
    )
    caption = strip_bot_mention(caption, context.bot.username)
    if not caption:
        await anchor.reply_text(texts.PHOTO_NO_CAPTION)
        return
    images: list[ImageInput] = []
    for part in parts:
        if not part.photo:
            continue
        size = part.photo[-1]
        if size.file_size and size.file_size > MAX_IMAGE_BYTES:
            await anchor.reply_text(texts.IMAGE_TOO_BIG.format(limit_mb=MAX_IMAGE_BYTES >> 20))
            return
        try:
            file = await size.get_file()
            data = bytes(await file.download_as_bytearray())
        except TelegramError:
            log.warning("photo download failed", exc_info=True)
            await anchor.reply_text(texts.IMAGE_DOWNLOAD_FAILED)
            return
        images.append(ImageInput(data, "image/jpeg"))
    await _answer(anchor, context, caption, images)


async def _answer(
    message: Message, context: ContextTypes.DEFAULT_TYPE, question: str, images: list[ImageInput]
) -> None:
    svc = services(context)
    limit = svc.settings.chat_max_prompt_chars
    if len(question) > limit:
        await message.reply_text(texts.PROMPT_TOO_LONG.format(length=len(question), limit=limit))
        return
    user = message.from_user
    assert user is not None
    private = message.chat.type == message.chat.PRIVATE
    key = conversation_key(message.chat_id, user.id, private)
    async with _conversation_locks[key]:  # one answer at a time per conversation, in order
        turn = await svc.chat.start_turn(key, user.id, question, images)
        stream = ReplyStream(
            context.bot,
            message.chat_id,
            reply_to=None if private else message.message_id,
            thread_id=message.message_thread_id if message.is_topic_message else None,
            use_draft=private,
            interval=svc.settings.stream_edit_interval if private else 3.0,
        )
        result = await stream.run(svc.chat.stream(turn))
        if result.error is None and result.text.strip():
            await svc.chat.remember(turn, result.text)
        log.info(
            "chat answered chat=%s user=%s model=%s chars=%d updates=%d error=%s",
            message.chat_id, user.id, turn.model, len(result.text), result.stats.updates,
            type(result.error).__name__ if result.error else "-",
        )  # fmt: skip
