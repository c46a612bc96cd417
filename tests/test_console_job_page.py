"""The 任务 pages beyond the basics: a job's state history (recorded, or what is known of an
older job), the date filter in the quota time zone combined with the others and paging, and
reference thumbnails (made once, cached; removed by retention; nothing outside BOT_DATA_DIR)."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.core import texts
from bot.core.providers.base import GenerationRequest
from bot.core.store.jobs import Job
from tests.console_harness import RunningConsole, console_on
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import make_settings

ADMIN = 9001
OPERATOR = 9002
USER = 1001
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def console(tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
                  ) -> AsyncIterator[RunningConsole]:  # fmt: skip
    settings = make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[ADMIN],
                             quota_timezone="Asia/Shanghai")  # fmt: skip
    async with console_on(settings) as running:
        yield running


async def _job(console: RunningConsole, prompt: str = "猫", references: list[str] | None = None,
               kind: str = "image") -> Job:  # fmt: skip
    return await console.services.jobs.create(
        request=GenerationRequest(kind, prompt, {}, references or []), provider="grsai",
        user_id=USER, chat_id=USER, thread_id=None, reply_to_id=None,
    )  # fmt: skip


def job_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-job="(\d+)"', html)]


def history_rows(html: str) -> list[str]:
    section = html.split('id="history"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr class="transition[^"]*">(.*?)</tr>', section, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


async def job_page(console: RunningConsole, job_id: int) -> str:
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        return (await client.get(f"/jobs/{job_id}")).text


def shanghai(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, SHANGHAI).strftime("%Y-%m-%d %H:%M")


async def test_the_job_page_shows_every_state_change_with_its_time_and_operator(
    console: RunningConsole,
) -> None:
    jobs = console.services.jobs
    job = await _job(console)
    await jobs.update(job, state="submitting", attempts=1)
    await jobs.update(job, state="submitted", task_id="T-1")
    await jobs.update(job, state="failed", failure="chat_gone")
    await jobs.update(job, state="delivering", failure=None, actor=OPERATOR, reason="resend")
    page = await job_page(console, job.id)
    rows = history_rows(page)
    assert len(rows) == 5, rows
    at = [t.at for t in await jobs.transitions(job.id)]
    assert rows[0] == f"{shanghai(at[0])} 创建 排队 机器人"
    assert rows[1] == f"{shanghai(at[1])} 排队 提交中 机器人"
    assert rows[3] == f"{shanghai(at[3])} 生成中 失败 聊天已无法送达 机器人"
    assert rows[4] == f"{shanghai(at[4])} 失败 发送中 重新发送结果 {OPERATOR}"


async def test_a_job_older_than_the_history_shows_what_is_known(
    console: RunningConsole,
) -> None:
    jobs = console.services.jobs
    job = await _job(console)
    await jobs.update(job, state="done", progress=100)
    # As a job made before migration 12: no recorded change at all.
    await console.services.db.conn.execute("DELETE FROM job_transitions WHERE job_id = ?",
                                           (job.id,))  # fmt: skip
    await console.services.db.conn.commit()
    page = await job_page(console, job.id)
    assert job.finished_at is not None
    inferred = texts.CONSOLE_UI["history_inferred"]
    assert history_rows(page) == [
        f"{shanghai(job.created_at)} 创建 排队 {inferred} 机器人",
        f"{shanghai(job.finished_at)} 未知 完成 {inferred} 机器人",
    ]


async def test_jobs_are_filtered_by_dates_in_the_quota_time_zone(
    console: RunningConsole,
) -> None:
    jobs = console.services.jobs
    first_day = dt.datetime(2026, 3, 1, tzinfo=SHANGHAI).timestamp()
    # 30 jobs a day over 1–4 March (Shanghai), the day's first at 00:00 there (16:00 UTC the
    # day before) and its last at 23:07; every fifth failed.
    for k in range(1, 121):
        job = await _job(console, f"描述{k}")
        created = first_day + (k - 1) // 30 * 86400 + (k - 1) % 30 * 2770
        await console.services.db.conn.execute("UPDATE jobs SET created_at = ? WHERE id = ?",
                                               (created, job.id))  # fmt: skip
        if k % 5 == 0:
            await jobs.update(job, state="failed", failure="upstream")
    await console.services.db.conn.commit()
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        page = await client.get("/jobs?from=2026-03-02&to=2026-03-03")
        assert job_ids(page.text) == list(range(90, 40, -1))
        assert 'value="2026-03-02"' in page.text and 'value="2026-03-03"' in page.text
        older = re.search(r'href="(/jobs\?[^"]*before=41[^"]*)"', page.text)
        assert older is not None
        following = older.group(1).replace("&amp;", "&")
        assert "from=2026-03-02" in following and "to=2026-03-03" in following
        assert job_ids((await client.get(following)).text) == list(range(40, 30, -1))
        failed = job_ids((await client.get("/jobs?from=2026-03-02&to=2026-03-03"
                                           "&state=failed&kind=image")).text)  # fmt: skip
        assert failed == list(range(90, 30, -5))
        mine = job_ids((await client.get(f"/jobs?to=2026-03-01&user={USER}")).text)
        assert mine == list(range(30, 0, -1))
        assert job_ids((await client.get("/jobs?from=2026-03-04")).text) == list(
            range(120, 90, -1))
        assert job_ids((await client.get("/jobs?from=2026-03-05")).text) == []
        for bad in ("from=2026-13-01", "from=2026-03-04&to=2026-03-01", "to=yesterday"):
            answer = await client.get(f"/jobs?{bad}")
            assert answer.status_code == 200 and "输入有误" in answer.text
            assert job_ids(answer.text)[:1] == [120]  # the dates are left out, not guessed


def _png(path: Path, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (900, 600), colour).save(path, "PNG")
    return path.read_bytes()


async def test_reference_thumbnails_are_made_once_and_nothing_outside_the_data_dir(
    console: RunningConsole, tmp_path: Path
) -> None:
    data = console.services.settings.bot_data_dir
    kept = data / "media" / "refs" / "a1.png"
    original = _png(kept)
    removed = data / "media" / "refs" / "b2.png"
    outside = tmp_path / "outside.png"
    _png(outside, (0, 0, 255))
    sneaky = data / "media" / "refs" / "link.png"
    sneaky.symlink_to(outside)
    job = await _job(console, references=[str(kept), str(removed), str(outside), str(sneaky),
                                          str(data / "media" / "refs" / ".." / ".." / ".." /
                                              "outside.png")])  # fmt: skip
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        page = (await client.get(f"/jobs/{job.id}")).text
        assert f'<a href="/ref/{job.id}/0"><img src="/thumb/ref/{job.id}/0"' in page
        tiles = re.findall(r'data-ref="(\d)">(.*?)</figure>', page, re.S)
        assert "参考图已按保留期删除" in tiles[1][1]
        for index in (2, 3, 4):
            assert "不在数据目录中" in tiles[index][1] and "/ref/" not in tiles[index][1]
        thumb = await client.get(f"/thumb/ref/{job.id}/0")
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        assert len(thumb.content) < len(original)
        with Image.open(io.BytesIO(thumb.content)) as small:
            assert max(small.size) <= 320
        cached = list((data / "console-thumbs").glob("*.jpg"))
        assert len(cached) == 1
        made_at = cached[0].stat().st_mtime_ns
        again = await client.get(f"/thumb/ref/{job.id}/0")
        assert again.content == thumb.content
        assert cached[0].stat().st_mtime_ns == made_at  # made once, then served from cache
        full = await client.get(f"/ref/{job.id}/0")
        assert full.status_code == 200 and full.content == original
        gone = await client.get(f"/ref/{job.id}/1")
        assert gone.status_code == 404 and "参考图已按保留期删除" in gone.text
        for index in (2, 3, 4, 5):
            for route in ("ref", "thumb/ref"):
                answer = await client.get(f"/{route}/{job.id}/{index}")
                assert answer.status_code == 404, (route, index)
                assert answer.content != outside.read_bytes()
        kept.unlink()  # retention removes it: the page and its thumbnail say so
        page = (await client.get(f"/jobs/{job.id}")).text
        assert "参考图已按保留期删除" in re.findall(r'data-ref="0">(.*?)</figure>', page,
                                                   re.S)[0]  # fmt: skip
        assert (await client.get(f"/thumb/ref/{job.id}/0")).status_code == 404
        assert not cached[0].exists()  # its cached thumbnail went with it
    async with aclosing(console.client()) as stranger:
        assert (await stranger.get(f"/ref/{job.id}/0")).status_code == 401
        assert (await stranger.get(f"/thumb/ref/{job.id}/0")).status_code == 401
