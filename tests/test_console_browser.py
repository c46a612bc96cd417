"""The console in a real browser (Playwright driving the system Chromium) against the bot and
the fakes: log in through a /console link, the overview shows what the store counted, a quota
changed in the console is enforced by /draw, the provider order and everyone's daily quota
changed in 设置 are what the bot uses, the gallery shows a result. Screenshots of the
main pages go to a temporary folder, or to docs/screenshots/ with UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.core import identity, texts
from bot.core.providers.base import GenerationRequest
from bot.core.store.chat_turns import ChatTurns
from bot.core.store.usage import UsageRecord
from tests.console_harness import RunningConsole, bot_with_console
from tests.fakes.grsai import ChatScript, FakeGrsAI, TaskScript
from tests.fakes.reshi import FakeReshi
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, make_settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ADMIN = 9001
USER = 1001
QQ_USER = identity.qq_user(777)
REPO = Path(__file__).resolve().parent.parent
WAIT = 30_000  # ms: generous, the machine is busy; every wait is for an element or event

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="没有系统 Chromium（/usr/bin/chromium）：scripts/test.sh 会尝试用 apt-get 安装",
)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = REPO / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else (
        tmp_path / "screenshots")  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def running(tg: FakeTelegram, grsai: FakeGrsAI, reshi: FakeReshi, tmp_path: Path
                  ) -> AsyncIterator[tuple[RunningBot, RunningConsole]]:  # fmt: skip
    """The bot with GrsAI and (configured, not listed in the .env's lists) reshi123."""
    settings = make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[ADMIN],
                             bot_public=False, bot_allowed_ids=[USER],
                             reshi_api_key=SecretStr(reshi.api_key),
                             reshi_base_url=reshi.base_url)  # fmt: skip
    async with bot_with_console(settings) as running:
        yield running


async def log_in(browser: Any, console: RunningConsole, width: int = 1024) -> Any:
    """A page logged in the way an admin does it: open the /console link, press 登录."""
    page = await browser.new_page(viewport={"width": width, "height": 900})
    await page.goto(await console.link(ADMIN))
    await page.click("#login")
    await page.wait_for_selector("text=" + texts.CONSOLE_UI["jobs_now"], timeout=WAIT)
    return page


async def draw_a_cat(tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot) -> int:
    grsai.script_task(TaskScript(kind="image"))
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只橘猫在窗台上晒太阳")
    await tg.wait_for(lambda: len(tg.calls_to("sendPhoto")) >= 1, timeout=30)
    for _ in range(600):  # the photo went out: the job's last write follows at once
        job = await bot.services.jobs.get(1)
        if job is not None and job.state == "done":
            return job.id
        await asyncio.sleep(0.05)
    raise AssertionError("the job never finished")


async def test_overview_after_logging_in_shows_what_the_store_counted(
    tg: FakeTelegram, grsai: FakeGrsAI, running: tuple[RunningBot, RunningConsole],
    browser: Any, shots: Path,
) -> None:  # fmt: skip
    bot, console = running
    grsai.script_chat(ChatScript(text="你好！有什么可以帮你？"))
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "你好")
    await draw_a_cat(tg, grsai, bot)
    await console.access.record_chat(QQ_USER, QQ_USER, "grsai", "gemini-2.5-flash")  # QQ
    # Wait until the chat turn was recorded (after its answer went out).
    for _ in range(600):
        if (await console.access.used_today(USER))["chat"] == 1:
            break
        await asyncio.sleep(0.05)
    expected = {"telegram": await console.access.usage.counts(USER, console.access.today()),
                "qq": await console.access.usage.counts(QQ_USER, console.access.today())}
    assert expected["telegram"] == {"chat": 1, "image": 1} and expected["qq"] == {"chat": 1}
    page = await log_in(browser, console, width=375)
    for platform, counts in expected.items():
        for capability in ("chat", "image", "video"):
            cell = page.locator(f'[data-period="1"] [data-cell="{platform}-{capability}"]')
            assert await cell.inner_text() == str(counts.get(capability, 0))
            month = page.locator(f'[data-period="2"] [data-cell="{platform}-{capability}"]')
            assert await month.inner_text() == str(counts.get(capability, 0))
    assert await page.locator('[data-cell="total-chat"]').first.inner_text() == "2"
    assert await page.locator("svg.chart rect").count() >= 2  # today's bar: chat and image
    await page.screenshot(path=str(shots / "overview-mobile.png"), full_page=True)
    # The page is usable at 375 px: nothing wider than the screen.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375


