"""Starting generation jobs from Telegram, and the buttons under their results."""

from __future__ import annotations

import logging

from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.core import texts
from bot.core.jobs.routing import choose_provider
from bot.core.jobs.status import status_text
from bot.core.providers.base import GenerationRequest
from bot.core.services import Services
from bot.core.store.jobs import Job, ResultMessage
from bot.tg.capabilities import TELEGRAM
from bot.tg.handlers.access import job_quota_refusal, record_job_usage, release_job_slot
from bot.tg.handlers.common import services
from bot.tg.outbound.job_events import TelegramJobEvents

log = logging.getLogger(__name__)

PROVIDER = "grsai"


async def start_job(
    context: ContextTypes.DEFAULT_TYPE, message: Message, user_id: int, request: GenerationRequest
) -> Job | None:
    """Row first, then the status message, then the runner: nothing upstream before the row."""
    svc = services(context)
    # Concurrent jobs (default JOB_MAX_PER_USER) and the daily quota of this kind.
    if refusal := await job_quota_refusal(context, user_id, request.kind):
        await message.reply_text(refusal)
        return None
    try:
        return await launch(svc, context, request, user_id, message.chat_id,
                            message.message_thread_id if message.is_topic_message else None,
                            message.message_id)  # fmt: skip
    except Exception:
        release_job_slot(context)  # no job row: the reserved slot must not wait for its expiry
        raise


async def launch(
    svc: Services,
    context: ContextTypes.DEFAULT_TYPE,
    request: GenerationRequest,
    user_id: int,
    chat_id: int,
    thread_id: int | None,
    reply_to_id: int | None,
) -> Job:
    # Routing lists + pinning to the provider of an earlier result (bot/core/jobs/routing.py).
    provider, request = await choose_provider(svc.providers, svc.jobs, request)
    job = await svc.jobs.create(
        request=request, provider=provider, user_id=user_id, chat_id=chat_id,
        thread_id=thread_id, reply_to_id=reply_to_id,
    )  # fmt: skip
    await record_job_usage(context, job)  # counts until the job fails
    first_text = status_text(job, svc.runner.queue_ahead_of_new())
    try:
        status = await context.bot.send_message(
            chat_id,
            first_text,
            reply_parameters=ReplyParameters(reply_to_id, allow_sending_without_reply=True)
            if reply_to_id
            else None,
            message_thread_id=thread_id,
        )
    except TelegramError:
        # The job runs regardless (its row exists, the user asked for it): the painter posts
        # a fresh status message as soon as Telegram takes one (job_events.py).
        log.warning(texts.LOG_JOB_STATUS_MESSAGE_NOT_SENT, job.id,
                    exc_info=True)  # fmt: skip
    else:
        await svc.jobs.update(job, status_message_id=status.message_id)
        events = svc.runner.events  # with QQ on: bot/core/jobs/events_router.py holds Telegram's
        events = getattr(events, "platforms", {}).get(TELEGRAM.name, events)
        if isinstance(events, TelegramJobEvents):
            # The next edit then waits the status interval instead of racing this message.
            events.note_shown(job, first_text)
    svc.runner.start(job)
    log.info(texts.LOG_JOB_STARTED, job.id, job.kind, user_id, chat_id)
    return job


async def owned_job_button(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE
) -> tuple[str, Job] | None:
    """(action, job) of a `job|<action>|<id>` button pressed by the job's owner; anyone else,
    or a job that no longer exists, gets an alert and None."""
    assert query.data is not None
    _, action, raw_id = ([*query.data.split("|"), "", "", ""])[:3]
    job = await services(context).jobs.get(int(raw_id)) if raw_id.isdecimal() else None
    if job is None:
        await query.answer(texts.JOB_NOT_FOUND, show_alert=True)
        return None
    if query.from_user.id != job.user_id:
        await query.answer(texts.BUTTON_FORBIDDEN, show_alert=True)
        return None
    return action, job


async def _remove_pressed_button(query: CallbackQuery) -> None:
    """The keyboard without the pressed button (the others, e.g. "ref", stay)."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    rows = [
        [b for b in row if b.callback_data != query.data]
        for row in message.reply_markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    try:
        await message.edit_reply_markup(InlineKeyboardMarkup(rows) if rows else None)
    except TelegramError:  # the button only stays visible; a second tap still acts once
        log.info(texts.LOG_COULD_NOT_REMOVE_PRESSED_BUTTON, exc_info=True)


async def on_job_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """retry / again / ref under a job's status or result — only for the job's owner."""
    query = update.callback_query
    assert query is not None
    pressed = await owned_job_button(query, context)
    if pressed is None:
        return
    action, job = pressed
    svc = services(context)
    if action in ("retry", "again"):
        # A spending button acts once: the mark is on the job row, checked and set in one
        # statement before anything is paid, so a double tap, or the same button pressed after
        # a restart (when Telegram would not remove it), finds it taken.
        if not await svc.jobs.claim_relaunch(job.id):
            await query.answer(texts.BUTTON_ALREADY_HANDLED)
            return
        launched = False
        try:
            if refusal := await job_quota_refusal(context, job.user_id, job.kind):
                await query.answer(refusal, show_alert=True)
                return  # nothing was spent: the button stays usable (finally)
            await query.answer(
                texts.JOB_RETRY_STARTED if action == "retry" else texts.JOB_AGAIN_STARTED
            )
            await _remove_pressed_button(query)
            launched = True  # from here a job row may exist: the mark stays whatever happens
            await launch(svc, context, job.request, job.user_id, job.chat_id, job.thread_id,
                         job.reply_to_id)  # fmt: skip
        finally:
            release_job_slot(context)  # no-op once launch recorded the job
            if not launched:  # refused by the quota, or Telegram failed before the launch
                await svc.jobs.release_relaunch(job.id)
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
