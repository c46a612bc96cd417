"""Chat turns from Telegram: private text, group /ask, @mentions, replies, photos and albums."""

from __future__ import annotations

import contextlib
import logging

from telegram import Message, Update
from telegram.error import TelegramError

from bot.core import texts
from bot.core.chat.service import ImageInput
from bot.core.media.download import IMAGE_MIMES, sniff_mime
from bot.core.usecases.chat_turn import QueuedTurn, begin_chat_turn
from bot.core.usecases.refused import Refused
from bot.tg.context import Context
from bot.tg.handlers.common import (
    command_argument,
    is_reply_to_bot,
    mentions_bot,
    services,
    strip_bot_mention,
)
from bot.tg.handlers.draw import draw_from
from bot.tg.handlers.references import saved_or_telegram_copy
from bot.tg.outbound.streaming import Deadlines, ReplyStream

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 10 * 1024 * 1024


async def on_private_text(update: Update, context: Context) -> None:
    """A plain message in a private chat is one chat turn."""
    message = update.effective_message
    assert message is not None and message.text is not None
    if await _continue_reference_prompt(message, context):
        return
    await _answer(message, context, message.text, [])


async def on_group_text(update: Update, context: Context) -> None:
    """In groups: answer only an @mention of the bot or a reply to one of its messages."""
    message = update.effective_message
    assert message is not None and message.text is not None
    bot = context.bot
    if not (mentions_bot(message, bot.username) or is_reply_to_bot(message, bot.id)):
        return
    if await _continue_reference_prompt(message, context):
        return
    question = strip_bot_mention(message.text, bot.username)
    if not question:
        await message.reply_text(texts.ASK_EMPTY)
        return
    await _answer(message, context, question, [])


async def on_ask(update: Update, context: Context) -> None:
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


async def answer_about_images(context: Context, parts: list[Message]) -> None:
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
        media = part.photo[-1] if part.photo else part.document
        if media is None:
            continue
        if media.file_size and media.file_size > MAX_IMAGE_BYTES:
            await anchor.reply_text(texts.IMAGE_TOO_BIG.format(limit_mb=MAX_IMAGE_BYTES >> 20))
            return
        try:
            file = await media.get_file()
            data = bytes(await file.download_as_bytearray())
        except TelegramError:
            log.warning(texts.LOG_PHOTO_DOWNLOAD_FAILED, exc_info=True)
            await anchor.reply_text(texts.IMAGE_DOWNLOAD_FAILED)
            return
        mime = sniff_mime(data[:64])
        if mime not in IMAGE_MIMES:
            await anchor.reply_text(texts.DRAW_REFERENCE_NOT_IMAGE)
            return
        images.append(ImageInput(data, mime))
    await _answer(anchor, context, caption, images)


async def _continue_reference_prompt(message: Message, context: Context) -> bool:
    """A reply to "write how to change this image" is a /draw with that image."""
    replied = message.reply_to_message
    if replied is None or not is_reply_to_bot(message, context.bot.id):
        return False
    link = await services(context).jobs.result_message(replied.chat_id, replied.message_id)
    if link is None or link.kind != "reference_prompt" or not link.path:
        return False
    text = strip_bot_mention(message.text or "", context.bot.username)
    settings = services(context).settings  # the saved file may be gone (media retention)
    refs = await saved_or_telegram_copy(message, link.path, link.file_id,
                                        settings.media_dir / "refs",
                                        settings.draw_max_reference_mb)  # fmt: skip
    if refs.problem:
        await message.reply_text(refs.problem)
        return True
    await draw_from(context, [message], text, extra_references=refs.paths)
    return True


async def _answer(
    message: Message, context: Context, question: str, images: list[ImageInput]
) -> None:
    svc = services(context)
    user = message.from_user
    assert user is not None
    private = message.chat.type == message.chat.PRIVATE
    # Length, quota, then its place in the line, taken now (bot/core/usecases/chat_turn.py).
    queued = await begin_chat_turn(svc, user.id, message.chat_id, private, question)
    if isinstance(queued, Refused):
        await message.reply_text(queued.text)
        return
    if queued.note:
        with contextlib.suppress(TelegramError):
            await message.reply_text(queued.note)
    # The answer runs as the bot's own task: this update slot is free at once.
    svc.background.spawn(_queued_turn(queued, message, context, question, images),
                         name=f"chat:{queued.key}")  # fmt: skip


async def _queued_turn(
    queued: QueuedTurn, message: Message, context: Context, question: str,
    images: list[ImageInput],
) -> None:  # fmt: skip
    try:
        async with queued:
            async with services(context).chat_streams:  # a free upstream stream, never a timeout
                await _stream_turn(queued, message, context, question, images)
    finally:
        queued.end()  # the quota hold and the place, also when cancelled before its turn


async def _stream_turn(
    queued: QueuedTurn, message: Message, context: Context, question: str,
    images: list[ImageInput],
) -> None:  # fmt: skip
    svc = services(context)
    user = message.from_user
    assert user is not None
    private = message.chat.type == message.chat.PRIVATE
    turn = await svc.chat.start_turn(queued.key, user.id, question, images)
    stream = ReplyStream(
        context.bot,
        message.chat_id,
        reply_to=None if private else message.message_id,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        use_draft=private,
        interval=svc.settings.stream_edit_interval
        if private
        else svc.settings.group_stream_edit_interval,
        deadlines=Deadlines(svc.settings.chat_first_token_timeout,
                            svc.settings.chat_silence_timeout, svc.settings.chat_total_timeout),
        draft_refresh=svc.settings.chat_draft_refresh,
    )  # fmt: skip
    result = await stream.run(svc.chat.stream(turn))
    if result.error is None and result.text.strip():
        await queued.answered(turn, result.text)
    log.info(
        texts.LOG_CHAT_ANSWERED,
        message.chat_id, user.id, turn.model, len(result.text), result.stats.updates,
        type(result.error).__name__ if result.error else "-",
    )  # fmt: skip