async def test_a_quota_changed_in_the_console_is_enforced_by_draw(
    tg: FakeTelegram, grsai: FakeGrsAI, running: tuple[RunningBot, RunningConsole],
    browser: Any, shots: Path,
) -> None:  # fmt: skip
    _bot, console = running
    await console.access.record_chat(USER, USER, "grsai", "gemini-2.5-flash")  # seen once
    page = await log_in(browser, console)
    await page.goto(console.base + f"/users?q={USER}")
    card = page.locator(f'[data-identity="{USER}"]')
    await card.locator('select[name="kind"]').select_option("image")
    await card.locator('input[name="value"]').fill("0")
    await card.locator('form.quota button[type="submit"]').click()
    await page.wait_for_selector(".flash", timeout=WAIT)
    assert "0" in await page.locator(".flash").inner_text()
    await page.wait_for_selector("text=" + texts.CONSOLE_ACTION_NAMES["quota"], timeout=WAIT)
    await page.screenshot(path=str(shots / "users.png"), full_page=True)
    refused = await console.access.check_job(USER, "image")  # the core check
    assert refused is not None and refused.kind == "image" and refused.limit == 0
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) >= 1)
    assert "次数已用完" in tg.bot_messages(chat["id"])[-1]["text"]
    assert grsai.submissions("image") == []


async def test_the_gallery_shows_a_result_and_the_main_pages_render(
    tg: FakeTelegram, grsai: FakeGrsAI, running: tuple[RunningBot, RunningConsole],
    browser: Any, shots: Path,
) -> None:  # fmt: skip
    bot, console = running
    job_id = await draw_a_cat(tg, grsai, bot)
    await seed_history(bot)
    page = await log_in(browser, console)
    await page.screenshot(path=str(shots / "overview.png"), full_page=True)
    await page.goto(console.base + "/gallery")
    image = page.locator(f'[data-job="{job_id}"] img')
    await image.wait_for(timeout=WAIT)
    await page.wait_for_function(
        "el => el.complete && el.naturalWidth > 0", arg=await image.element_handle(),
        timeout=WAIT,
    )  # fmt: skip
    await page.screenshot(path=str(shots / "gallery.png"), full_page=True)
    await page.goto(console.base + "/jobs")
    await page.wait_for_selector(f'[data-job="{job_id}"]', timeout=WAIT)
    await page.screenshot(path=str(shots / "jobs.png"), full_page=True)
    await page.click(f'[data-job="{job_id}"] a')
    await page.wait_for_selector("#prompt", timeout=WAIT)
    assert "橘猫" in await page.locator("#prompt").inner_text()
    await page.screenshot(path=str(shots / "job.png"), full_page=True)
    await page.goto(console.base + "/providers")  # the drawn cat counts for GrsAI's images
    await page.wait_for_selector('tr[data-figure^="grsai-image-"]', timeout=WAIT)
    await page.wait_for_selector('tr[data-chatfig^="grsai-"]', timeout=WAIT)  # seeded turns
    await page.screenshot(path=str(shots / "providers.png"), full_page=True)
    await page.goto(console.base + "/logs")
    await page.wait_for_selector("#logs", state="attached", timeout=WAIT)
    # A warning logged now appears on the open page (SSE), without reloading.
    live = page.locator("#logs li", has_text="网络")
    for _ in range(600):  # until the page's stream is connected and shows it
        logging.getLogger("bot.core.jobs").warning("任务 9 发送失败（网络），稍后重试")
        if await live.count():
            break
        await page.wait_for_timeout(50)
    await live.first.wait_for(timeout=WAIT)
    await page.screenshot(path=str(shots / "logs.png"))


