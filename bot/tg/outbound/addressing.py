"""Where a Telegram message goes and what a refusal means: shared by every sender.

Rules:
- a Bad Request that means the chat is gone for good (`chat_gone`) ends delivery to it; one
  about the place (a deleted topic, a vanished replied message: `about_the_place`) is retried
  without that place; everything else is the caller's to judge;
- a job's messages reply to the request that started it, sent even if that is gone.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, ReplyParameters
from telegram.error import BadRequest, TelegramError

from bot.core.store.jobs import Job

# Bad Request texts that mean the chat cannot receive anything any more.
CHAT_GONE = ("chat not found", "group chat was deactivated", "chat_write_forbidden",
             "have no rights to send", "not enough rights to send", "peer_id_invalid",
             "user is deactivated", "bot was kicked", "bot was blocked")  # fmt: skip


def chat_gone(exc: TelegramError) -> bool:
    """A Bad Request meaning the chat cannot receive anything any more."""
    return isinstance(exc, BadRequest) and any(t in str(exc).lower() for t in CHAT_GONE)


def about_the_place(exc: TelegramError) -> bool:
    """A Bad Request about where the message was to go (a deleted topic, a replied message)
    rather than about the message itself."""
    text = str(exc).lower()
    return isinstance(exc, BadRequest) and any(w in text for w in ("thread", "topic", "repl"))


def job_button(label: str, action: str, job: Job) -> InlineKeyboardButton:
    """A button under a job's status or result; generation.on_job_button (and the video
    buttons in character_handlers) read `job|<action>|<id>`."""
    return InlineKeyboardButton(label, callback_data=f"job|{action}|{job.id}")


def reply_to_job(job: Job) -> ReplyParameters | None:
    """Replies to the request that started `job`, if it is known (sent even if it is gone)."""
    if job.reply_to_id is None:
        return None
    return ReplyParameters(job.reply_to_id, allow_sending_without_reply=True)
