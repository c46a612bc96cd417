"""Background upkeep of the running bot, whatever platforms are on.

Rules:
- the heartbeat file (BOT_DATA_DIR/heartbeat) is touched every HEARTBEAT_SECONDS while the
  runtime runs: the container health check reads its age, for a QQ-only bot too;
- media retention sweeps run every SWEEP_INTERVAL (the first FIRST_SWEEP_AFTER after start,
  so resumed jobs get going first) and never delete files of unfinished jobs
  (bot/core/retention.py);
- a full disk (reported synchronously by the runner, the job store or staging) alerts every
  admin in Chinese, on whichever platform each admin is on, at most once per
  DISK_ALERT_INTERVAL, and starts a sweep at once; jobs meanwhile wait (bot/core/jobs/runner.py);
- every task here is a plain asyncio task owned by the runtime, cancelled at stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.core import texts
from bot.core.config import Settings
from bot.core.retention import SWEEP_INTERVAL, MediaRetention
from bot.core.store.jobs import JobStore

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "heartbeat"
HEARTBEAT_SECONDS = 30.0
DISK_ALERT_INTERVAL = 3600.0
FIRST_SWEEP_AFTER = 60.0  # seconds after start: let resumed jobs get going first

NotifyAdmins = Callable[[str], Awaitable[None]]


class Upkeep:
    """Built before the services (the runner reports a full disk through `disk_full`), started
    once they are open."""

    def __init__(
        self,
        settings: Settings,
        notify_admins: NotifyAdmins,
        *,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        first_sweep_after: float = FIRST_SWEEP_AFTER,
        sweep_interval: float = SWEEP_INTERVAL,
    ) -> None:
        self.settings = settings
        self.notify_admins = notify_admins
        self.heartbeat_seconds = heartbeat_seconds
        self.first_sweep_after = first_sweep_after
        self.sweep_interval = sweep_interval
        self.retention: MediaRetention | None = None
        self._last_alert: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def heartbeat_path(self) -> Path:
        return self.settings.bot_data_dir / HEARTBEAT_FILE

    def start(self, jobs: JobStore) -> None:
        settings = self.settings
        staged = settings.bot_data_dir / "staged"
        self.retention = MediaRetention(
            jobs, [settings.media_dir, staged], staged, settings.media_retention_days
        )
        self._spawn(self._heartbeat(), "heartbeat")
        if settings.media_retention_days > 0:
            self._spawn(self._sweeps(), "media-retention")

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task

    def disk_full(self) -> None:
        """Called synchronously on ENOSPC: one alert (and a sweep) per DISK_ALERT_INTERVAL."""
        now = time.monotonic()
        if self._last_alert is not None and now - self._last_alert < DISK_ALERT_INTERVAL:
            return
        self._last_alert = now
        self._spawn(self._disk_alert(), "disk-full-alert")

    # -- tasks --------------------------------------------------------------------------------

    def _spawn(self, work: Awaitable[None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _heartbeat(self) -> None:
        while True:
            try:
                self.heartbeat_path.touch()
            except OSError as exc:
                log.warning(texts.LOG_CANNOT_TOUCH, self.heartbeat_path, exc)
            await asyncio.sleep(self.heartbeat_seconds)

    async def _sweeps(self) -> None:
        await asyncio.sleep(self.first_sweep_after)
        while True:
            await self.sweep()
            await asyncio.sleep(self.sweep_interval)

    async def sweep(self) -> int:
        """One retention sweep now (a failed one is retried at the next interval)."""
        if self.retention is None:
            return 0
        try:
            return await self.retention.sweep()
        except Exception:
            log.warning(texts.LOG_RETENTION_SWEEP_FAILED, exc_info=True)
            return 0

    async def _disk_alert(self) -> None:
        log.error(texts.LOG_DISK_FULL_ALERTING_ADMINS, len(self.settings.bot_admin_ids))
        await self.notify_admins(texts.ADMIN_DISK_FULL)
        await self.sweep()