async def seed_history(bot: RunningBot) -> None:
    """30 days of made-up usage and a few jobs in other states (for the screenshots)."""
    from bot.core.access import AccessControl

    services = bot.services
    assert bot.app is not None
    access: AccessControl = bot.app.bot_data.access
    today = access.today()
    start = dt.date.fromisoformat(today)
    for back in range(1, 30):
        day = (start - dt.timedelta(days=back)).isoformat()
        for n in range((back * 7) % 13 + 2):
            user = USER if n % 3 else QQ_USER
            await access.usage.record(day, UsageRecord(user, user, "chat", "grsai"))
        for _ in range((back * 5) % 6):
            await access.usage.record(day, UsageRecord(USER, USER, "image", "grsai"))
        if back % 4 == 0:
            await access.usage.record(day, UsageRecord(QQ_USER, QQ_USER, "video", "grsai"))
    for prompt, state, failure, provider in (
        ("赛博朋克风格的城市夜景", "failed", "credits", "grsai"),
        ("海边日落，电影感", "interrupted", "interrupted", "grsai"),
        ("雪山下的小木屋", "failed", "timeout", "grsai"),
        ("水墨风格的锦鲤", "failed", "upstream", "reshi"),
        ("宇航员骑马", "failed", "timeout", "reshi"),
        ("雨夜的霓虹街道", "failed", "timeout", "reshi"),
        ("古风少女", "failed", "output_moderation", "unified"),
    ):  # the failure chart: a month of failures per provider (any day of it)
        job = await services.jobs.create(
            request=GenerationRequest("image", prompt, {"model": "nano-banana"}),
            provider=provider, user_id=QQ_USER, chat_id=QQ_USER, thread_id=None,
            reply_to_id=None,
        )  # fmt: skip
        await services.jobs.update(job, state=state, failure=failure)
    # Chat answers as the 服务商 page times them (first token in ms, answered or not).
    turns = ChatTurns(services.db)
    now = time.time()
    for n in range(40):
        provider, model = ("grsai", "gemini-2.5-flash") if n % 4 else ("reshi", "gemini-pro")
        first = 400 + (n * 97) % 900 if n % 13 else None
        await turns.record(now - n * 3000, provider, model, first, ok=first is not None)


async def test_the_provider_order_and_a_daily_quota_are_changed_in_settings(
    tg: FakeTelegram, grsai: FakeGrsAI, running: tuple[RunningBot, RunningConsole],
    browser: Any, shots: Path,
) -> None:  # fmt: skip
    bot, console = running
    page = await log_in(browser, console)
    await page.goto(console.base + "/settings")
    quota = page.locator('[data-quota="image"]')
    await quota.locator('input[name="value"]').fill("0")
    await quota.locator('button[value="save"]').click()
    await page.wait_for_selector(".flash", timeout=WAIT)
    assert "0" in await page.locator(".flash").inner_text()
    assert console.access.default_limits()["image"] == 0  # what the next request reads
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) >= 1, timeout=30)
    assert "次数已用完" in tg.bot_messages(chat["id"])[-1]["text"]
    assert grsai.submissions("image") == []
    await page.wait_for_selector("text=" + texts.CONSOLE_ACTION_NAMES["daily_quota"],
                                 timeout=WAIT)  # fmt: skip
    await quota.locator('button[value="reset"]').click()
    await page.wait_for_selector("text=" + texts.CONSOLE_FLASH["quota_default_reset"]
                                 .split("{")[0], timeout=WAIT)  # fmt: skip
    assert console.access.default_limits()["image"] == bot.settings.quota_images_per_day
    await page.locator('[data-quota="video"] input[name="value"]').fill("5")
    await page.locator('[data-quota="video"] button[value="save"]').click()
    await page.wait_for_selector(".flash", timeout=WAIT)
    order = page.locator('[data-order="image"]')  # reshi123 second, after GrsAI
    await order.locator('input[name="on"][value="reshi"]').check()
    await order.locator('button[value="save"]').click()
    await page.wait_for_selector(".flash", timeout=WAIT)
    assert bot.services.providers.routes["image"] == ["grsai", "reshi"]
    order = page.locator('[data-order="video"]')  # reshi123 first, GrsAI switched off
    await order.locator('input[name="on"][value="reshi"]').check()
    await order.locator('input[name="on"][value="grsai"]').uncheck()
    await order.locator('input[name="pos_reshi"]').fill("1")
    await order.locator('button[value="save"]').click()
    await page.wait_for_selector(".flash", timeout=WAIT)
    assert bot.services.providers.routes["video"] == ["reshi"]
    await page.wait_for_selector('[data-order="video"] button[value="reset"]', timeout=WAIT)
    # The runtime settings at the top (the list below names this run's temporary folders).
    height = await page.evaluate(
        "document.querySelector('#quotas').getBoundingClientRect().bottom + window.scrollY")
    await page.screenshot(path=str(shots / "settings.png"), full_page=True,
                          clip={"x": 0, "y": 0, "width": 1024, "height": int(height) + 12})


