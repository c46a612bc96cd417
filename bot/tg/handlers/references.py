"""Finding and saving the reference images of a generation command.

A reference is: the photo(s) the command came with (caption or album), an image sent as a file,
or the photo / bot result / image file the command replies to. Files are saved under
BOT_DATA_DIR/media/refs so a job can be finished after a restart without Telegram. A saved
file that media retention deleted is fetched again from Telegram by its stored file_id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from telegram import Message
from telegram.error import TelegramError

from bot.core import texts
from bot.core.media.download import IMAGE_MIMES, sniff_mime
from bot.core.platform import download_failed_text
from bot.core.store.jobs import JobStore
from bot.tg.capabilities import TELEGRAM

log = logging.getLogger(__name__)

TELEGRAM_DOWNLOAD_LIMIT_MB = 20  # getFile refuses larger files without a local server


@dataclass
class References:
    paths: list[str]
    problem: str | None = None  # a Chinese message when the input cannot be used


async def collect_image_references(
    parts: list[Message], store: JobStore, refs_dir: Path, *, max_count: int, max_mb: int
) -> References:
    """Images attached to `parts` (the command message, or a whole album) or replied to."""
    sources: list[tuple[str | None, str | None, int | None]] = []  # (path, file_id, size)
    first = parts[0]
    for part in parts:
        found = _image_in(part)
        if isinstance(found, str):
            return References([], found)
        if found:
            sources.append(found)
    replied = first.reply_to_message
    if replied is not None:
        result = await store.result_message(replied.chat_id, replied.message_id)
        if result is not None and result.kind == "image":
            sources.append((result.path, result.file_id, None))
        else:
            found = _image_in(replied)
            if isinstance(found, str):
                return References([], found)
            if found:
                sources.append(found)
    if len(sources) > max_count:
        return References([], texts.DRAW_TOO_MANY_REFERENCES.format(limit=max_count))
    paths: list[str] = []
    for path, file_id, size in sources:
        if size and size > max_mb * 1024 * 1024:
            return References([], texts.DRAW_REFERENCE_TOO_BIG.format(limit_mb=max_mb))
        if path and Path(path).exists():
            paths.append(path)
            continue
        saved = await _download(first, file_id, refs_dir, max_mb)
        if not isinstance(saved, Path):
            return References([], saved)
        paths.append(str(saved))
    return References(paths)


async def saved_or_telegram_copy(
    message: Message, path: str | None, file_id: str | None, refs_dir: Path, max_mb: int
) -> References:
    """A saved bot result as a reference: the file on disk, or — once media retention has
    deleted it — Telegram's copy fetched again by its file_id."""
    if path and await asyncio.to_thread(Path(path).exists):
        return References([path])
    if not file_id:
        return References([], download_failed_text(TELEGRAM))
    saved = await _download(message, file_id, refs_dir, max_mb)
    return References([str(saved)]) if isinstance(saved, Path) else References([], saved)


def _image_in(message: Message) -> tuple[str | None, str | None, int | None] | str | None:
    """(None, file_id, size) for a photo or image document; a Chinese problem; or None."""
    if message.photo:
        size = message.photo[-1]
        return None, size.file_id, size.file_size
    document = message.document
    if document is not None:
        if document.mime_type not in IMAGE_MIMES:
            return texts.DRAW_REFERENCE_NOT_IMAGE
        return None, document.file_id, document.file_size
    return None


async def _download(
    message: Message, file_id: str | None, refs_dir: Path, max_mb: int
) -> Path | str:
    """The saved file, or the Chinese reason it could not be used."""
    assert file_id is not None
    try:
        file = await message.get_bot().get_file(file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError:
        log.info(texts.LOG_REFERENCE_DOWNLOAD_FAILED, exc_info=True)
        return download_failed_text(TELEGRAM)
    if len(data) > max_mb * 1024 * 1024:
        return texts.DRAW_REFERENCE_TOO_BIG.format(limit_mb=max_mb)
    mime = sniff_mime(data[:64])
    if mime not in IMAGE_MIMES:
        return texts.DRAW_REFERENCE_NOT_IMAGE
    refs_dir.mkdir(parents=True, exist_ok=True)
    path = refs_dir / f"{uuid.uuid4().hex}.{mime.split('/')[1]}"
    path.write_bytes(data)
    return path
