"""QQ's capabilities through OneBot v11, declared once (bot/platform.py).

QQ cannot edit or recall-and-edit a message, has no drafts and no buttons for a bot, and
shows Markdown as raw characters: answers go out as plain text split at QQ_TEXT_LIMIT, a
job says "收到，正在生成…" once and then only a few milestones (QQ punishes floods), choices
are command arguments or numbered replies. Videos above VIDEO_SEGMENT_MAX go as a file upload.
"""

from __future__ import annotations

from bot.onebot.jobs import VIDEO_SEGMENT_MAX
from bot.onebot.plaintext import QQ_TEXT_LIMIT
from bot.platform import Capabilities

QQ = Capabilities(
    name="qq",
    edits_messages=False,
    drafts=False,
    inline_buttons=False,
    rich_text=False,
    max_text_length=QQ_TEXT_LIMIT,
    max_photo_bytes=None,  # images go as base64 segments; no limit enforced by the bot
    max_inline_video_bytes=VIDEO_SEGMENT_MAX,
    max_upload_bytes=None,  # group file uploads: NapCat's and the group's own limits
    sparse_progress=True,
)
