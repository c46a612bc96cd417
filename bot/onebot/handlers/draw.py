"""/draw (/画图) and /video (/视频) on QQ: options as on Telegram, references from the message
or the replied one; the job row first, then the "收到" status, then the runner."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.core import identity, texts
from bot.core.access import QuotaExceeded
from bot.core.access_texts import quota_text
from bot.core.jobs.characters import expand_mentions
from bot.core.jobs.options import (
    image_model_choices,
    parse_image_options,
    parse_video_options,
    ratio_choices,
)
from bot.core.jobs.routing import choose_provider
from bot.core.jobs.status import status_text
from bot.core.providers.base import GenerationRequest
from bot.core.providers.grsai_tasks import check_image_options
from bot.core.store.characters import CharacterStore
from bot.core.store.jobs import Job
from bot.onebot.context import QQContext
from bot.onebot.handlers.received import save_picture
from bot.onebot.outbound.replies import ids_of, reply
from bot.onebot.protocol import segments as seg
from bot.onebot.protocol.events import MessageEvent
from bot.onebot.protocol.transport import OneBotError

log = logging.getLogger(__name__)

COMBINATION_TEXTS = {
    "vip_sizes": texts.DRAW_BAD_COMBINATION_VIP,
    "4k_vip_size": texts.DRAW_BAD_COMBINATION_4KVIP,
}


async def draw(adapter: QQContext, event: MessageEvent, argument: str) -> None:
    svc = adapter.services
    user, _ = ids_of(event)
    defaults = (await svc.prefs.prefs(user)).get("image", {})
    parsed = parse_image_options(argument, defaults)
    if not argument.strip() and (again := await _replied_own_image(adapter, event)):
        await launch(adapter, event, again.request)  # a bare /画图 on a result: 再来一张
        return
    if not parsed.prompt:
        empty = texts.DRAW_EMPTY.format(ratios=ratio_choices(), models=image_model_choices())
        await reply(adapter, event, empty)
        return
    limit = svc.settings.chat_max_prompt_chars
    if len(parsed.prompt) > limit:
        too_long = texts.PROMPT_TOO_LONG.format(length=len(parsed.prompt), limit=limit)
        await reply(adapter, event, too_long)
        return
    params = parsed.params
    problem = check_image_options(
        str(params["model"]), str(params["image_size"]), str(params["aspect_ratio"])
    )
    if problem:
        await reply(adapter, event, COMBINATION_TEXTS.get(problem, texts.ERR_BAD_REQUEST))
        return
    references = await references_of(adapter, event)
    if isinstance(references, str):
        await reply(adapter, event, references)
        return
    request = GenerationRequest("image", parsed.prompt, params, [str(p) for p in references])
    await launch(adapter, event, request)


async def video(adapter: QQContext, event: MessageEvent, argument: str, prefix: str = "") -> None:
    """/video [options] <prompt>, optionally with one reference picture; `prefix` (a character's
    `@name`) goes before the prompt, after the options."""
    svc = adapter.services
    user, _ = ids_of(event)
    if seg.media_sources(event.message, "video"):
        await reply(adapter, event, texts.VIDEO_NEEDS_IMAGE)
        return
    parsed = parse_video_options(argument, (await svc.prefs.prefs(user)).get("video", {}))
    prompt = f"{prefix} {parsed.prompt}".strip() if parsed.prompt.strip() else ""
    if not prompt:
        await reply(adapter, event, texts.VIDEO_EMPTY)
        return
    limit = svc.settings.chat_max_prompt_chars
    if len(prompt) > limit:
        await reply(adapter, event, texts.PROMPT_TOO_LONG.format(length=len(prompt), limit=limit))
        return
    expanded, unknown = expand_mentions(prompt, await CharacterStore(svc.db).names(user))
    if unknown:
        await reply(adapter, event, texts.VIDEO_UNKNOWN_CHARACTER.format(name=unknown[0]))
        return
    references = await references_of(adapter, event)
    if isinstance(references, str):
        await reply(adapter, event, references)
        return
    if len(references) > 1:
        await reply(adapter, event, texts.DRAW_TOO_MANY_REFERENCES.format(limit=1))
        return
    request = GenerationRequest("video", expanded, parsed.params, [str(p) for p in references])
    await launch(adapter, event, request)


async def launch(adapter: QQContext, event: MessageEvent, request: GenerationRequest) -> Job | None:
    """Quota, the job row, the "收到" status replying to the request, then the runner; None
    when the quota refused (the user was told, nothing was spent)."""
    svc = adapter.services
    user, chat = ids_of(event)
    held = await adapter.access.reserve_job(user, request.kind)
    if isinstance(held, QuotaExceeded):
        await reply(adapter, event, quota_text(held, svc.settings.quota_timezone))
        return None
    try:
        provider, request = await choose_provider(svc.providers, svc.jobs, request)
        job = await svc.jobs.create(
            request=request, provider=provider, user_id=user, chat_id=chat,
            thread_id=None, reply_to_id=event.message_id, account_id=event.self_id,
        )  # fmt: skip
        await adapter.access.record_job(job)  # counts until the job fails
    finally:
        adapter.access.release(held)
    text = texts.QQ_JOB_RECEIVED + "\n" + status_text(job, svc.runner.queue_ahead_of_new())
    try:
        status_id = await reply(adapter, event, text)
    except OneBotError:
        log.warning(texts.LOG_JOB_STATUS_MESSAGE_NOT_SENT, job.id)
    else:
        await svc.jobs.update(job, status_message_id=status_id)
    svc.runner.start(job)
    log.info(texts.LOG_QQ_JOB_STARTED, job.id, job.kind, identity.display(user))
    return job


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
