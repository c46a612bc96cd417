"""Telegram's capabilities, declared once (bot/core/platform.py): the Bot API's limits live here.

Private chats stream answers as drafts, groups by edits; everything can be edited, buttons
and Markdown entities work. Uploads are limited to 50 MB by the public Bot API and to 2 GB
through a local Bot API server (TELEGRAM_LOCAL_MODE; TELEGRAM_UPLOAD_LIMIT_MB may lower it).
"""

from __future__ import annotations

import dataclasses

from bot.core.config import Settings
from bot.core.platform import MB, Capabilities

LOCAL_SERVER_LIMIT_MB = 2000  # a local Bot API server accepts uploads up to 2 GB

TELEGRAM = Capabilities(
    name="telegram",
    edits_messages=True,
    drafts=True,  # sendMessageDraft, in private chats
    inline_buttons=True,
    rich_text=True,  # text + MessageEntity (bot/tg/outbound/markdown.py)
    max_text_length=4096,  # UTF-16 units after entity parsing
    max_photo_bytes=10 * MB,  # sendPhoto; larger images go as a document
    max_inline_video_bytes=50 * MB,  # sendVideo through the public Bot API
    max_upload_bytes=50 * MB,
    sparse_progress=False,  # a status message is edited in place, not repeated
    max_download_bytes=20 * MB,  # getFile through the public Bot API
)


def capabilities(settings: Settings) -> Capabilities:
    """TELEGRAM with this deployment's upload limit (a local Bot API server takes 2 GB)."""
    limit_mb = LOCAL_SERVER_LIMIT_MB if settings.telegram_local_mode else (
        settings.telegram_upload_limit_mb
    )
    return dataclasses.replace(
        TELEGRAM, max_inline_video_bytes=limit_mb * MB, max_upload_bytes=limit_mb * MB,
        max_download_bytes=None if settings.telegram_local_mode else TELEGRAM.max_download_bytes,
    )  # fmt: skip
