"""QQ's capabilities through OneBot v11, declared once (bot/core/platform.py).

QQ cannot edit or recall-and-edit a message, has no drafts and no buttons for a bot, and
shows Markdown as raw characters: answers go out as plain text split at QQ_TEXT_LIMIT, a
job says "收到，正在生成…" once and then only a few milestones (QQ punishes floods), choices
are command arguments or numbered replies. Videos above QQ_VIDEO_SEGMENT_MAX_MB go as a file
upload (and as a link when QQ refuses the upload).
"""

from __future__ import annotations

import dataclasses

from bot.core.config import Settings
from bot.core.platform import MB, Capabilities
from bot.onebot.outbound.plaintext import QQ_TEXT_LIMIT

QQ = Capabilities(
    name="qq",
    edits_messages=False,
    drafts=False,
    inline_buttons=False,
    rich_text=False,
    max_text_length=QQ_TEXT_LIMIT,
    max_photo_bytes=None,  # images go as base64 segments; no limit enforced by the bot
    max_inline_video_bytes=100 * MB,  # the QQ_VIDEO_SEGMENT_MAX_MB default
    max_upload_bytes=None,  # group file uploads: NapCat's and the group's own limits
    sparse_progress=True,
    max_download_bytes=None,  # NapCat hands over what users send (our own caps apply)
)


def capabilities(settings: Settings) -> Capabilities:
    """QQ with this deployment's video segment limit (QQ_VIDEO_SEGMENT_MAX_MB)."""
    return dataclasses.replace(QQ, max_inline_video_bytes=settings.qq_video_segment_max_mb * MB)
