"""Paid work a provider answers through one chat stream (聚合API video, chat-format images).

Rules this base guarantees:
- the chat format has no task id: the answer is read in the background and every state is
  staged on disk (bot/core/providers/staging.py) under an id of our own;
- the first state is staged as running before submit returns, so after a restart poll()
  finds it and, with nobody reading that stream any more, reports it lost (`stream_lost`) —
  never resent, because the provider may have done (and billed) the work;
- close() stops reading open streams; their jobs are explained after the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from bot.core.providers.base import TaskState
from bot.core.providers.common import refined
from bot.core.providers.staging import Staging


class StreamedChatTasks:
    """Subclasses build the request and read the answer in `_follow`."""

    def __init__(self, staging: Staging, lost_text: str) -> None:
        self._staging = staging
        self._lost_text = lost_text  # what the user reads when a restart cut the stream
        self._live: dict[str, TaskState] = {}
        self._readers: set[asyncio.Task[None]] = set()

    async def _start(
        self, id_name: str, pieces: AsyncIterator[str], progress: Callable[[str], int | None]
    ) -> str:
        """Wait for the first piece (errors before it are the submit's), stage the task as
        running and read the rest in the background; the new task id."""
        try:
            first = await refined(anext(pieces))
        except StopAsyncIteration:
            first = ""
        task_id = Staging.new_id(id_name)
        self._live[task_id] = TaskState(status="running", progress=progress(first))
        await self._staging.save_state(task_id, self._live[task_id])
        reader = asyncio.create_task(self._follow(task_id, first, pieces), name=task_id)
        self._readers.add(reader)
        reader.add_done_callback(self._readers.discard)
        return task_id

    async def _follow(self, task_id: str, first: str, pieces: AsyncIterator[str]) -> None:
        raise NotImplementedError

    async def poll(self, task_id: str) -> TaskState:
        live = self._live.get(task_id)
        if live is not None:
            return live
        state = await self._staging.state_of(task_id)
        if state.status == "running":
            # Staged as running but nobody reads its stream: the bot restarted meanwhile.
            return TaskState(status="failed", failure_reason="stream_lost", error=self._lost_text)
        return state

    async def close(self) -> None:
        """Stop following open streams; their jobs fail after the next start (never resent)."""
        for reader in list(self._readers):
            reader.cancel()
        for reader in list(self._readers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
