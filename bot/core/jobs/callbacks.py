"""Provider callbacks (webhooks) for running jobs: unguessable per-job URLs and the mailbox the
runner's poller waits on. No Telegram or HTTP-server types here (see bot/tg/protocol/webhook.py).

Rules:
- a job's token is `<job id>-<40 hex>`, the hex being HMAC(secret, job id): unguessable
  without the secret and nothing to store; anything not of that form (thousands of digits,
  non-ASCII digits…), a token that does not verify, or a job not waiting for a callback is
  "unknown" (→ 404), never an error;
- a callback is trusted for nothing but "poll this task now": whatever state, results or URLs
  it carries are ignored, and what the poll answers (results, failures, URLs) is what counts;
  a callback for another task id is ignored;
- polling stays the safety net, and callbacks that never come are noticed: after
  MISSES_TO_DISTRUST jobs in a row ended by polling, new waits stop counting on callbacks
  until one arrives again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field

from bot.core import texts
from bot.core.providers.base import TaskState

log = logging.getLogger(__name__)

MISSES_TO_DISTRUST = 3
# Job ids are SQLite rowids (at most 19 digits); the MAC is 40 lowercase hex digits.
_TOKEN = re.compile(r"([1-9][0-9]{0,18})-([0-9a-f]{40})", re.ASCII)


@dataclass
class _Mailbox:
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    task_id: str | None = None


class Callbacks:
    def __init__(self, base_url: str, secret: bytes) -> None:
        self.base_url = base_url.rstrip("/")
        self._secret = secret
        self._boxes: dict[int, _Mailbox] = {}
        self._misses = 0

    @property
    def trusted(self) -> bool:
        return self._misses < MISSES_TO_DISTRUST

    def token(self, job_id: int) -> str:
        mac = hmac.new(self._secret, f"job:{job_id}".encode(), hashlib.sha256).hexdigest()
        return f"{job_id}-{mac[:40]}"

    def expect(self, job_id: int) -> str:
        """The URL for this job's callbacks; a callback is awaited from now on."""
        self._boxes[job_id] = _Mailbox()
        return f"{self.base_url}/{self.token(job_id)}"

    def waiting(self, job_id: int) -> bool:
        return job_id in self._boxes

    def forget(self, job_id: int) -> None:
        self._boxes.pop(job_id, None)

    def receive(self, token: str, task_id: str, state: TaskState | None = None) -> bool:
        """A callback arrived; False when its token is unknown (nothing happens then).

        `state` (what the POST claimed) is deliberately unused: anyone who learns a job's URL
        could forge it, so the callback only wakes the poller (see `wait`)."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return False
        job_id = int(match.group(1))
        if not hmac.compare_digest(token, self.token(job_id)):
            return False
        box = self._boxes.get(job_id)
        if box is None:
            return False
        box.task_id = task_id
        box.arrived.set()
        return True

    async def wait(self, job_id: int, task_id: str | None, timeout: float) -> bool:  # noqa: ASYNC109
        """Until a callback for `task_id` or `timeout`; True when one came (poll now)."""
        box = self._boxes.get(job_id)
        if box is None:
            await asyncio.sleep(timeout)
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(box.arrived.wait(), timeout)
        if not box.arrived.is_set():
            return False
        box.arrived.clear()
        if box.task_id != task_id:
            return False
        self._misses = 0
        return True

    def ended_by_polling(self, job_id: int) -> None:
        """A job that waited for a callback was found done by a poll first."""
        if job_id not in self._boxes:
            return
        self._misses += 1
        if self._misses == MISSES_TO_DISTRUST:
            log.warning(
                texts.LOG_NO_GRSAI_CALLBACK, self._misses, self.base_url
            )
