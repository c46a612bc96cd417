from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.providers.http import make_http_client
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, make_settings


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def grsai() -> AsyncIterator[FakeGrsAI]:
    async with FakeGrsAI() as fake:
        yield fake


@pytest.fixture
def fake(grsai: FakeGrsAI) -> FakeGrsAI:
    """The fake GrsAI under the name the provider-level tests use (same instance as `grsai`)."""
    return grsai


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """The bot's own httpx client (short timeouts), closed after the test."""
    client = make_http_client(connect_timeout=2.0, read_timeout=10.0)
    yield client
    await client.aclose()


@pytest.fixture
def settings_overrides() -> dict:
    """Tests override settings by redefining this fixture or via indirect parametrization."""
    return {}


@pytest.fixture
async def bot(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, settings_overrides: dict
) -> AsyncIterator[RunningBot]:
    running = RunningBot(make_settings(tg, grsai, tmp_path / "data", **settings_overrides))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
