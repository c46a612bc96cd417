"""/draw (/画图) and /video (/视频) on QQ: options as on Telegram, references from the message
or the replied one; the job row first, then the "收到" status, then the runner."""

from __future__ import annotations

from pathlib import Path

from bot.core import texts
from bot.core.providers.base import GenerationRequest
from bot.core.store.jobs import Job
from bot.core.usecases.launch import Origin, Refused, launch_job
from bot.core.usecases.requests import image_request, video_request, with_references
from bot.onebot.context import QQContext
from bot.onebot.handlers.received import save_picture
from bot.onebot.outbound.replies import ids_of, reply
from bot.onebot.protocol import segments as seg
from bot.onebot.protocol.events import MessageEvent
from bot.onebot.protocol.transport import OneBotError


async def draw(adapter: QQContext, event: MessageEvent, argument: str) -> None:
    user, _ = ids_of(event)
    if not argument.strip() and (again := await _replied_own_image(adapter, event)):
        await launch(adapter, event, again.request)  # a bare /画图 on a result: 再来一张
        return
    request = await image_request(adapter.services, user, argument)
    if isinstance(request, Refused):
        await reply(adapter, event, request.text)
        return
    references = await references_of(adapter, event)
    if isinstance(references, str):
        await reply(adapter, event, references)
        return
    await launch(adapter, event, with_references(request, [str(p) for p in references]))


async def video(adapter: QQContext, event: MessageEvent, argument: str, prefix: str = "") -> None:
    """/video [options] <prompt>, optionally with one reference picture; `prefix` (a character's
    `@name`) goes before the prompt, after the options."""
    user, _ = ids_of(event)
    if seg.media_sources(event.message, "video"):
        await reply(adapter, event, texts.VIDEO_NEEDS_IMAGE)
        return
    request = await video_request(adapter.services, user, argument, prefix)
    if isinstance(request, Refused):
        await reply(adapter, event, request.text)
        return
    references = await references_of(adapter, event)
    if isinstance(references, str):
        await reply(adapter, event, references)
        return
    if len(references) > 1:
        await reply(adapter, event, texts.DRAW_TOO_MANY_REFERENCES.format(limit=1))
        return
    await launch(adapter, event, with_references(request, [str(p) for p in references]))


async def launch(adapter: QQContext, event: MessageEvent, request: GenerationRequest) -> Job | None:
    """The core launch (bot/core/usecases/launch.py) with its "收到" status replying to the request;
    None when the quota refused (the user was told, nothing was spent)."""
    user, chat = ids_of(event)
    origin = Origin(user, chat, reply_to_id=event.message_id, account_id=event.self_id)

    async def show(job: Job, text: str) -> int | None:
        try:
            return await reply(adapter, event, text)
        except OneBotError:
            return None  # the job runs; its result still comes

    launched = await launch_job(adapter.services, request, origin, show,
                                first_line=texts.QQ_JOB_RECEIVED)  # fmt: skip
    if isinstance(launched, Refused):
        await reply(adapter, event, launched.text)
        return None
    return launched


async def _replied_own_image(adapter: QQContext, event: MessageEvent) -> Job | None:
    """The user's own image job whose result this message replies to."""
    replied = seg.reply_id(event.message)
    if replied is None:
        return None
    user, chat = ids_of(event)
    link = await adapter.services.jobs.result_message(chat, replied)
    if link is None or link.kind != "image":
        return None
    job = await adapter.services.jobs.get(link.job_id)
    return job if job is not None and job.user_id == user else None


async def references_of(adapter: QQContext, event: MessageEvent) -> list[Path] | str:
    """Pictures in the message, else in the replied message (our own results too); or the
    Chinese reason they cannot be used."""
    svc = adapter.services
    _, chat = event_ids(event)
    sources = seg.image_sources(event.message)
    paths: list[Path] = []
    replied = seg.reply_id(event.message)
    if not sources and replied is not None:
        ours = await svc.jobs.result_message(chat, replied)
        if ours is not None and ours.kind == "image" and ours.path and Path(ours.path).is_file():
            paths.append(Path(ours.path))
        else:
            try:
                original = await adapter.server.get_msg(replied, self_id=event.self_id)
            except OneBotError:
                original = {}
            sources = seg.image_sources(seg.normalize(original.get("message") or []))
    limit = svc.settings.draw_max_references
    if len(sources) + len(paths) > limit:
        return texts.DRAW_TOO_MANY_REFERENCES.format(limit=limit)
    for source in sources:
        saved = await save_picture(adapter, source)
        if isinstance(saved, str):
            return saved
        paths.append(saved)
    return paths


def event_ids(event: MessageEvent) -> tuple[int, int]:
    return ids_of(event)