async def test_an_ambiguous_submit_is_submitted_again_after_a_plain_warning(
    tg: FakeTelegram, grsai: FakeGrsAI, running: tuple[RunningBot, RunningConsole],
    browser: Any, shots: Path,
) -> None:  # fmt: skip
    bot, console = running
    grsai.fail_next("/v1/draw/nano-banana", 504)  # the provider may or may not have it
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只橘猫")
    for _ in range(600):
        job = await bot.services.jobs.get(1)
        if job is not None and job.state == "interrupted":
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the submit never ended unclear")
    page = await log_in(browser, console, width=375)
    await page.goto(console.base + "/jobs/1")
    await page.click("#submit-again")
    warning = page.locator("#double-charge")
    await warning.wait_for(timeout=WAIT)
    assert await warning.inner_text() == texts.CONSOLE_UI["submit_again_warning"]
    assert "两次费用" in await warning.inner_text()
    await page.screenshot(path=str(shots / "job-submit-again.png"), full_page=True)
    await page.click("#confirm-submit-again")
    await page.wait_for_selector(".flash", timeout=WAIT)
    assert "已重新提交" in await page.locator(".flash").inner_text()
    await tg.wait_for(lambda: len(tg.calls_to("sendPhoto")) >= 1, timeout=30)
    # The history names the operator who decided, and the button is gone.
    await page.reload()
    history = await page.locator("#history").inner_text()
    assert texts.CONSOLE_ACTION_NAMES["submit_again"] in history and str(ADMIN) in history
    assert await page.locator("#submit-again").count() == 0
    # A second press of the old confirmation (back button) is refused.
    await page.goto(console.base + "/jobs/1/submit-again")
    await page.wait_for_selector(".flash", timeout=WAIT)
    assert "不能重新提交" in await page.locator(".flash").inner_text()
    posted = [r for r in grsai.requests_to("/v1/draw/nano-banana") if r.method == "POST"]
    assert len(posted) == 2  # the unclear one and the one the operator asked for


async def test_the_jobs_list_is_filtered_by_dates_picked_in_the_form(
    running: tuple[RunningBot, RunningConsole], browser: Any,
) -> None:  # fmt: skip
    _bot, console = running
    jobs = console.services.jobs
    first_day = dt.datetime(2026, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()
    for day in range(3):  # one job on each of 1, 2 and 3 March (the quota zone, UTC+8)
        job = await jobs.create(request=GenerationRequest("image", f"第{day + 1}天"),
                                provider="grsai", user_id=USER, chat_id=USER, thread_id=None,
                                reply_to_id=None)  # fmt: skip
        await console.services.db.conn.execute(
            "UPDATE jobs SET created_at = ? WHERE id = ?", (first_day + day * 86400 + 60, job.id)
        )
    await console.services.db.conn.commit()
    page = await log_in(browser, console, width=375)
    await page.goto(console.base + "/jobs")
    await page.fill("#date-from", "2026-03-02")
    await page.fill("#date-to", "2026-03-02")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_url("**/jobs?*from=2026-03-02*", timeout=WAIT)
    rows = page.locator("tr[data-job]")
    assert await rows.count() == 1
    assert await rows.first.get_attribute("data-job") == "2"
    assert await page.input_value("#date-from") == "2026-03-02"  # the form keeps the dates
