"""What a chat platform offers the core, and what it can and cannot do.

Rules:
- the core never asks which platform it talks to: an adapter package (bot/tg, bot/onebot, …)
  declares its `Capabilities` once (its own platform.py) and the core reads those;
- `Capabilities.name` is the identity namespace of the platform's chats
  (`bot.core.identity.platform_of(chat_id)`), which is how jobs find their way back to it
  (bot/core/jobs/events_router.py);
- this module imports no platform code (tests/test_core_boundaries.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core import texts
from bot.core.jobs.runner import JobEvents
from bot.core.store.jobs import Job

MB = 1024 * 1024


@dataclass(frozen=True)
class Capabilities:
    """Declared by an adapter; read by the core instead of testing for a platform."""

    name: str  # "telegram", "qq": bot.core.identity.platform_of of the platform's chats
    edits_messages: bool  # a status or a streamed answer can be edited in place
    drafts: bool  # a streamed answer can be shown as a draft before it is sent
    inline_buttons: bool  # choices can be buttons; otherwise arguments or numbered replies
    rich_text: bool  # Markdown shows as formatting; otherwise it is turned into plain text
    max_text_length: int  # one message; longer texts are split
    max_photo_bytes: int | None  # a larger image goes as a file (None: no limit known)
    max_inline_video_bytes: int  # a larger video goes as an upload or a link
    max_upload_bytes: int | None  # a larger file goes as a link (None: no limit known)
    sparse_progress: bool  # show only a few milestones of a job (the platform punishes floods)
    # Files users send that the bot can fetch through the platform (None: no platform limit;
    # the bot's own caps such as DRAW_MAX_REFERENCE_MB still apply)
    max_download_bytes: int | None = None


def download_failed_text(capabilities: Capabilities) -> str:
    """A picture could not be fetched: said with this platform's own download limit."""
    limit = capabilities.max_download_bytes
    if limit is None:
        return texts.REFERENCE_DOWNLOAD_FAILED
    return texts.REFERENCE_DOWNLOAD_FAILED_LIMIT.format(
        platform=texts.PLATFORM_BOT_NAMES.get(capabilities.name, ""), limit_mb=limit // MB
    )


class ChatPlatform(JobEvents, Protocol):
    """What an adapter offers the core once it has turned a user's message or button into a
    core call (chat turn, job, command): everything the core sends goes through here.

    - show and update a job's status: `on_change` (the adapter throttles it, edits in place or
      sends sparse milestones, per its capabilities);
    - send a job's image or video results: `deliver` (idempotent, DeliveryDelayed while the
      platform is unreachable);
    - send a plain text to a job's chat: `send_text`.
    """

    capabilities: Capabilities

    async def send_text(self, job: Job, text: str) -> None:
        """A text to the job's chat, replying to its request (best effort: never raises)."""
        ...
