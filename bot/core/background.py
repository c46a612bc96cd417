"""Work the bot owns beyond one Telegram update (chat turns), so update slots free at once.

Rules: every task is tracked until it ends; an exception is logged, never lost; `close(grace)`
cancels whatever is still running and waits at most `grace` seconds more for it to finish
(cancelled chat turns end their message with the partial text and a notice).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.core import texts

log = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closing = False

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error(texts.LOG_BACKGROUND_TASK_FAILED, task.get_name(), exc_info=exc)

    async def close(self, grace: float) -> None:
        """Cancel every task and wait (bounded) until they have wrapped up."""
        self.closing = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            if pending:
                log.warning(texts.LOG_BACKGROUND_TASKS_AT_SHUTDOWN, len(pending))
