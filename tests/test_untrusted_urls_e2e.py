"""Result URLs come from the provider and are not trusted: scheme, address and every redirect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fakes.grsai import FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, at_rest
from tests.media import make_png
from tests.waiting import settled_job

USER = 1001


@pytest.fixture
async def redirector() -> AsyncIterator[str]:
    """A host on loopback that answers every GET with a redirect to the metadata address."""

    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/iam")

    app = web.Application()
    app.router.add_get("/r.png", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/r.png"))
    await server.close()


async def _draw_and_wait_for_the_end(tg: FakeTelegram, bot: RunningBot) -> None:
    tg.send_text(tg.private_chat(USER), USER, "/draw 一只猫")
    await tg.wait_for(lambda: bool(tg.bot_messages(USER)))
    jobs = bot.services.jobs

    async def ended() -> bool:
        job = await jobs.get(1)
        return job is not None and job.state in ("failed", "done", "interrupted")

    import asyncio
    import time

    deadline = time.monotonic() + 15
    while not await ended():
        assert time.monotonic() < deadline, "job did not end"
        await asyncio.sleep(0.05)
    await at_rest(bot, tg)


async def test_file_url_outside_the_staging_folder_is_refused(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, tmp_path: Path
) -> None:
    other_users_photo = tmp_path / "data" / "media" / "refs" / "someone-else.png"
    other_users_photo.parent.mkdir(parents=True, exist_ok=True)
    other_users_photo.write_bytes(make_png(32, 32))
    grsai.script_task(TaskScript(kind="image", result_url=f"file://{other_users_photo}"))
    await _draw_and_wait_for_the_end(tg, bot)
    job = await settled_job(bot.services, 1)
    assert job is not None and job.state == "failed"
    assert not any(m.get("photo") or m.get("document") for m in tg.bot_messages(USER))
    assert tg.calls_to("sendPhoto") == [] and tg.calls_to("sendDocument") == []


async def test_redirect_to_the_metadata_address_is_refused_at_once(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, redirector: str
) -> None:
    grsai.script_task(TaskScript(kind="image", result_url=redirector))
    await _draw_and_wait_for_the_end(tg, bot)
    job = await settled_job(bot.services, 1)
    assert job is not None and job.state == "failed", job
    assert job.failure == "error"
    assert tg.calls_to("sendPhoto") == []
