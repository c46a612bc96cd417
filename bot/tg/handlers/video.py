"""/video and /remix: Sora 2 videos from text or an image, and continuations of bot videos."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import filters

from bot.core import texts
from bot.core.media.download import VIDEO_MIMES
from bot.core.store.characters import CharacterStore
from bot.core.usecases.refused import Refused
from bot.core.usecases.requests import remix_request, video_request, with_references
from bot.tg.context import Context
from bot.tg.handlers.characters import role_from
from bot.tg.handlers.common import command_argument, services
from bot.tg.handlers.generation import start_job
from bot.tg.handlers.references import collect_image_references
from bot.tg.handlers.video_links import bot_video_replied_to


async def on_video(update: Update, context: Context) -> None:
    """/video [options] <prompt>, optionally with or replying to one reference image."""
    message = update.effective_message
    assert message is not None
    await video_from(context, [message], command_argument(message))


async def video_from(
    context: Context, parts: list[Message], argument: str, prefix: str = ""
) -> None:
    """Shared by /video, photo captions and replies to a "use this character" prompt."""
    message = parts[0]
    user = message.from_user
    assert user is not None
    if any(_has_video(m) for m in parts):
        await message.reply_text(texts.VIDEO_NEEDS_IMAGE)
        return
    svc = services(context)
    request = await video_request(svc, user.id, argument, prefix)
    if isinstance(request, Refused):
        await message.reply_text(request.text)
        return
    refs = await collect_image_references(
        parts, svc.jobs, svc.settings.media_dir / "refs",
        max_count=1, max_mb=svc.settings.draw_max_reference_mb,
    )  # fmt: skip
    if refs.problem:
        await message.reply_text(refs.problem)
        return
    await start_job(context, message, user.id, with_references(request, refs.paths))


async def on_remix(update: Update, context: Context) -> None:
    """/remix <prompt> as a reply to a bot video: continue that video."""
    message = update.effective_message
    assert message is not None
    await remix_from(context, message, command_argument(message))


async def remix_from(context: Context, message: Message, argument: str) -> None:
    user = message.from_user
    assert user is not None
    svc = services(context)
    target = await bot_video_replied_to(svc, message)
    if target is None:
        await message.reply_text(texts.REMIX_USAGE)
        return
    request = await remix_request(svc, user.id, argument, target, texts.REMIX_EMPTY)
    if isinstance(request, Refused):
        await message.reply_text(request.text)
        return
    await start_job(context, message, user.id, request)


def _has_video(message: Message) -> bool:
    document = message.document
    return bool(message.video or (document and document.mime_type in VIDEO_MIMES))


# -- replies to the prompts the buttons send ---------------------------------------------------


class _ReplyToPrompt(filters.MessageFilter):
    """A text reply to one of the prompts below (sync: recognised by the prompt's wording)."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return bool(
            message.text
            and replied is not None
            and replied.from_user is not None
            and replied.from_user.is_bot
            and (replied.text or "").startswith(_PROMPT_OPENINGS)
        )


_PROMPT_OPENINGS = tuple(
    t.split("，")[0] for t in (texts.REMIX_PROMPT, texts.ROLE_PROMPT, texts.ROLE_INSERT_PROMPT)
)
PROMPT_REPLY = _ReplyToPrompt(name="video_prompt_reply")


async def on_prompt_reply(update: Update, context: Context) -> None:
    """A plain-text reply to one of our prompts continues it (as its owner)."""
    message = update.effective_message
    if message is None or message.reply_to_message is None or not message.text:
        return
    svc = services(context)
    replied = message.reply_to_message
    link = await svc.jobs.result_message(replied.chat_id, replied.message_id)
    if link is None or link.kind not in ("remix_prompt", "role_prompt", "character_prompt"):
        return
    job = await svc.jobs.get(link.job_id)
    user = message.from_user
    if job is None or user is None or user.id != job.user_id:
        return  # ForceReply is selective: others rarely get here, and it is not theirs
    if link.kind == "remix_prompt":
        await remix_from(context, message, message.text)
    elif link.kind == "role_prompt":
        await role_from(context, message, message.text)
    else:
        characters = await CharacterStore(svc.db).of_user(user.id)
        character = next((c for c in characters if c.character_id == link.pid), None)
        if character is None:
            await message.reply_text(texts.ROLE_NOT_FOUND)
        else:
            await video_from(context, [message], message.text, prefix=f"@{character.name}")
