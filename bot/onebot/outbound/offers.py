"""A failure message that offers a retry on QQ, remembered so that a "1" finds its job.

The job events call `offer` before the failure message goes out and `offered` once QQ took it;
the answer itself is a handler's (bot/onebot/handlers/actions.py).
"""

from __future__ import annotations

import time

from bot.core.store.jobs import Job, ResultMessage
from bot.onebot.context import QQContext

RETRY = "retry"  # choices kind of a failure's offer; its options: [job id]
OFFER_KIND = "retry_offer"  # result_messages.kind of a failure message offering a retry


async def offer(adapter: QQContext, job: Job) -> None:
    """Before the failure message goes out: a bare "1" from the job's owner means this job."""
    adapter.choices[(job.chat_id, job.user_id)] = (RETRY, [str(job.id)], time.monotonic())


async def offered(adapter: QQContext, job: Job, message_id: int) -> None:
    """The failure message was sent: replies to it find the job, also after a restart."""
    await adapter.services.jobs.add_result_message(ResultMessage(
        chat_id=job.chat_id, message_id=message_id, job_id=job.id, kind=OFFER_KIND,
        file_id=None, path=None,
    ))  # fmt: skip
