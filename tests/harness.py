"""Runs the real bot through the same Runtime as `python -m bot` (in-process), against the fake
Telegram and fake GrsAI over HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from telegram.ext import Application

from bot.core.config import Settings
from bot.runtime.runtime import Runtime, configured_platforms
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.telegram import FakeTelegram


def make_settings(tg: FakeTelegram, grsai: FakeGrsAI, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": SecretStr(tg.token),
        "telegram_base_url": tg.base_url,
        "telegram_base_file_url": tg.base_file_url,
        "grsai_api_key": SecretStr(grsai.api_key),
        "grsai_base_url": grsai.base_url,
        # An address nothing listens on: failover tests point one of the two hosts here.
        "grsai_fallback_base_url": grsai.base_url,
        "bot_data_dir": data_dir,
        "media_group_wait": 0.3,
        "stream_edit_interval": 0.4,
        "private_chat_interval": 0.35,
        "job_poll_interval_image": 0.05,
        "job_poll_interval_video": 0.05,
        "job_poll_interval_character": 0.05,
        "job_status_interval": 0.0,
        # Open bot, no group cooldown: tests about access and cooldown set these explicitly.
        "bot_public": True,
        "group_user_cooldown": 0.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


NO_PROVIDER_CHECKS = 86400.0  # seconds before the first periodic provider probe in tests


def start_runtime(settings: Settings, **upkeep: float) -> Runtime:
    """A Runtime with test timings (short long-polls); not started yet."""
    platforms = configured_platforms(settings)
    for platform in platforms:
        if hasattr(platform, "poll_timeout"):
            platform.poll_timeout = 1
    # Periodic provider probes would add requests the fakes count: only tests/test_runtime.py
    # asks for them.
    upkeep.setdefault("first_provider_check_after", NO_PROVIDER_CHECKS)
    # The console's own tests serve it themselves on a free port (tests/test_console_*.py).
    return Runtime(settings, platforms, upkeep, serve_console=False)


class RunningBot:
    """The bot as a user meets it: started by the Runtime, polling the fake Telegram."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runtime: Runtime | None = None

    async def start(self) -> None:
        self.runtime = start_runtime(self.settings)
        await self.runtime.start()
        telegram = self.runtime.platform("telegram")
        if telegram is not None:  # tests begin once updates are taken
            await asyncio.wait_for(telegram.ready.wait(), 30)

    async def stop(self) -> None:
        runtime, self.runtime = self.runtime, None
        if runtime is not None:
            await runtime.stop()

    async def restart(self) -> None:
        await self.stop()
        await asyncio.sleep(0)
        await self.start()

    @property
    def app(self) -> Application:
        assert self.runtime is not None
        return self.runtime.platform("telegram").app

    @property
    def services(self) -> Any:
        assert self.runtime is not None
        return self.runtime.services
