from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.core.providers.http import make_http_client
from bot.core.store.db import Database
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.juhe import FakeJuhe
from tests.fakes.onebot import FakeNapCat
from tests.fakes.openai_base import FakeOpenAIServer
from tests.fakes.reshi import FakeReshi
from tests.fakes.telegram import FakeTelegram
from tests.fakes.unified import FakeUnified
from tests.harness import RunningBot, make_settings
from tests.latin import foreign_words
from tests.process import BotProcess
from tests.qq_harness import port, qq, qq_bot, qq_overrides  # noqa: F401  (QQ fixtures)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A new database, migrated as the bot opens it."""
    database = Database(tmp_path / "bot.sqlite3")
    await database.open()
    yield database
    await database.close()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def grsai() -> AsyncIterator[FakeGrsAI]:
    async with FakeGrsAI() as fake:
        yield fake


@pytest.fixture
async def reshi() -> AsyncIterator[FakeReshi]:
    async with FakeReshi() as fake:
        yield fake


@pytest.fixture
async def unified() -> AsyncIterator[FakeUnified]:
    async with FakeUnified() as fake:
        yield fake


@pytest.fixture
async def juhe() -> AsyncIterator[FakeJuhe]:
    async with FakeJuhe() as fake:
        yield fake


@pytest.fixture
async def processes() -> AsyncIterator[list[BotProcess]]:
    """Bot subprocesses started by a test (tests.process.launch), killed after it."""
    started: list[BotProcess] = []
    yield started
    for proc in started:
        await proc.kill()


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


# --- every word the bot shows is Chinese --------------------------------------------------------
# After each test that ran a bot against a FakeTelegram or a FakeNapCat (QQ), tests/latin.py
# checks what it showed.
_SEEN_FAKES = pytest.StashKey[list]()
_FED = pytest.StashKey[list]()
# The fakes' own tests and the OneBot transport's speak to them directly, not through the bot.
_RAW_TELEGRAM_MODULES = ("test_fake_telegram", "test_onebot_transport")


@pytest.fixture(autouse=True)
def _watch_bot_texts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    fakes: list[FakeTelegram | FakeNapCat] = []
    fed: list[str] = []
    request.node.stash[_SEEN_FAKES] = fakes
    request.node.stash[_FED] = fed
    start = FakeTelegram.start

    async def start_and_watch(self: FakeTelegram) -> None:
        fakes.append(self)
        await start(self)

    monkeypatch.setattr(FakeTelegram, "start", start_and_watch)
    enter = FakeNapCat.__aenter__

    async def enter_and_watch(self: FakeNapCat) -> FakeNapCat:
        fakes.append(self)
        return await enter(self)

    monkeypatch.setattr(FakeNapCat, "__aenter__", enter_and_watch)
    for cls in (FakeGrsAI, FakeOpenAIServer):
        script = cls.script_chat

        def script_and_note(self: Any, reply: Any, _script: Any = script) -> None:
            fed.extend([reply.text, *(getattr(reply, "chunks", None) or [])])
            fed.extend(getattr(reply, "pieces", None) or [])
            _script(self, reply)

        monkeypatch.setattr(cls, "script_chat", script_and_note)
    init = FakeOpenAIServer.__init__

    def init_and_note(self: FakeOpenAIServer, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        fed.extend(self.models)

    monkeypatch.setattr(FakeOpenAIServer, "__init__", init_and_note)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    result = yield
    if item.module.__name__.rpartition(".")[2] in _RAW_TELEGRAM_MODULES:  # type: ignore[attr-defined]
        return result
    problems = []
    for fake in item.stash.get(_SEEN_FAKES, []):
        problems += foreign_words(fake, item.stash.get(_FED, []))
    if problems:
        lines = [f"  {method}: {word!r} in {text[:200]!r}" for method, word, text in problems]
        pytest.fail("the bot showed users Latin words:\n" + "\n".join(dict.fromkeys(lines)))
    return result
