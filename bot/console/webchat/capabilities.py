"""The web chat's capabilities, declared once (bot/core/platform.py).

A browser page can change what it shows at will: a streamed answer grows in place, a job's
status is replaced as it changes (every change, not milestones), choices are buttons. Text is
shown as plain text (never as markup), so rich_text is off. Results are files the page loads
from the bot's own media route: no platform size limits apply; a picture a user attaches is
capped by DRAW_MAX_REFERENCE_MB like everywhere else.
"""

from __future__ import annotations

from bot.core.platform import Capabilities

WEB = Capabilities(
    name="web",
    edits_messages=True,
    drafts=True,
    inline_buttons=True,
    rich_text=False,
    max_text_length=100_000,  # one answer is one bubble
    max_photo_bytes=None,
    max_inline_video_bytes=2**62,  # the page plays any saved video
    max_upload_bytes=None,
    sparse_progress=False,
    max_download_bytes=None,
)
