"""/role and /roles: Sora characters from a bot video (by pid) or a user's clip, and their list.

Also the "remix" / "make a character" buttons under a delivered video.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, Video
from telegram.error import TelegramError

from bot.core import texts
from bot.core.jobs.characters import NAME_MAX_CHARS, valid_name
from bot.core.jobs.options import (
    ClipProblem,
    clip_problem_text,
    looks_like_clip_range,
    parse_clip_range,
)
from bot.core.media.download import VIDEO_MIMES
from bot.core.providers.base import GenerationRequest
from bot.core.services import Services
from bot.core.store.characters import Character, CharacterStore
from bot.core.store.jobs import ResultMessage
from bot.tg.context import Context
from bot.tg.handlers.common import command_argument, services
from bot.tg.handlers.generation import owned_job_button, start_job
from bot.tg.handlers.references import TELEGRAM_DOWNLOAD_LIMIT_MB
from bot.tg.handlers.video_links import bot_video_replied_to, send_prompt

log = logging.getLogger(__name__)

MB = 1024 * 1024


async def on_role(update: Update, context: Context) -> None:
    """/role <start>,<end> as a reply to a video (or /role <name> to rename a character)."""
    message = update.effective_message
    assert message is not None
    await role_from(context, message, command_argument(message))


async def role_from(context: Context, message: Message, argument: str) -> None:
    """Shared by /role, a video sent with the caption /role, and replies to a role prompt."""
    user = message.from_user
    assert user is not None
    svc = services(context)
    replied = message.reply_to_message
    if replied is not None and argument and not looks_like_clip_range(argument):
        link = await svc.jobs.result_message(replied.chat_id, replied.message_id)
        if link is not None and link.kind == "character":
            await _rename(svc, message, user.id, link, argument)
            return
    bot_video = await bot_video_replied_to(svc, message)
    user_video = _video_of(message) or (_video_of(replied) if replied else None)
    if bot_video is None and user_video is None:
        await message.reply_text(texts.ROLE_USAGE)
        return
    if not argument:
        await message.reply_text(texts.ROLE_USAGE)
        return
    seconds = _seconds(bot_video.duration if bot_video else user_video.duration)  # type: ignore[union-attr]
    clip = parse_clip_range(argument, seconds)
    if isinstance(clip, ClipProblem):
        await message.reply_text(clip_problem_text(clip, seconds, "/role"))
        return
    params: dict[str, object] = {"timestamps": clip.timestamps}
    references: list[str] = []
    if bot_video is not None and bot_video.pid:
        params["pid"] = bot_video.pid
    elif bot_video is not None:  # no pid from the provider: upload the saved file instead
        if bot_video.path and await _exists(bot_video.path):
            references.append(bot_video.path)
        elif bot_video.file_id:  # deleted by media retention: Telegram still has it
            copy = await _download_clip(svc, message, Video(bot_video.file_id, "", 0, 0, 0))
            if copy is None:
                return
            references.append(copy)
        else:
            await message.reply_text(texts.ROLE_VIDEO_MISSING)
            return
    else:
        assert user_video is not None
        saved = await _download_clip(svc, message, user_video)
        if saved is None:
            return
        references.append(saved)
    await start_job(context, message, user.id, GenerationRequest("character", "", params,
                                                                 references))  # fmt: skip


def _video_of(message: Message) -> Video | None:
    if message.video:
        return message.video
    document = message.document
    if document is not None and document.mime_type in VIDEO_MIMES:
        # A video sent as a file: same download, length unknown (the upstream checks it).
        return Video(document.file_id, document.file_unique_id, 0, 0, 0,
                     file_size=document.file_size)  # fmt: skip
    return None


def _seconds(value: object) -> float | None:
    if isinstance(value, dt.timedelta):
        value = value.total_seconds()
    return float(value) if isinstance(value, int | float) and value > 0 else None


async def _exists(path: str) -> bool:
    return await asyncio.to_thread(Path(path).exists)


async def _download_clip(svc: Services, message: Message, video: Video) -> str | None:
    """The user's clip saved under media/clips, or None after telling the user why not."""
    limit_mb = svc.settings.role_max_video_mb
    if not svc.settings.telegram_local_mode:
        limit_mb = min(limit_mb, TELEGRAM_DOWNLOAD_LIMIT_MB)
    if video.file_size and video.file_size > limit_mb * MB:
        await message.reply_text(texts.ROLE_VIDEO_TOO_BIG.format(limit_mb=limit_mb))
        return None
    clips = svc.settings.media_dir / "clips"
    dest = clips / f"{uuid.uuid4().hex}.mp4"
    try:
        clips.mkdir(parents=True, exist_ok=True)
        file = await message.get_bot().get_file(video.file_id)
        await file.download_to_drive(dest)
    except (TelegramError, OSError):
        log.info(texts.LOG_CLIP_DOWNLOAD_FAILED, exc_info=True)
        dest.unlink(missing_ok=True)
        await message.reply_text(texts.ROLE_VIDEO_DOWNLOAD_FAILED)
        return None
    if dest.stat().st_size > limit_mb * MB:
        dest.unlink(missing_ok=True)
        await message.reply_text(texts.ROLE_VIDEO_TOO_BIG.format(limit_mb=limit_mb))
        return None
    return str(dest)


