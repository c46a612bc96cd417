"""Delivering Sora results to Telegram: playable videos (or a link when too big) and characters.

Called by TelegramJobEvents.deliver for every non-image job. Delivery is idempotent per file:
a result already recorded in `result_messages` is not sent again after a restart.
Videos are never read into memory: the Bot API upload streams the open file, a local Bot API
server reads the file itself (PTB local mode turns the path into a file:// URI).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Protocol

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
)
from telegram.error import BadRequest, NetworkError

from bot.core import texts
from bot.core.jobs.result_links import minutes_left
from bot.core.jobs.status import shown_prompt
from bot.core.media.mp4info import mp4_info
from bot.core.platform import Capabilities
from bot.core.providers import errors
from bot.core.store.characters import CharacterStore
from bot.core.store.jobs import Job, JobStore, ResultMessage, SavedFile
from bot.tg.outbound.addressing import about_the_place, chat_gone, job_button, reply_to_job

log = logging.getLogger(__name__)

MB = 1024 * 1024
CAPTION_PROMPT_CHARS = 900  # captions are limited to 1024 characters
UPLOAD_TIMEOUT = 600.0  # seconds to upload up to 50 MB on a slow link


class VideoSender(Protocol):
    """What delivery needs from TelegramJobEvents (which calls in here, not the other way)."""

    bot: Bot
    store: JobStore
    capabilities: Capabilities  # max_inline_video_bytes: a local Bot API server takes 2 GB


async def deliver_video_job(events: VideoSender, job: Job, already: set[str | None]) -> None:
    if job.kind == "character":
        await _deliver_character(events, job)
        return
    for index, file in enumerate(job.files):
        if file.path not in already:
            pid = job.results[index].pid if index < len(job.results) else None
            await _deliver_video(events, job, file, pid)


def video_buttons(job: Job, pid: str | None) -> InlineKeyboardMarkup:
    first = [job_button(texts.BUTTON_MAKE_CHARACTER, "role", job)]
    if pid:  # a remix needs the upstream id
        first.insert(0, job_button(texts.BUTTON_REMIX, "remix", job))
    return InlineKeyboardMarkup([first, [job_button(texts.BUTTON_VIDEO_AGAIN, "again", job)]])


async def _deliver_video(events: VideoSender, job: Job, file: SavedFile, pid: str | None) -> None:
    info = await asyncio.to_thread(mp4_info, file.path)
    width = info.width if info else None
    height = info.height if info else None
    # The container knows best; otherwise the length that was asked for.
    seconds = info.duration if info and info.duration else job.request.params.get("duration")
    duration = round(float(seconds)) if seconds else None
    limit_mb = events.capabilities.max_inline_video_bytes // MB
    message: Message | None = None
    if file.size <= limit_mb * MB:
        message = await _send_video(events, job, file, pid, width, height, duration)
    file_id = message.video.file_id if message is not None and message.video else None
    if message is None:
        message = await _send_link(events, job, file, pid, limit_mb)
    await events.store.add_result_message(
        ResultMessage(
            chat_id=message.chat_id, message_id=message.message_id, job_id=job.id, kind="video",
            file_id=file_id, path=file.path, pid=pid, width=width, height=height,
            duration=duration,
        )
    )  # fmt: skip
    log.info(texts.LOG_JOB_VIDEO_DELIVERED, job.id, "file" if file_id else "link")


async def _send_video(
    events: VideoSender,
    job: Job,
    file: SavedFile,
    pid: str | None,
    width: int | None,
    height: int | None,
    duration: int | None,
) -> Message | None:
    """The sent message, or None when Telegram refused the size (413) and a link must do."""
    handle = None
    if events.bot.local_mode:
        video: Path | InputFile = Path(file.path)
    else:
        # read_file_handle=False: httpx streams the open file instead of PTB reading it whole.
        handle = open(file.path, "rb")  # closed below, after the upload
        video = InputFile(handle, filename=Path(file.path).name, read_file_handle=False)
    try:
        return await events.bot.send_video(
            job.chat_id, video, duration=duration, width=width, height=height,
            supports_streaming=True, caption=_caption(job), reply_markup=video_buttons(job, pid),
            reply_parameters=reply_to_job(job), message_thread_id=job.thread_id,
            write_timeout=UPLOAD_TIMEOUT, read_timeout=UPLOAD_TIMEOUT,
        )  # fmt: skip
    except BadRequest as exc:
        if chat_gone(exc) or about_the_place(exc):
            raise
        # Telegram will not make a playable video of it: the file itself still goes.
        log.warning(texts.LOG_JOB_VIDEO_REFUSED_SENDING_FILE, job.id, exc)
    except NetworkError as exc:
        text = str(exc).lower()
        if "too large" in text or "too big" in text:
            log.info(texts.LOG_JOB_VIDEO_REFUSED_TOO_LARGE, job.id)
            return None
        raise
    finally:
        if handle is not None:
            handle.close()
    with open(file.path, "rb") as document:
        return await events.bot.send_document(
            job.chat_id, InputFile(document, filename=Path(file.path).name,
                                   read_file_handle=False),
            caption=_caption(job), reply_markup=video_buttons(job, pid),
            reply_parameters=reply_to_job(job), message_thread_id=job.thread_id,
            disable_content_type_detection=True,
            write_timeout=UPLOAD_TIMEOUT, read_timeout=UPLOAD_TIMEOUT,
        )  # fmt: skip


async def _send_link(
    events: VideoSender, job: Job, file: SavedFile, pid: str | None, limit_mb: int
) -> Message:
    size_mb = f"{file.size / MB:.0f}"
    minutes = await asyncio.to_thread(minutes_left, file)
    if file.url and minutes is not None:
        text = texts.VIDEO_TOO_BIG_LINK.format(
            prompt=_prompt(job), size_mb=size_mb, limit_mb=limit_mb, url=file.url,
            expires=texts.VIDEO_LINK_EXPIRES.format(minutes=minutes),
        )  # fmt: skip
    else:
        text = texts.VIDEO_TOO_BIG_NO_LINK.format(
            prompt=_prompt(job), size_mb=size_mb, limit_mb=limit_mb
        )
    return await events.bot.send_message(
        job.chat_id, text, reply_markup=video_buttons(job, pid), reply_parameters=reply_to_job(job),
        message_thread_id=job.thread_id, link_preview_options=LinkPreviewOptions(is_disabled=True),
    )  # fmt: skip


def _prompt(job: Job) -> str:
    prompt = shown_prompt(job.request)
    return prompt if len(prompt) <= CAPTION_PROMPT_CHARS else prompt[:CAPTION_PROMPT_CHARS] + "…"


def _caption(job: Job) -> str:
    return texts.VIDEO_CAPTION.format(prompt=_prompt(job))


async def _deliver_character(events: VideoSender, job: Job) -> None:
    if await events.store.result_messages_of(job.id):
        return  # told before a restart
    item = next((r for r in job.results if r.character_id), None)
    if item is None or item.character_id is None:
        raise errors.TaskFailed("no character id")
    character = await CharacterStore(events.store.db).add(job.user_id, item.character_id, job.id)
    message = await events.bot.send_message(
        job.chat_id,
        texts.ROLE_CREATED.format(character_id=character.character_id, name=character.name),
        reply_parameters=reply_to_job(job), message_thread_id=job.thread_id,
    )  # fmt: skip
    await events.store.add_result_message(
        ResultMessage(
            chat_id=message.chat_id, message_id=message.message_id, job_id=job.id,
            kind="character", file_id=None, path=None, pid=character.character_id,
        )
    )  # fmt: skip
