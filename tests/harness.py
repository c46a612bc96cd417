"""Runs the real bot through the same Runtime as `python -m bot` (in-process), against the fake
Telegram and fake GrsAI over HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from telegram.ext import Application

from bot.core.config import Settings
from bot.core.jobs.status import status_text
from bot.core.store.jobs import Job
from bot.runtime.runtime import Runtime, configured_platforms
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.waiting import settled_job


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


async def updates_handled(bot: RunningBot, tg: FakeTelegram, timeout: float = 20.0) -> None:  # noqa: ASYNC109
    """Every update users sent so far was taken by the bot (its next long poll confirmed it),
    every handler it started has returned (PTB's update queue is joined) and every chat turn a
    handler left running has ended (the services' background tasks).

    The event to wait for before asserting that the bot did nothing (more) with a message: a
    quiet period would also pass while a busy machine had not yet run the handler at all.
    Not covered: an album still being collected (wait for its answer) and jobs (`job_shown`)."""
    await tg.wait_for(lambda: not tg.pending_updates, timeout=timeout)
    await asyncio.wait_for(bot.app.update_queue.join(), timeout)
    await tg.wait_for(lambda: len(bot.services.background) == 0, timeout=timeout)


async def job_shown(bot: RunningBot, tg: FakeTelegram, job_id: int, timeout: float = 20.0) -> Job:  # noqa: ASYNC109
    """The job settled and its status message shows that last state: the final status edit
    comes after the result, so nothing of the job's is still on its way to the chat."""
    job = await settled_job(bot.services, job_id, timeout)
    if job.status_message_id is not None:
        want = status_text(job)

        def shown() -> bool:
            message = tg.message(job.chat_id, job.status_message_id)  # type: ignore[arg-type]
            return message is not None and message.get("text") == want

        await tg.wait_for(shown, timeout=timeout)
    return job


async def jobs_shown(bot: RunningBot, tg: FakeTelegram, timeout: float = 20.0) -> list[Job]:  # noqa: ASYNC109
    """`job_shown` for every job so far (ids count from 1 in a test's fresh store)."""
    done: list[Job] = []
    while (await bot.services.jobs.get(len(done) + 1)) is not None:
        done.append(await job_shown(bot, tg, len(done) + 1, timeout))
    return done


async def at_rest(bot: RunningBot, tg: FakeTelegram, timeout: float = 20.0) -> list[Job]:  # noqa: ASYNC109
    """Everything users asked so far is done and shown: updates handled (`updates_handled`),
    then every job settled with its last status on screen (`jobs_shown`)."""
    await updates_handled(bot, tg, timeout)
    return await jobs_shown(bot, tg, timeout)