async def _rename(
    svc: Services, message: Message, user_id: int, link: ResultMessage, name: str
) -> None:
    name = name.strip().removeprefix("@")
    store = CharacterStore(svc.db)
    character = await store.of_job(link.job_id)
    if character is None or character.user_id != user_id:
        await message.reply_text(texts.ROLE_NOT_FOUND)
        return
    if not valid_name(name):
        await message.reply_text(texts.ROLE_BAD_NAME.format(limit=NAME_MAX_CHARS))
        return
    if not await store.rename(character.id, name):
        await message.reply_text(texts.ROLE_NAME_TAKEN.format(name=name))
        return
    await message.reply_text(texts.ROLE_RENAMED.format(name=name))


# -- /roles ------------------------------------------------------------------------------------


async def on_roles(update: Update, context: Context) -> None:
    """/roles: the user's characters, each with "use" and "delete" buttons."""
    message = update.effective_message
    assert message is not None and message.from_user is not None
    characters = await CharacterStore(services(context).db).of_user(message.from_user.id)
    text, markup = roles_view(characters)
    await message.reply_text(text, reply_markup=markup)


def roles_view(characters: list[Character]) -> tuple[str, InlineKeyboardMarkup | None]:
    if not characters:
        return texts.ROLES_EMPTY, None
    lines = [texts.ROLES_TITLE] + [
        texts.ROLES_LINE.format(index=i, name=c.name, character_id=c.character_id)
        for i, c in enumerate(characters, start=1)
    ]
    rows = [
        [InlineKeyboardButton(texts.BUTTON_ROLE_INSERT.format(name=c.name),
                              callback_data=f"role|use|{c.id}"),
         InlineKeyboardButton(texts.BUTTON_ROLE_DELETE, callback_data=f"role|del|{c.id}")]
        for c in characters
    ]  # fmt: skip
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def on_role_button(update: Update, context: Context) -> None:
    """role|use|<id> sends a prompt that writes the character in; role|del|<id> deletes it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, action, raw_id = ([*query.data.split("|"), "", "", ""])[:3]
    store = CharacterStore(services(context).db)
    character = await store.get(int(raw_id)) if raw_id.isdecimal() else None
    if character is None:
        await query.answer(texts.ROLE_NOT_FOUND, show_alert=True)
        return
    if query.from_user.id != character.user_id:
        await query.answer(texts.BUTTON_FORBIDDEN, show_alert=True)
        return
    message = query.message
    if action == "del":
        await store.delete(character.id)
        await query.answer(texts.ROLE_DELETED.format(name=character.name))
        if isinstance(message, Message):
            text, markup = roles_view(await store.of_user(character.user_id))
            await message.edit_text(text, reply_markup=markup)
        return
    if action == "use" and isinstance(message, Message) and character.source_job_id:
        await query.answer()
        await send_prompt(
            context, message.chat_id, message.message_thread_id if message.is_topic_message
            else None, message.message_id, texts.ROLE_INSERT_PROMPT.format(name=character.name),
            ResultMessage(0, 0, character.source_job_id, "character_prompt", None, None,
                          pid=character.character_id),
        )  # fmt: skip
        return
    await query.answer(texts.UNKNOWN_BUTTON)


# -- the buttons under a delivered video --------------------------------------------------------


async def on_video_button(update: Update, context: Context) -> None:
    """job|remix|<id> and job|role|<id>: ask for the continuation or the clip's time range."""
    query = update.callback_query
    assert query is not None
    pressed = await owned_job_button(query, context)
    if pressed is None:
        return
    action, job = pressed
    svc = services(context)
    message = query.message
    source = None
    if isinstance(message, Message):
        source = await svc.jobs.result_message(message.chat_id, message.message_id)
    if source is None or not isinstance(message, Message):
        await query.answer(texts.UNKNOWN_BUTTON, show_alert=True)
        return
    await query.answer()
    kind = "remix_prompt" if action == "remix" else "role_prompt"
    text = (
        texts.REMIX_PROMPT
        if action == "remix"
        else texts.ROLE_PROMPT.format(duration=source.duration or "?")
    )
    link = ResultMessage(0, 0, job.id, kind, source.file_id, source.path, source.pid,
                         source.width, source.height, source.duration)  # fmt: skip
    await send_prompt(context, job.chat_id, job.thread_id, message.message_id, text, link)
