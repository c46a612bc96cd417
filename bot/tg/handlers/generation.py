"""Starting generation jobs from Telegram, and the buttons under their results."""

from __future__ import annotations

import contextlib
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

from bot.core import texts
from bot.core.providers.base import GenerationRequest
from bot.core.store.jobs import Job, ResultMessage
from bot.core.usecases.launch import Origin, Refused, ShowStatus, launch_job
from bot.tg.context import Context
from bot.tg.handlers.common import services
from bot.tg.outbound.job_events import TelegramJobEvents

log = logging.getLogger(__name__)


async def start_job(
    context: Context, message: Message, user_id: int, request: GenerationRequest
) -> Job | None:
    """The core launch (bot/core/usecases/launch.py) for a message: its refusal or status replies
    to it; None when the quota refused (the user was told, nothing was spent)."""
    thread_id = message.message_thread_id if message.is_topic_message else None
    origin = Origin(user_id, message.chat_id, thread_id, message.message_id)
    launched = await launch_job(services(context), request, origin, status_poster(context, origin))
    if isinstance(launched, Refused):
        await message.reply_text(launched.text)
        return None
    return launched


def status_poster(context: Context, origin: Origin) -> ShowStatus:
    """Posts a job's first status in its chat, replying to the request."""

    async def show(job: Job, text: str) -> int | None:
        try:
            status = await context.bot.send_message(
                origin.chat_id,
                text,
                reply_parameters=ReplyParameters(origin.reply_to_id,
                                                 allow_sending_without_reply=True)
                if origin.reply_to_id
                else None,
                message_thread_id=origin.thread_id,
            )  # fmt: skip
        except TelegramError:
            # The painter posts a fresh status message as soon as Telegram takes one.
            return None
        events: TelegramJobEvents | None = context.bot_data.job_events
        if events is not None:
            # The next edit then waits the status interval instead of racing this message.
            events.note_shown(job, text)
        return status.message_id

    return show


async def owned_job_button(
    query: CallbackQuery, context: Context
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


async def on_job_button(update: Update, context: Context) -> None:
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
        origin = Origin(job.user_id, job.chat_id, job.thread_id, job.reply_to_id)
        post_status = status_poster(context, origin)

        async def show(new_job: Job, text: str) -> int | None:
            with contextlib.suppress(TelegramError):  # only the toast: the job runs anyway
                await query.answer(
                    texts.JOB_RETRY_STARTED if action == "retry" else texts.JOB_AGAIN_STARTED
                )
            await _remove_pressed_button(query)
            return await post_status(new_job, text)

        # From the launch on a job row may exist: if it raises, the mark stays.
        launched = await launch_job(svc, job.request, origin, show)
        if isinstance(launched, Refused):  # nothing was spent: the button stays usable
            await svc.jobs.release_relaunch(job.id)
            await query.answer(launched.text, show_alert=True)
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
