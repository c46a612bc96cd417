"""Retry and "再来一张" on QQ: a number answering a job's failure or result (no buttons).

A failed job that may be submitted again (bot.core.jobs.status.retry_offered) says
"回复 1 重新提交" (bot/onebot/outbound/job_events.py); an image result says
"发送 1 再来一张". The user answers with "1" — as a reply to that message, or (for the
latest failure) as a bare number in a private chat.

Rules (as Telegram's buttons, issue 9):
- nothing is re-sent automatically: only the job's owner, answering, submits again;
- a double answer acts once: the key is taken before any await, so a second answer arriving
  meanwhile is told "已处理"; a retry offer is marked used on the job row (one UPDATE that
  checks and sets) before anything is launched, so neither a restart nor a crash during
  the launch's status message arms it again;
- the same quota and atomic reserve as a new /画图 (draw.launch); only when the quota
  refuses was nothing spent: then the mark is undone and the offer stays usable.
"""

from __future__ import annotations

import logging

from bot.core import texts
from bot.core.store.jobs import Job
from bot.onebot.context import QQContext
from bot.onebot.handlers.draw import launch
from bot.onebot.outbound.offers import OFFER_KIND, RETRY
from bot.onebot.outbound.replies import ids_of, reply
from bot.onebot.protocol.events import MessageEvent

log = logging.getLogger(__name__)

SPENT_KIND = "retry_spent"  # ... once the retry was submitted
AGAIN_KINDS = ("image", "video")  # results that can be made once more
SPENT_MAX = 10_000  # only double answers need the keys: the oldest are forgotten


async def answer_reply(adapter: QQContext, event: MessageEvent, replied: int, value: str) -> bool:
    """A number replying to one of the bot's failure or result messages; False when the
    replied message is neither."""
    _, chat = ids_of(event)
    link = await adapter.services.jobs.result_message(chat, replied)
    if link is None or link.kind not in (OFFER_KIND, SPENT_KIND, *AGAIN_KINDS):
        return False
    job = await adapter.services.jobs.get(link.job_id)
    retry = link.kind in (OFFER_KIND, SPENT_KIND)
    key = (RETRY, link.job_id) if retry else ("again", chat, replied)
    await _act(adapter, event, job, value, key)
    return True


async def answer_offer(
    adapter: QQContext, event: MessageEvent, job_ids: list[str], value: str
) -> None:
    """A bare number after the latest failure message."""
    job = await adapter.services.jobs.get(int(job_ids[0]))
    await _act(adapter, event, job, value, (RETRY, int(job_ids[0])))


async def _act(
    adapter: QQContext, event: MessageEvent, job: Job | None, value: str, key: tuple
) -> None:
    user, _ = ids_of(event)
    if job is None:
        await reply(adapter, event, texts.JOB_NOT_FOUND)
        return
    if job.user_id != user:
        await reply(adapter, event, texts.QQ_CHOICE_NOT_YOURS)
        return
    if value != "1":
        await reply(adapter, event, texts.QQ_CHOICE_OUT_OF_RANGE.format(count=1))
        return
    retry = key[0] == RETRY
    jobs = adapter.services.jobs
    spent = adapter.spent
    # No await between this check and taking the key: a second answer finds it.
    if key in spent:
        await reply(adapter, event, texts.QQ_ALREADY_HANDLED)
        return
    spent[key] = None
    while len(spent) > SPENT_MAX:
        del spent[next(iter(spent))]
    if retry:
        # Durable before anything is paid: checked and set in one UPDATE on the job row
        # (a retry_spent link is how older versions marked it).
        links = await jobs.result_messages_of(job.id)
        if any(link.kind == SPENT_KIND for link in links) or not await jobs.claim_relaunch(job.id):
            await reply(adapter, event, texts.QQ_ALREADY_HANDLED)
            return
    try:
        started = await launch(adapter, event, job.request)
    except BaseException:
        if not retry:  # "again" keeps no durable mark: the answer may be given again
            spent.pop(key, None)
        raise  # a retry stays marked: its job row may exist (nothing is paid twice)
    if started is None:  # the quota refused (the user was told): nothing spent
        spent.pop(key, None)
        if retry:
            await jobs.release_relaunch(job.id)
        return
    log.info(texts.LOG_QQ_JOB_FROM, started.id, key[0], job.id)
