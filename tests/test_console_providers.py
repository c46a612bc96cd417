"""服务商 page: the order per capability, the key check only when the operator presses 检查
(a POST with the CSRF token: it calls upstream), the newest failures, and success rate and
time to result per provider and model from the jobs table."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from bot.core.providers.base import GenerationRequest
from tests.console_harness import RunningConsole, console_on
from tests.fakes.grsai import RESULT_PATH, FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import make_settings

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
    assert "首字用时没有记录" in html  # said, not invented
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
