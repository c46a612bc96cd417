"""服务商 page: the order per capability, the key check only when the operator presses 检查
(a POST with the CSRF token: it calls upstream), the newest failures, and success rate and
time to result per provider and model from the jobs table."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from bot.console.providers_page import FIGURES_TTL, FiguresCache, month_figures
from bot.core.chat.service import ChatService, ChatTurn
from bot.core.providers.base import GenerationRequest
from bot.core.store.chat_turns import ChatTurns
from tests.console_harness import RunningConsole, bot_with_console, console_on
from tests.fakes.grsai import RESULT_PATH, ChatScript, FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import make_settings
from tests.waiting import eventually

ADMIN = 9001
READER = 4004
USER = 1001


@pytest.fixture
async def console(tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
                  ) -> AsyncIterator[RunningConsole]:  # fmt: skip
    settings = make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[ADMIN],
                             image_providers=["grsai", "reshi"])  # fmt: skip
    async with console_on(settings) as running:
        yield running


async def finished_job(console: RunningConsole, kind: str, model: str | None, state: str,
                       seconds: float, age: float = 60.0, detail: str = "") -> int:  # fmt: skip
    jobs = console.services.jobs
    params = {"model": model} if model else {}
    job = await jobs.create(
        request=GenerationRequest(kind, "一只猫", params), provider="grsai", user_id=USER,
        chat_id=USER, thread_id=None, reply_to_id=None,
    )  # fmt: skip
    failure = {"failure": "provider_error", "failure_detail": detail} if state == "failed" else {}
    await jobs.update(job, state=state, **failure)
    finished = time.time() - age
    await console.services.db.conn.execute(
        "UPDATE jobs SET created_at = ?, finished_at = ? WHERE id = ?",
        (finished - seconds, finished, job.id),
    )
    await console.services.db.conn.commit()
    return job.id


async def _at_least(count: object, wanted: int) -> bool:
    return await count >= wanted  # type: ignore[misc,operator]


def row(html: str, attribute: str) -> str:
    found = re.search(rf'<tr {attribute}[^>]*>(.*?)</tr>', html, re.S)
    assert found is not None, attribute
    return found.group(1)


async def test_order_figures_and_errors_come_from_settings_and_jobs(
    console: RunningConsole, grsai: FakeGrsAI
) -> None:
    await finished_job(console, "image", "nano-banana", "done", 20)
    await finished_job(console, "image", "nano-banana", "done", 40)
    await finished_job(console, "image", "nano-banana", "failed", 5, detail="上游 500")
    await finished_job(console, "video", "sora-2", "done", 300, age=10 * 86400)  # month only
    failed = await finished_job(console, "video", "sora-2", "failed", 9, age=10 * 86400,
                                detail="<script>alert(1)</script>")  # fmt: skip
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        page = await client.get("/providers")
    assert page.status_code == 200
    html = page.text
    assert 'href="/providers" aria-current="page"' in html  # in the navigation
    image_order = row(html, 'data-capability="image"')
    assert "IMAGE_PROVIDERS" in image_order
    assert image_order.index("GrsAI") < image_order.index("reshi123")
    assert "未配置密钥" in image_order  # reshi is listed but has no key: skipped
    day, month = html.split('data-period="2"')
    image_day = row(day, 'data-figure="grsai-image-nano-banana"')
    assert "67%" in image_day and "30 秒" in image_day  # 2 of 3; (20 + 40) / 2
    assert "sora-2" not in day  # ten days old: the month only
    video_month = row(month, 'data-figure="grsai-video-sora-2"')
    assert "50%" in video_month and "300 秒" in video_month
    errors = html.split('id="errors"')[1]
    assert f'data-error="{failed}"' in errors and "上游 500" in errors
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in errors
    assert grsai.requests_to(RESULT_PATH) == []  # opening the page checked nothing upstream


async def test_keys_are_checked_only_by_a_post_with_the_csrf_token(
    console: RunningConsole, grsai: FakeGrsAI
) -> None:
    client, csrf = await console.logged_in(ADMIN)
    async with aclosing(client):
        before = await client.get("/providers")
        assert "还没有检查过" in before.text
        refused = await client.post("/providers/check", data={"csrf": "wrong"})
        assert refused.status_code == 403
        assert grsai.requests_to(RESULT_PATH) == []
        done = await client.post("/providers/check", data={"csrf": csrf})
        assert done.status_code == 303
        assert len(grsai.requests_to(RESULT_PATH)) == 1  # one free probe, like `check`
        page = await client.get(done.headers["location"])
        assert "已检查服务商密钥" in page.text
        assert "密钥有效" in row(page.text, 'data-check="GrsAI"')
        grsai.fail_next(RESULT_PATH, 401)
        await client.post("/providers/check", data={"csrf": csrf})
        page = await client.get("/providers")
        assert "密钥无效" in row(page.text, 'data-check="GrsAI"')
        assert "检查服务商密钥" in page.text  # who checked is recorded


async def test_a_read_only_operator_sees_the_page_but_cannot_run_the_check(
    console: RunningConsole, grsai: FakeGrsAI
) -> None:
    await console.auth.set_role(READER, "readonly", ADMIN)
    client, csrf = await console.logged_in(READER)
    async with aclosing(client):
        page = await client.get("/providers")
        assert page.status_code == 200 and 'action="/providers/check"' not in page.text
        refused = await client.post("/providers/check", data={"csrf": csrf})
        assert refused.status_code == 403
    assert grsai.requests_to(RESULT_PATH) == []


async def test_chat_answers_are_timed_to_the_first_token_per_provider_and_model(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    """Two chats through the real bot (one answered after 0.3 s, one refused upstream) are
    the 服务商 page's chat figures: 2 answers, 50 %, the first token's time."""
    settings = make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[ADMIN])
    async with bot_with_console(settings) as (_bot, console):
        chat = tg.private_chat(USER)
        grsai.script_chat(ChatScript(text="你好，我在。", first_delay=0.3))
        tg.send_text(chat, USER, "你好")
        await tg.wait_for(lambda: any("我在" in (m.get("text") or "")
                                      for m in tg.bot_messages(chat["id"])),
                          timeout=30)  # fmt: skip
        grsai.script_chat(ChatScript(status=500))
        tg.send_text(chat, USER, "再说一句")
        db = console.services.db

        async def turns() -> int:
            async with db.conn.execute("SELECT COUNT(*) FROM chat_turns") as cur:
                row = await cur.fetchone()
            return int(row[0]) if row else 0

        await eventually(lambda: _at_least(turns(), 2), 30, "both turns recorded")
        client, _ = await console.logged_in(ADMIN)
        async with aclosing(client):
            html = (await client.get("/providers")).text
    day = html.split('data-period="2"')[0]
    model = settings.default_chat_model
    figures = row(day, f'data-chatfig="grsai-{model}"')
    cells = re.findall(r"<td[^>]*>(.*?)</td>", figures)
    assert cells[2:5] == ["2", "1", "50%"]  # answers, succeeded, success rate
    p50 = float(re.search(r"data-p50>([\d.]+)", figures).group(1))  # type: ignore[union-attr]
    assert 0.3 <= p50 < 10  # seconds: the scripted wait before the first token
    assert "首字用时没有记录" not in html


@pytest.mark.parametrize("read_limit", [20_000, 10])  # read and sorted here; walked
async def test_first_token_percentiles_are_nearest_rank_within_the_period(
    console: RunningConsole, read_limit: int, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr("bot.core.store.chat_turns.READ_LIMIT", read_limit)
    turns = ChatTurns(console.services.db)
    now = time.time()
    for ms in range(1, 101):  # 1 … 100 ms, shuffled by insertion order
        await turns.record(now - 60, "grsai", "m", (ms * 37) % 100 + 1, ok=ms != 7)
    await turns.record(now - 60, "grsai", "m", None, ok=False)  # no text came: no time
    await turns.record(now - 3 * 86400, "grsai", "m", 99_999, ok=True)  # before the period
    await turns.record(now - 60, "reshi", "gemini-pro", 800, ok=True)
    grsai, reshi = await turns.figures(now - 86400)
    assert (grsai.provider, grsai.turns, grsai.ok) == ("grsai", 101, 99)
    assert (grsai.p50_ms, grsai.p95_ms) == (50, 95)
    assert (reshi.p50_ms, reshi.p95_ms, reshi.success_rate) == (800, 800, 1.0)


class Scripted:
    """A chat provider that yields `pieces`, then raises `error` or hangs (never ends)."""

    name = "stub"

    def __init__(self, pieces: list[str], error: Exception | None = None,
                 hang: bool = False) -> None:  # fmt: skip
        self.pieces, self.error, self.hang = pieces, error, hang

    async def stream_chat(self, model: str, messages: list) -> AsyncIterator[str]:
        for piece in self.pieces:
            yield piece
        if self.error is not None:
            raise self.error
        if self.hang:
            await asyncio.Event().wait()


async def test_every_way_a_chat_turn_ends_writes_one_row(console: RunningConsole) -> None:
    """Answered; failed before any text; abandoned after the first text (the platform's
    deadline closed the stream); cut by a timeout while waiting for text: one row each."""
    db = console.services.db
    turns = ChatTurns(db)

    async def run(provider: Scripted, take: int | None = None, limit: float | None = None
                  ) -> None:  # fmt: skip
        chat = ChatService(provider, None, None, "m", "", turns)  # type: ignore[arg-type]
        stream = chat.stream(ChatTurn("p:1", "m", "你好", user_id=USER))
        try:
            async with asyncio.timeout(limit):
                async for _ in stream:
                    take = None if take is None else take - 1
                    if take == 0:
                        break
        except (TimeoutError, ValueError):
            pass
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    await run(Scripted(["你", "好"]))
    await run(Scripted([], error=ValueError("上游 500")))
    await run(Scripted(["你"], hang=True), take=1)
    await run(Scripted([], hang=True), limit=0.2)
    async with db.conn.execute(
        "SELECT provider, model, first_token_ms IS NOT NULL, ok FROM chat_turns ORDER BY id"
    ) as cur:
        rows = [tuple(row) for row in await cur.fetchall()]
    assert rows == [("stub", "m", 1, 1), ("stub", "m", 0, 0), ("stub", "m", 1, 0),
                    ("stub", "m", 0, 0)]  # fmt: skip


async def test_the_month_is_read_for_the_first_visit_then_renewed_without_waiting(
    console: RunningConsole,
) -> None:
    """No visit waits for the month's figures but the first: a stale reading is shown while
    a new one is made in the background, and the next visit sees it."""
    db = console.services.db
    await finished_job(console, "image", "nano-banana", "done", 20)
    cache = FiguresCache()
    now = time.time()
    first = await month_figures(cache, db, now)
    assert [f.done for f in first.figures] == [1] and cache.renewing is None
    await finished_job(console, "image", "nano-banana", "done", 30)
    soon = await month_figures(cache, db, now + 10)  # within FIGURES_TTL: as read
    assert [f.done for f in soon.figures] == [1] and cache.renewing is None
    later = await month_figures(cache, db, now + FIGURES_TTL + 1)
    assert [f.done for f in later.figures] == [1]  # shown at once: the old reading
    renewing = cache.renewing
    assert renewing is not None
    await renewing
    assert [f.done for f in cache.figures] == [2] and cache.at == now + FIGURES_TTL + 1
    assert cache.renewing is None
