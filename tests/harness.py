"""Runs the real bot Application against the fake Telegram and fake GrsAI over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from telegram.ext import Application

from bot.config import Settings
from bot.tg.app import build_application
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


class RunningBot:
    """The bot as a user meets it: started, polling the fake Telegram."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app: Application | None = None

    async def start(self) -> None:
        self.app = build_application(self.settings)
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(
            poll_interval=0.0, timeout=1, drop_pending_updates=False
        )

    async def stop(self) -> None:
        app = self.app
        if app is None:
            return
        self.app = None
        with contextlib.suppress(Exception):
            if app.updater and app.updater.running:
                await app.updater.stop()
        with contextlib.suppress(Exception):
            if app.running:
                await app.stop()
        if app.post_stop:
            with contextlib.suppress(Exception):
                await app.post_stop(app)
        with contextlib.suppress(Exception):
            await app.shutdown()
        if app.post_shutdown:
            with contextlib.suppress(Exception):
                await app.post_shutdown(app)

    async def restart(self) -> None:
        await self.stop()
        await asyncio.sleep(0)
        await self.start()

    @property
    def services(self) -> Any:
        assert self.app is not None
        return self.app.bot_data["services"]
