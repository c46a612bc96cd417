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
- every configured provider's key is probed every PROVIDER_CHECK_INTERVAL (free, authenticated
  calls: bot/core/provider_status.py); admins hear once when a key is rejected, out of credit or
  disabled, once when a provider has been unreachable for UNREACHABLE_CHECKS probes in a row,
  and once when it is well again: a state that stays the same is never repeated;
- every task here is a plain asyncio task owned by the runtime, cancelled at stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from bot.core import texts
from bot.core.config import Settings
from bot.core.provider_status import ProviderStatus, probe_all
from bot.core.retention import SWEEP_INTERVAL, MediaRetention
from bot.core.store.jobs import JobStore

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "heartbeat"
HEARTBEAT_SECONDS = 30.0
DISK_ALERT_INTERVAL = 3600.0
FIRST_SWEEP_AFTER = 60.0  # seconds after start: let resumed jobs get going first
# Free probes every ten minutes find a dead key before many users meet it, at no cost.
PROVIDER_CHECK_INTERVAL = 600.0
FIRST_PROVIDER_CHECK_AFTER = 30.0
UNREACHABLE_CHECKS = 3  # a network blip is not news: half an hour of failures is
KEY_PROBLEMS = ("bad_key", "no_credits", "forbidden")

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
        first_provider_check_after: float = FIRST_PROVIDER_CHECK_AFTER,
        provider_check_interval: float = PROVIDER_CHECK_INTERVAL,
    ) -> None:
        self.settings = settings
        self.notify_admins = notify_admins
        self.heartbeat_seconds = heartbeat_seconds
        self.first_sweep_after = first_sweep_after
        self.sweep_interval = sweep_interval
        self.first_provider_check_after = first_provider_check_after
        self.provider_check_interval = provider_check_interval
        self.provider_states: dict[str, ProviderStatus] = {}  # the newest probe of each
        self._announced: dict[str, str] = {}  # provider → the state admins were last told
        self._unreachable_in_a_row: dict[str, int] = {}
        self.retention: MediaRetention | None = None
        self._last_alert: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def heartbeat_path(self) -> Path:
        return self.settings.bot_data_dir / HEARTBEAT_FILE

    def start(self, jobs: JobStore, providers: Mapping[str, Any] | None = None) -> None:
        settings = self.settings
        staged = settings.bot_data_dir / "staged"
        self.retention = MediaRetention(
            jobs, [settings.media_dir, staged], staged, settings.media_retention_days
        )
        self._spawn(self._heartbeat(), "heartbeat")
        if settings.media_retention_days > 0:
            self._spawn(self._sweeps(), "media-retention")
        if providers:
            self._spawn(self._provider_watch(dict(providers)), "provider-checks")

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

    async def _provider_watch(self, clients: dict[str, Any]) -> None:
        await asyncio.sleep(self.first_provider_check_after)
        while True:
            await self.check_providers(clients)
            await asyncio.sleep(self.provider_check_interval)

    async def check_providers(self, clients: Mapping[str, Any]) -> list[ProviderStatus]:
        """Probe every provider once and tell admins what changed (see the Rules)."""
        statuses = await probe_all(clients)
        for name, status in zip(clients, statuses, strict=True):
            self.provider_states[name] = status
            news = self._news(name, status.state)
            if news is not None:
                log.warning(texts.LOG_PROVIDER_STATE_CHANGED, name, status.state, status.detail)
                await self.notify_admins(news)
        return statuses

    def _news(self, name: str, state: str) -> str | None:
        """The admin text for a change worth telling, or None."""
        shown = texts.PROVIDER_NAMES.get(name, name)
        before = self._announced.get(name, "ok")
        if state == "unreachable":
            count = self._unreachable_in_a_row[name] = self._unreachable_in_a_row.get(name, 0) + 1
            if count < UNREACHABLE_CHECKS or before == state:
                return None
        else:
            self._unreachable_in_a_row.pop(name, None)
        if state == "error" or state == before:  # a probe that broke says nothing of the key
            return None
        self._announced[name] = state
        if state == "ok":
            return texts.ADMIN_PROVIDER_WELL_AGAIN.format(provider=shown)
        reason = texts.PROVIDER_STATE_NAMES.get(state, state)
        return texts.ADMIN_PROVIDER_PROBLEM.format(provider=shown, state=reason)
