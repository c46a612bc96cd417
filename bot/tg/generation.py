"""Starting generation jobs from Telegram, and the buttons under their results."""

from __future__ import annotations

import logging

from telegram import ForceReply, Message, ReplyParameters, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.jobs.status import status_text
from bot.providers.base import GenerationRequest
from bot.services import Services
from bot.store.jobs import Job, ResultMessage
from bot.tg.common import services

log = logging.getLogger(__name__)

PROVIDER = "grsai"


async def start_job(
    context: ContextTypes.DEFAULT_TYPE, message: Message, user_id: int, request: GenerationRequest
) -> Job | None:
    """Row first, then the status message, then the runner: nothing upstream before the row."""
    svc = services(context)
    active = await svc.jobs.count_active_for_user(user_id)
    if active >= svc.settings.job_max_per_user:
        await message.reply_text(texts.TOO_MANY_JOBS.format(count=active))
        return None
    return await launch(svc, context, request, user_id, message.chat_id,
                        message.message_thread_id if message.is_topic_message else None,
                        message.message_id)  # fmt: skip


async def launch(
    svc: Services,
    context: ContextTypes.DEFAULT_TYPE,
    request: GenerationRequest,
    user_id: int,
    chat_id: int,
    thread_id: int | None,
    reply_to_id: int | None,
) -> Job:
    job = await svc.jobs.create(
        request=request, provider=PROVIDER, user_id=user_id, chat_id=chat_id,
        thread_id=thread_id, reply_to_id=reply_to_id,
    )  # fmt: skip
    status = await context.bot.send_message(
        chat_id,
        status_text(job, svc.runner.queue_position(job.id)),
        reply_parameters=ReplyParameters(reply_to_id, allow_sending_without_reply=True)
        if reply_to_id
        else None,
        message_thread_id=thread_id,
    )
    await svc.jobs.update(job, status_message_id=status.message_id)
    svc.runner.start(job)
    log.info("job %s started kind=%s user=%s chat=%s", job.id, job.kind, user_id, chat_id)
    return job


async def on_job_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """retry / again / ref under a job's status or result — only for the job's owner."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, action, raw_id = ([*query.data.split("|"), "", "", ""])[:3]
    svc = services(context)
    job = await svc.jobs.get(int(raw_id)) if raw_id.isdigit() else None
    if job is None:
        await query.answer(texts.JOB_NOT_FOUND, show_alert=True)
        return
    if query.from_user.id != job.user_id:
        await query.answer(texts.BUTTON_FORBIDDEN, show_alert=True)
        return
    if action in ("retry", "again"):
        active = await svc.jobs.count_active_for_user(job.user_id)
        if active >= svc.settings.job_max_per_user:
            await query.answer(texts.TOO_MANY_JOBS.format(count=active), show_alert=True)
            return
        await query.answer(
            texts.JOB_RETRY_STARTED if action == "retry" else texts.JOB_AGAIN_STARTED
        )
        await launch(svc, context, job.request, job.user_id, job.chat_id, job.thread_id,
                     job.reply_to_id)  # fmt: skip
        return
    if action == "ref" and query.message is not None:
        results = await svc.jobs.result_messages_of(job.id)
        if not results:
            await query.answer(texts.REFERENCE_ORIGINAL_MISSING, show_alert=True)
            return
        await query.answer()
        prompt = await context.bot.send_message(
            job.chat_id, texts.DRAW_REFERENCE_PROMPT,
            reply_parameters=ReplyParameters(query.message.message_id),
            reply_markup=ForceReply(selective=True), message_thread_id=job.thread_id,
        )  # fmt: skip
        # The reply to this prompt is a /draw with that image: remember the link durably.
        source = results[0]
        await svc.jobs.add_result_message(
            ResultMessage(
                chat_id=prompt.chat_id, message_id=prompt.message_id, job_id=job.id,
                kind="reference_prompt", file_id=source.file_id, path=source.path,
            )
        )  # fmt: skip
        return
    await query.answer(texts.UNKNOWN_BUTTON)
