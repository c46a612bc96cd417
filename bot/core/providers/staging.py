"""Durable answers of synchronous provider calls (and of streams that are not tasks).

Some upstream calls answer with the result itself instead of a task id (reshi images, unified
characters) or only inside a long stream (聚合API chat-format Sora). The job machinery wants
submit() → id, poll(id) → state. So those providers do the paid call in submit(), write the
answer here under a fresh id, and poll() reads it back: a restart between submit and poll
finds the file, and nothing is ever requested twice. No Telegram types here.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core import texts
from bot.core.providers import errors
from bot.core.providers.base import ResultItem, TaskState

log = logging.getLogger(__name__)

FILE_SCHEME = "file://"


class Staging:
    """Files under `root`: `<id>.json` (the state) and `<id>-<n>.bin` (result bytes).

    What is staged was already paid for, so a full disk never drops it: the write waits
    `disk_full_retry` seconds and tries again, calling `on_disk_full` (the admins' alert,
    installed by Services.open: the runtime's upkeep) each time.
    """

    disk_full_retry: float = 30.0
    on_disk_full: Callable[[], None] | None = None

    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def new_id(provider: str) -> str:
        # The "sync-" prefix tells a provider's poll() to look here, not upstream.
        return f"sync-{provider}-{uuid.uuid4().hex}"

    @staticmethod
    def owns(task_id: str) -> bool:
        return task_id.startswith("sync-")

    async def save_bytes(self, task_id: str, index: int, data: bytes) -> str:
        """Write one result file durably; returns the file:// URL the runner reads it from."""
        path = self.root / f"{_safe(task_id)}-{index}.bin"
        await self._write(path, data)
        return FILE_SCHEME + str(path.resolve())

    async def save_state(self, task_id: str, state: TaskState) -> None:
        body = {
            "status": state.status,
            "progress": state.progress,
            "results": [_item_dict(item) for item in state.results],
            "failure_reason": state.failure_reason,
            "error": state.error,
        }
        raw = json.dumps(body, ensure_ascii=False).encode()
        await self._write(self.root / f"{_safe(task_id)}.json", raw)

    async def _write(self, path: Path, data: bytes) -> None:
        while True:
            try:
                await asyncio.to_thread(_write_atomic, path, data)
                return
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                log.warning(texts.LOG_DISK_FULL_WHILE_STAGING_WAITING, path.name)
                hook = type(self).on_disk_full
                if hook is not None:
                    hook()
                await asyncio.sleep(self.disk_full_retry)

    async def state_of(self, task_id: str) -> TaskState:
        """The staged state; TaskNotFound when nothing was staged under this id."""
        state = await self.load_state(task_id)
        if state is None:
            raise errors.TaskNotFound("staged result missing")
        return state

    async def load_state(self, task_id: str) -> TaskState | None:
        path = self.root / f"{_safe(task_id)}.json"
        try:
            raw = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None
        body = json.loads(raw)
        return TaskState(
            status=body["status"],
            progress=body.get("progress"),
            results=tuple(ResultItem(**item) for item in body.get("results", [])),
            failure_reason=body.get("failure_reason", ""),
            error=body.get("error", ""),
        )


def local_path(url: str) -> Path | None:
    """The file behind a staged result URL, or None for a remote URL."""
    return Path(url[len(FILE_SCHEME) :]) if url.startswith(FILE_SCHEME) else None


def _item_dict(item: ResultItem) -> dict[str, Any]:
    # Bytes never go into JSON: staged results are referenced by file URL instead.
    return {k: v for k, v in item.__dict__.items() if k != "data"}


def safe_name(task_id: str) -> str:
    """The file name stem of a task's staged files (`<stem>.json`, `<stem>-<n>.bin`)."""
    return _safe(task_id)


def _safe(task_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in task_id)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(path.suffix + ".part")
    try:
        with part.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        part.replace(path)
    except OSError:
        part.unlink(missing_ok=True)  # a half-written part only takes more of a full disk
        raise
