"""/续写 (remix), /角色 (role) and /故事 (story) on QQ, with Telegram's options and rules.

- /续写 replies to one of the bot's videos: the reply segment → the stored ResultMessage of
  that message → the video's pid; the continuation keeps the source's shape unless asked;
- /角色 <开始,结束> replies to a bot video (its pid, else its saved file) or takes a user's clip
  (a video segment in the message or in the replied one); the range is checked before anything
  is sent — against the bot video's length, or the clip's own length once downloaded;
  replying /角色 <名字> to a "角色已创建" message renames that character;
- /故事 runs only where a configured provider can do storyboards;
- quotas, access and durable jobs exactly as /视频 (bot.onebot.draw.launch).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.core import texts
from bot.core.jobs.capabilities import can_run
from bot.core.jobs.characters import NAME_MAX_CHARS, valid_name
from bot.core.jobs.options import (
    ClipProblem,
    clip_problem_text,
    looks_like_clip_range,
    parse_clip_range,
)
from bot.core.jobs.storyboard import StoryProblem, parse_story, problem_text, storyboard_prompt
from bot.core.media.mp4info import mp4_info
from bot.core.providers.base import GenerationRequest
from bot.core.store.characters import CharacterStore
from bot.core.store.jobs import ResultMessage
from bot.core.usecases.refused import Refused
from bot.core.usecases.requests import remix_request
from bot.onebot.context import QQContext
from bot.onebot.handlers.draw import launch
from bot.onebot.handlers.received import save_clip
from bot.onebot.outbound.replies import ids_of, reply
from bot.onebot.protocol import segments as seg
from bot.onebot.protocol.events import MessageEvent
from bot.onebot.protocol.transport import OneBotError

log = logging.getLogger(__name__)
ROLE_COMMAND = seg.shown_command("role")  # "/角色" in the examples users read

MB = 1024 * 1024
# Lines /帮助 adds when the configured providers can run the command.
HELP_LINES = (
    ("remix", texts.QQ_HELP_REMIX),
    ("role", texts.QQ_HELP_ROLE),
    ("roles", texts.QQ_HELP_ROLES),
    ("story", texts.QQ_HELP_STORY),
)


def help_text(adapter: QQContext) -> str:
    """/帮助: the fixed part, then the video commands this setup can run."""
    providers = adapter.services.providers
    lines = [line for command, line in HELP_LINES if can_run(providers, command)]
    if not lines:
        return texts.QQ_HELP
    return texts.QQ_HELP + "\n\n" + "\n".join([texts.QQ_HELP_VIDEO_TITLE, *lines])


async def bot_video_replied_to(adapter: QQContext, event: MessageEvent) -> ResultMessage | None:
    """The stored bot video (or the notice standing for an uploaded one) the event replies to."""
    replied = seg.reply_id(event.message)
    if replied is None:
        return None
    _, chat = ids_of(event)
    link = await adapter.services.jobs.result_message(chat, replied)
    return link if link is not None and link.kind == "video" else None


# -- /续写 ----------------------------------------------------------------------------------------


async def remix(adapter: QQContext, event: MessageEvent, argument: str) -> None:
    target = await bot_video_replied_to(adapter, event)
    if target is None:
        await reply(adapter, event, texts.QQ_REMIX_USAGE)
        return
    user, _ = ids_of(event)
    request = await remix_request(adapter.services, user, argument, target, texts.QQ_REMIX_EMPTY)
    if isinstance(request, Refused):
        await reply(adapter, event, request.text)
        return
    await launch(adapter, event, request)


# -- /角色 ----------------------------------------------------------------------------------------


async def role(adapter: QQContext, event: MessageEvent, argument: str) -> None:
    svc = adapter.services
    _, chat = ids_of(event)
    argument = argument.strip()
    replied = seg.reply_id(event.message)
    if replied is not None and argument and not looks_like_clip_range(argument):
        link = await svc.jobs.result_message(chat, replied)
        if link is not None and link.kind == "character":
            await _rename(adapter, event, link, argument)
            return
    bot_video = await bot_video_replied_to(adapter, event)
    clip = None if bot_video is not None else await _user_clip(adapter, event)
    if (bot_video is None and clip is None) or not argument:
        await reply(adapter, event, texts.QQ_ROLE_USAGE)
        return
    seconds = await _length_of(bot_video) if bot_video is not None else None
    clip_range = parse_clip_range(argument, seconds)
    if isinstance(clip_range, ClipProblem):
        await reply(adapter, event, clip_problem_text(clip_range, seconds, ROLE_COMMAND))
        return
    params: dict[str, object] = {"timestamps": clip_range.timestamps}
    references: list[str] = []
    if bot_video is not None and bot_video.pid:
        params["pid"] = bot_video.pid
    elif bot_video is not None:  # no pid from the provider: upload the saved file instead
        if not bot_video.path or not await asyncio.to_thread(Path(bot_video.path).is_file):
            await reply(adapter, event, texts.ROLE_VIDEO_MISSING)
            return
        references.append(bot_video.path)
    else:
        assert clip is not None
        saved = await save_clip(adapter, clip)
        if isinstance(saved, str):
            await reply(adapter, event, saved)
            return
        info = await asyncio.to_thread(mp4_info, saved)
        length = info.duration if info and info.duration else None
        checked = parse_clip_range(argument, length)  # now against the clip's own length
        if isinstance(checked, ClipProblem):
            saved.unlink(missing_ok=True)
            await reply(adapter, event, clip_problem_text(checked, length, ROLE_COMMAND))
            return
        references.append(str(saved))
    await launch(adapter, event, GenerationRequest("character", "", params, references))


async def _length_of(video: ResultMessage) -> float | None:
    if video.duration:
        return float(video.duration)
    if video.path:
        info = await asyncio.to_thread(mp4_info, video.path)
        if info is not None and info.duration:
            return info.duration
    return None


async def _user_clip(adapter: QQContext, event: MessageEvent) -> seg.MediaSource | None:
    """A video segment in the message, else in the message it replies to."""
    sources = seg.media_sources(event.message, "video")
    replied = seg.reply_id(event.message)
    if not sources and replied is not None:
        try:
            original = await adapter.server.get_msg(replied, self_id=event.self_id)
        except OneBotError:
            return None
        sources = seg.media_sources(original.get("message") or [], "video")
    return sources[0] if sources else None


async def _rename(adapter: QQContext, event: MessageEvent, link: ResultMessage, name: str) -> None:
    user, _ = ids_of(event)
    name = name.strip().removeprefix("@")
    store = CharacterStore(adapter.services.db)
    character = await store.of_job(link.job_id)
    if character is None or character.user_id != user:
        await reply(adapter, event, texts.ROLE_NOT_FOUND)
        return
    if not valid_name(name):
        await reply(adapter, event, texts.ROLE_BAD_NAME.format(limit=NAME_MAX_CHARS))
        return
    if not await store.rename(character.id, name):
        await reply(adapter, event, texts.ROLE_NAME_TAKEN.format(name=name))
        return
    await reply(adapter, event, texts.QQ_ROLE_RENAMED.format(name=name))


# -- /故事 ----------------------------------------------------------------------------------------


async def story(adapter: QQContext, event: MessageEvent, argument: str) -> None:
    """/故事 [options] then one `时长 画面` line per shot."""
    if not argument.strip():
        await reply(adapter, event, texts.STORY_HELP)
        return
    parsed = parse_story(argument)
    if isinstance(parsed, StoryProblem):
        await reply(adapter, event, problem_text(parsed))
        return
    request = GenerationRequest("video", storyboard_prompt(parsed.shots), parsed.params)
    if not adapter.services.providers.candidates(request):
        await reply(adapter, event, texts.STORY_UNAVAILABLE)
        return
    await launch(adapter, event, request)
