"""Bot videos found again from replies, and the ForceReply prompts their buttons send.

Below both /video (video_handlers) and /role (character_handlers), which each use these:
a reply to a bot video, or to a prompt under it, means that video.
"""

from __future__ import annotations

from telegram import ForceReply, Message, ReplyParameters

from bot.core.services import Services
from bot.core.store.jobs import ResultMessage
from bot.tg.context import Context
from bot.tg.handlers.common import services

# Result-message kinds that stand for a bot video: the video itself and the prompts sent by
# its buttons (a reply to those means the same video).
VIDEO_LINK_KINDS = frozenset({"video", "remix_prompt", "role_prompt"})


async def bot_video_replied_to(svc: Services, message: Message) -> ResultMessage | None:
    """The stored bot video (or one of its prompts) `message` replies to, if any."""
    replied = message.reply_to_message
    if replied is None:
        return None
    link = await svc.jobs.result_message(replied.chat_id, replied.message_id)
    return link if link is not None and link.kind in VIDEO_LINK_KINDS else None


async def send_prompt(
    context: Context, chat_id: int, thread_id: int | None, anchor_id: int,
    text: str, link: ResultMessage,
) -> None:  # fmt: skip
    """A ForceReply prompt under `anchor_id`, remembered durably as `link` (its kind says why)."""
    svc = services(context)
    prompt = await context.bot.send_message(
        chat_id, text, reply_markup=ForceReply(selective=True), message_thread_id=thread_id,
        reply_parameters=ReplyParameters(anchor_id, allow_sending_without_reply=True),
    )  # fmt: skip
    link.chat_id, link.message_id = prompt.chat_id, prompt.message_id
    await svc.jobs.add_result_message(link)
