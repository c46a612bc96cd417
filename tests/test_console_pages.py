"""The console's lists: jobs filtered by state, kind, platform and user, newest first, paged;
the users page lists Telegram and QQ identities and groups with their usage."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from bot.console import charts, queries
from bot.core import identity
from bot.core.providers.base import GenerationRequest
from tests.console_harness import RunningConsole, console_on
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import make_settings

ADMIN = 9001
TG_USER = 1001
QQ_USER = identity.qq_user(555)
QQ_GROUP = identity.qq_group(4242)


@pytest.fixture
async def console(tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
                  ) -> AsyncIterator[RunningConsole]:  # fmt: skip
    settings = make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[ADMIN])
    async with console_on(settings) as running:
        yield running


def job_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-job="(\d+)"', html)]


async def test_jobs_are_filtered_and_paged_newest_first(console: RunningConsole) -> None:
    jobs = console.services.jobs
    for n in range(60):
        user, chat = (TG_USER, TG_USER) if n % 2 else (QQ_USER, QQ_GROUP)
        job = await jobs.create(
            request=GenerationRequest("video" if n % 3 == 0 else "image", f"描述{n}", {}),
            provider="grsai", user_id=user, chat_id=chat, thread_id=None, reply_to_id=None,
        )  # fmt: skip
        if n % 5 == 0:
            await jobs.update(job, state="failed", failure="credits")
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        first = await client.get("/jobs")
        ids = job_ids(first.text)
        assert ids == list(range(60, 10, -1))  # 50 per page, newest first
        older = re.search(r'href="(/jobs\?before=11)"', first.text)
        assert older is not None
        second = await client.get(older.group(1))
        assert job_ids(second.text) == list(range(10, 0, -1))
        failed = job_ids((await client.get("/jobs?state=failed")).text)
        assert failed == [n + 1 for n in range(55, -1, -5)]
        videos = job_ids((await client.get("/jobs?kind=video")).text)
        assert videos == [n + 1 for n in range(57, -1, -3)]
        on_qq = job_ids((await client.get("/jobs?platform=qq")).text)
        assert on_qq == [n + 1 for n in range(58, -1, -2)]
        mine = job_ids((await client.get(f"/jobs?user={TG_USER}&state=failed")).text)
        assert mine == [n + 1 for n in range(55, -1, -10)]
        by_group = job_ids((await client.get("/jobs?user=qqgroup:4242&kind=video")).text)
        assert by_group == [n + 1 for n in range(54, -1, -6)]
        bad = await client.get("/jobs?user=nobody&state=<b>")
        assert bad.status_code == 200 and "输入有误" in bad.text and "<b>" not in bad.text


async def test_users_page_lists_every_identity_with_usage(console: RunningConsole) -> None:
    access = console.access
    await access.record_chat(TG_USER, TG_USER, "grsai", "m")
    await access.record_chat(QQ_USER, QQ_GROUP, "grsai", "m")
    await access.record_chat(QQ_USER, QQ_GROUP, "grsai", "m")
    # Yesterday's usage (SQLite's clock has millisecond steps: same-moment rows would tie).
    await console.services.db.conn.execute("UPDATE usage SET created_at = created_at - 86400")
    await console.services.db.conn.commit()
    await access.set_allowed(identity.qq_user(9), False, ADMIN)
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        page = (await client.get("/users")).text
        shown = re.findall(r'data-identity="([^"]+)"', page)
        assert set(shown) == {"1001", "qq:555", "qqgroup:4242", "qq:9"}
        assert shown[0] == "qq:9"  # most recently seen first
        found = (await client.get("/users?q=qq:555")).text
        assert re.findall(r'data-identity="([^"]+)"', found) == ["qq:555"]
        assert "对话 2/200" in found
        unseen = (await client.get("/users?q=qq:31337")).text  # may be set before it shows up
        assert re.findall(r'data-identity="([^"]+)"', unseen) == ["qq:31337"]


def test_the_chart_scales_its_bars_to_a_round_top() -> None:
    days = queries.last_days("2026-03-02", 30)
    assert days[0] == "2026-02-01" and days[-1] == "2026-03-02" and len(days) == 30
    series = {day: {} for day in days}
    series["2026-03-02"] = {"chat": 9, "image": 3}
    chart = charts.stacked_days(series, {"chat": "对话"})
    assert [b.series for b in chart.bars] == ["chat", "image"]
    chat, image = chart.bars
    assert chart.y_ticks[-1].label == "12"  # 12 is the round top above 9 + 3
    assert abs(chat.height / image.height - 3) < 0.01
    assert chat.y + chat.height == pytest.approx(chart.baseline)
    assert image.y + image.height == pytest.approx(chat.y)
    assert chat.x + chat.width <= chart.width


def test_failures_by_provider_are_one_bar_each_split_by_reason() -> None:
    chart = charts.stacked_rows(
        {"grsai": {"credits": 3, "timeout": 1}, "reshi": {"timeout": 6}},
        {"grsai": "GrsAI"}, {"credits": "余额不足", "timeout": "响应超时"},
    )  # fmt: skip
    assert [t.label for t in chart.labels] == ["reshi", "GrsAI"]  # most failures first
    assert [(k.label, k.value) for k in chart.keys] == [("响应超时", 7), ("余额不足", 3)]
    timeout_css = chart.keys[0].css
    reshi, grsai_timeout, grsai_credits = sorted(chart.bars, key=lambda b: (b.y, b.x))
    assert reshi.series == grsai_timeout.series == timeout_css != grsai_credits.series
    assert grsai_timeout.width + grsai_credits.width == pytest.approx(reshi.width * 4 / 6, 0.01)
    assert grsai_credits.x == pytest.approx(grsai_timeout.x + grsai_timeout.width, abs=0.1)
    assert [t.label for t in chart.totals] == ["6", "4"]


async def test_overview_draws_the_month_of_failures_by_provider(console: RunningConsole) -> None:
    jobs, db = console.services.jobs, console.services.db
    made = []
    for provider, failure in [("grsai", "credits"), ("grsai", "credits"), ("reshi", "timeout"),
                              ("grsai", "timeout"), ("reshi", "credits")]:  # fmt: skip
        job = await jobs.create(
            request=GenerationRequest("image", "一只猫", {}), provider=provider,
            user_id=TG_USER, chat_id=TG_USER, thread_id=None, reply_to_id=None,
        )  # fmt: skip
        await jobs.update(job, state="failed", failure=failure)
        made.append(job.id)
    # One failed 40 days ago: outside the chart's 30 days.
    await db.conn.execute("UPDATE jobs SET created_at = created_at - 40 * 86400 WHERE id = ?",
                          (made[-1],))  # fmt: skip
    await db.conn.commit()
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        page = (await client.get("/")).text
    section = page.split('id="failures-by-provider"', 1)[1].split("</section>", 1)[0]
    titles = re.findall(r"<title>([^<]+)</title>", section)
    assert sorted(titles) == ["GrsAI 余额不足 2", "GrsAI 响应超时 1", "reshi123 响应超时 1"]
    assert re.findall(r'data-total="(\d+)"', section) == ["3", "1"]
    assert re.findall(r"<span data-reason>([^<]+)</span>", section) == ["余额不足", "响应超时"]


async def test_todays_failure_bars_are_drawn_without_inline_styles(
    console: RunningConsole,
) -> None:
    """The page's CSP allows no inline style (style-src 'self'): a bar's length given in a
    style attribute is dropped by the browser and every bar is drawn full."""
    jobs = console.services.jobs
    for failure in ("timeout", "timeout", "credits"):
        job = await jobs.create(
            request=GenerationRequest("image", "一只猫", {}), provider="grsai",
            user_id=TG_USER, chat_id=TG_USER, thread_id=None, reply_to_id=None,
        )  # fmt: skip
        await jobs.update(job, state="failed", failure=failure)
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        page = (await client.get("/")).text
    assert "style=" not in page
    bars = page.split('class="hbars"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'<rect width="([\d.]+)"', bars) == ["100.0", "50.0"]
