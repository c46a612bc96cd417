"""Job events for the web chat: a job's status and results reach the user's open pages.

Rules:
- the results are already files in BOT_DATA_DIR when `deliver` is called, and the page reads
  them through the authenticated media route (media.py): delivering is telling the open pages,
  so it never waits for a browser and never fails (a closed page sees them after a reload);
- every status change is shown (a page can replace a line at no cost), as the job's status
  text (bot/core/jobs/status.py) in the same words the other platforms use;
- each open page of a web identity follows its own queue (bounded: a page that stops reading
  loses old updates, never blocks the runner); pages of other identities never see them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from bot.console.webchat.capabilities import WEB
from bot.core import texts
from bot.core.jobs.status import retry_offered, shown_prompt, status_text
from bot.core.store.jobs import Job

log = logging.getLogger(__name__)

QUEUE_SIZE = 100  # updates kept for a page that reads slowly


def result_url(job_id: int, index: int) -> str:
    return f"/chat/result/{job_id}/{index}"


def job_view(job: Job, queue_ahead: int = 0) -> dict[str, Any]:
    """What a page shows of a job: its status text and, once done, its files."""
    done = job.state == "done" or (job.state == "delivering" and bool(job.files))
    files = [
        {"url": result_url(job.id, index), "video": saved.mime.startswith("video/"),
         "present": Path(saved.path).is_file()}
        for index, saved in enumerate(job.files)
    ] if done else []  # fmt: skip
    status = status_text(job, queue_ahead)
    if done:  # what was made, and that it is done (the picture or video follows)
        status = status.split("\n", 1)[0] + "\n" + texts.WEB_CHAT_JOB_DONE
    return {"id": job.id, "kind": job.kind, "state": job.state, "prompt": shown_prompt(job.request),
            "status": status, "files": files, "updated": job.updated_at,
            # It ended in a way the user may knowingly submit again (the text says how), and
            # nobody has yet: the server would refuse a second time anyway.
            "retry": retry_offered(job) and job.relaunched_at is None}  # fmt: skip


class WebJobEvents:
    capabilities = WEB

    def __init__(self) -> None:
        self._pages: defaultdict[int, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def follow(self, chat_id: int) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._pages[chat_id].add(queue)
        return queue

    def unfollow(self, chat_id: int, queue: asyncio.Queue[dict[str, Any]]) -> None:
        pages = self._pages.get(chat_id)
        if pages is not None:
            pages.discard(queue)
            if not pages:
                self._pages.pop(chat_id, None)

    def publish(self, chat_id: int, update: dict[str, Any]) -> None:
        for queue in list(self._pages.get(chat_id, ())):
            if queue.full():  # a page that stopped reading: drop its oldest update
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(update)

    async def on_change(self, job: Job) -> None:
        self.publish(job.chat_id, {"job": job_view(job)})

    async def deliver(self, job: Job) -> None:
        self.publish(job.chat_id, {"job": job_view(job)})

    async def send_text(self, job: Job, text: str) -> None:
        self.publish(job.chat_id, {"notice": text})

    def end_followers(self) -> None:
        """Open pages end their streams (shutdown is quick; browsers reconnect later)."""
        for pages in self._pages.values():
            for queue in pages:
                if queue.full():
                    with contextlib.suppress(asyncio.QueueEmpty):
                        queue.get_nowait()
                queue.put_nowait({"end": True})

    async def close(self) -> None:
        self.end_followers()
