"""QQ test set-up shared by the tests/test_qq_*.py files: the bot's settings for QQ, the
reverse-WebSocket URL NapCat dials, and the `qq_bot` / `qq` fixtures (registered by
tests/conftest.py): the real adapter on a fixed free port (so a restart is reachable at the
same address) with fast delivery retries, and a connected FakeNapCat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.core.config import Settings
from bot.runtime.runtime import Runtime
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.onebot import FakeNapCat
from tests.harness import NO_PROVIDER_CHECKS
from tests.process import free_port

FAST_RETRY = {"job_delivery_retry_min": 0.1, "job_delivery_retry_max": 0.3}


def qq_settings(grsai: FakeGrsAI, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "grsai_api_key": SecretStr(grsai.api_key),
        "grsai_base_url": grsai.base_url,
        "grsai_fallback_base_url": grsai.base_url,
        "bot_data_dir": data_dir,
        "job_poll_interval_image": 0.05,
        "job_poll_interval_video": 0.05,
        "job_poll_interval_character": 0.05,  # as in tests/harness.py: no 3 s waits per role
        "bot_public": True,
        "group_user_cooldown": 0.0,
        "onebot_ws_port": 0,  # any free port
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class RunningQQ:
    """QQ alone under the same Runtime as `python -m bot` (in-process)."""

    def __init__(self, settings: Settings, **upkeep: float) -> None:
        self.settings = settings
        self.upkeep = upkeep
        self.runtime: Runtime | None = None

    async def start(self) -> Any:
        upkeep = {"first_provider_check_after": NO_PROVIDER_CHECKS, **self.upkeep}
        self.runtime = Runtime(self.settings, upkeep_options=upkeep, serve_console=False)
        await self.runtime.start()
        return self.adapter

    async def stop(self) -> None:
        runtime, self.runtime = self.runtime, None
        if runtime is not None:
            await runtime.stop()

    @property
    def services(self) -> Any:
        return None if self.runtime is None else self.runtime.services

    @property
    def adapter(self) -> Any:
        return None if self.runtime is None else self.runtime.platform("qq").adapter


async def connect_when_listening(fake: FakeNapCat, within: float = 15.0) -> None:
    """Connect as soon as a bot process that is still starting opens its OneBot port."""
    import asyncio
    import time

    deadline = time.monotonic() + within
    while True:
        try:
            await fake.connect()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def ws_url(port: int) -> str:
    return f"ws://127.0.0.1:{port}/onebot/v11/ws"


def has_chinese(value: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in value)


@pytest.fixture
def qq_overrides(request: pytest.FixtureRequest) -> dict:
    """Settings for `qq_bot`: override the fixture or parametrize it indirectly."""
    return getattr(request, "param", {})


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
async def qq_bot(
    grsai: FakeGrsAI, tmp_path: Path, port: int, qq_overrides: dict
) -> AsyncIterator[RunningQQ]:
    settings = qq_settings(grsai, tmp_path / "data", onebot_ws_port=port,
                           **{**FAST_RETRY, **qq_overrides})  # fmt: skip
    running = RunningQQ(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def qq(qq_bot: RunningQQ, port: int) -> AsyncIterator[FakeNapCat]:
    async with FakeNapCat(ws_url(port)) as fake:
        await fake.connect()
        yield fake
