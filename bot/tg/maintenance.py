"""Background upkeep of the running bot: media retention sweeps and the full-disk alert.

Rules: sweeps run in the background (PTB job queue) and never delete files of unfinished
jobs (bot/retention.py); a full disk alerts every admin in Chinese at most once per
DISK_ALERT_INTERVAL and starts a sweep at once; jobs meanwhile wait (bot/jobs/runner.py).
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot import texts
from bot.providers.staging import Staging
from bot.retention import SWEEP_INTERVAL, MediaRetention
from bot.services import Services

log = logging.getLogger(__name__)

DISK_ALERT_INTERVAL = 3600.0
FIRST_SWEEP_AFTER = 60.0  # seconds after start: let resumed jobs get going first


def setup(app: Application, services: Services) -> None:
    settings = services.settings
    retention = MediaRetention(
        services.jobs,
        [settings.media_dir, settings.bot_data_dir / "staged"],
        settings.bot_data_dir / "staged",
        settings.media_retention_days,
    )
    app.bot_data["retention"] = retention
    if settings.media_retention_days > 0 and app.job_queue is not None:
        app.job_queue.run_repeating(
            _sweep, interval=SWEEP_INTERVAL, first=FIRST_SWEEP_AFTER, name="media-retention"
        )
    alert = DiskFullAlert(app, retention, settings.bot_admin_ids)
    services.runner.on_disk_full = alert
    services.jobs.on_disk_full = alert  # job state writes wait for space too
    Staging.on_disk_full = alert  # the staging folder is shared by every provider


async def _sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
    retention: MediaRetention = context.application.bot_data["retention"]
    try:
        await retention.sweep()
    except Exception:  # a failed sweep is retried at the next interval
        log.warning(texts.LOG_RETENTION_SWEEP_FAILED, exc_info=True)


class DiskFullAlert:
    """Called by the runner on ENOSPC (synchronously): schedules one alert per interval."""

    def __init__(self, app: Application, retention: MediaRetention, admins: list[int]) -> None:
        self.app = app
        self.retention = retention
        self.admins = list(admins)
        self._last: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self) -> None:
        now = time.monotonic()
        if self._last is not None and now - self._last < DISK_ALERT_INTERVAL:
            return
        self._last = now
        task = asyncio.get_running_loop().create_task(self._alert())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _alert(self) -> None:
        log.error(texts.LOG_DISK_FULL_ALERTING_ADMINS, len(self.admins))
        for admin in self.admins:
            try:
                await self.app.bot.send_message(admin, texts.ADMIN_DISK_FULL)
            except TelegramError:
                log.warning(texts.LOG_COULD_NOT_ALERT_ADMIN_ABOUT, admin, exc_info=True)
        try:
            await self.retention.sweep()
        except Exception:
            log.warning(texts.LOG_RETENTION_SWEEP_AFTER_FULL_DISK, exc_info=True)
