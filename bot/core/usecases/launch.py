"""Launching a generation job, the same from every platform (and the web chat).

Rules:
- nothing upstream before the job row: quota slot → route → job row → its usage → first
  status → runner. A quota refusal spends nothing and answers `Refused` (Chinese text);
- the slot reserved for the request is released on every path (recorded, refused or raised):
  once the row exists its usage row counts instead;
- a status message that could not be posted never stops the job: its row exists and the
  user asked for it, so it runs and the platform shows a fresh status when it can;
- what only one platform does (Telegram's status pacing, QQ's "收到" first line) comes in
  through `show_status` / `first_line`; this module knows no platform.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core import identity, texts
from bot.core.access import QuotaExceeded
from bot.core.access_texts import quota_text
from bot.core.jobs.routing import choose_provider
from bot.core.jobs.status import status_text
from bot.core.providers.base import GenerationRequest
from bot.core.store.jobs import Job
from bot.core.usecases.refused import Refused

if TYPE_CHECKING:
    from bot.core.services import Services

log = logging.getLogger(__name__)

__all__ = ["Origin", "Refused", "ShowStatus", "launch_job"]


@dataclass(frozen=True)
class Origin:
    """Where the request came from, and where its status and result go."""

    user_id: int
    chat_id: int
    thread_id: int | None = None
    reply_to_id: int | None = None
    account_id: int | None = None  # the platform account that received it (QQ's self_id)


# Posts the first status text; returns its message id (None when it could not be posted).
ShowStatus = Callable[[Job, str], Awaitable[int | None]]


async def launch_job(
    services: Services,
    request: GenerationRequest,
    origin: Origin,
    show_status: ShowStatus,
    *,
    first_line: str = "",
) -> Job | Refused:
    """Quota, the job row, its first status (`first_line` above the status text), the runner."""
    access = services.access
    held = await access.reserve_job(origin.user_id, request.kind)
    if isinstance(held, QuotaExceeded):
        return Refused(quota_text(held, services.settings.quota_timezone))
    try:
        # Routing lists + pinning to the provider of an earlier result (bot/core/jobs/routing.py).
        provider, request = await choose_provider(services.providers, services.jobs, request)
        job = await services.jobs.create(
            request=request, provider=provider, user_id=origin.user_id, chat_id=origin.chat_id,
            thread_id=origin.thread_id, reply_to_id=origin.reply_to_id,
            account_id=origin.account_id,
        )  # fmt: skip
        await access.record_job(job)  # counts until the job fails
    finally:
        access.release(held)  # recorded, or no row: the slot must not wait for its expiry
    status = status_text(job, services.runner.queue_ahead_of_new())
    text = f"{first_line}\n{status}" if first_line else status
    try:
        status_id = await show_status(job, text)
    except Exception:  # the platform's trouble: the job runs regardless
        log.warning(texts.LOG_JOB_STATUS_MESSAGE_NOT_SENT, job.id, exc_info=True)
        status_id = None
    else:
        if status_id is None:
            log.warning(texts.LOG_JOB_STATUS_MESSAGE_NOT_SENT, job.id)
    if status_id is not None:
        await services.jobs.update(job, status_message_id=status_id)
    services.runner.start(job)
    log.info(texts.LOG_JOB_STARTED, job.id, job.kind, identity.display(origin.user_id),
             identity.display(origin.chat_id))  # fmt: skip
    return job
