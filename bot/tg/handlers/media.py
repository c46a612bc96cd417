"""Photos, image files and albums: a caption command decides what they are for.

`/draw …` makes them references for an image job, `/video …` for a video job; anything else
is a chat question about the picture(s). Albums arrive as one update per item, so they are
collected briefly (PTB job queue) and handled once.
"""

from __future__ import annotations

from telegram import Message, MessageEntity, Update

from bot.core import texts
from bot.core.media.download import IMAGE_MIMES
from bot.tg.context import Context
from bot.tg.handlers.characters import role_from
from bot.tg.handlers.chat import answer_about_images
from bot.tg.handlers.common import addressed_in_group, command_argument, services
from bot.tg.handlers.draw import draw_from
from bot.tg.handlers.video import video_from

OTHER_BOT = "@other"  # caption_command's answer for a /command@SomeOtherBot


def caption_command(message: Message) -> str | None:
    """'draw' for a caption starting with /draw or /draw@<this bot>, OTHER_BOT for a command
    addressed to another bot, else None."""
    for entity in message.caption_entities or ():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            name, _, target = message.parse_caption_entity(entity)[1:].partition("@")
            if target and target.lower() != (message.get_bot().username or "").lower():
                return OTHER_BOT
            return name.lower()
    return None


async def on_media(update: Update, context: Context) -> None:
    """A photo, image file or video: route it (albums are gathered first)."""
    message = update.effective_message
    assert message is not None
    if message.media_group_id:
        _collect_album(message, context)
        return
    await route(context, [message])


def _collect_album(message: Message, context: Context) -> None:
    albums: dict[str, list[Message]] = context.bot_data.albums
    key = f"{message.chat_id}:{message.media_group_id}"
    if key in albums:
        albums[key].append(message)
        return
    albums[key] = [message]
    assert context.job_queue is not None
    context.job_queue.run_once(
        _album_complete, services(context).settings.media_group_wait, data=key,
        name=f"album:{key}", job_kwargs={"misfire_grace_time": None},  # late, never skipped
    )  # fmt: skip


async def _album_complete(context: Context) -> None:
    assert context.job is not None
    albums: dict[str, list[Message]] = context.bot_data.albums
    parts = sorted(albums.pop(str(context.job.data), []), key=lambda m: m.message_id)
    if parts:
        await route(context, parts)


async def route(context: Context, parts: list[Message]) -> None:
    anchor = next((m for m in parts if m.caption), parts[0])
    command = caption_command(anchor)
    if command == OTHER_BOT:
        return  # meant for another bot in the same chat
    private = anchor.chat.type == anchor.chat.PRIVATE
    if not private and not any(addressed_in_group(m, context) for m in parts):
        return
    if command == "draw":
        await draw_from(context, [anchor, *[m for m in parts if m is not anchor]],
                        command_argument(anchor))  # fmt: skip
        return
    if command == "video":
        await video_from(context, [anchor, *[m for m in parts if m is not anchor]],
                         command_argument(anchor))  # fmt: skip
        return
    if command == "role":
        await role_from(context, anchor, command_argument(anchor))
        return
    images = [m for m in parts if m.photo or _is_image_document(m)]
    if not images:
        if private:
            await anchor.reply_text(texts.UNSUPPORTED_MESSAGE)
        return
    await answer_about_images(context, parts)


def _is_image_document(message: Message) -> bool:
    return bool(message.document and message.document.mime_type in IMAGE_MIMES)
