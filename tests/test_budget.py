"""One Telegram budget spent by priority, and results that go out at once.

The limiter is exercised through a real PTB bot against the fake Telegram (over HTTP); the job
paths through the whole bot (tests/harness.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from telegram.ext import ExtBot

from bot.tg.ratelimit import ChatBudgetRateLimiter, Priority, budget
from tests.fakes.grsai import RESULT_PATH, FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot
from tests.media import make_png


async def limited_bot(tg: FakeTelegram, limiter: ChatBudgetRateLimiter) -> ExtBot:
    bot: ExtBot = ExtBot(
        tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url, rate_limiter=limiter
    )
    await bot.initialize()
    return bot


@pytest.fixture
async def plain_bot(tg: FakeTelegram) -> AsyncIterator[ExtBot]:
    bot: ExtBot = ExtBot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)
    await bot.initialize()
    yield bot
    await bot.shutdown()


async def test_result_photo_overtakes_queued_status_edits_under_a_saturated_budget(
    tg: FakeTelegram, plain_bot: ExtBot
) -> None:
    chats = list(range(5001, 5011))
    statuses = {}
    for chat in chats:
        tg.private_chat(chat)
        statuses[chat] = (await plain_bot.send_message(chat, "排队中")).message_id
    tg.private_chat(6000)
    await asyncio.sleep(0.4)
    tg.calls.clear()
    # A global budget of 2 per second: ten status edits saturate it for five seconds.
    bot = await limited_bot(tg, ChatBudgetRateLimiter(overall_per_second=2))
    try:
        edits = [
            asyncio.create_task(
                bot.edit_message_text(
                    "前面还有 1 个", chat, statuses[chat], rate_limit_args=budget(Priority.STATUS)
                )
            )
            for chat in chats
        ]
        await asyncio.sleep(0.05)  # all queued behind the budget
        photo = asyncio.create_task(bot.send_photo(6000, make_png(64, 64)))
        await asyncio.gather(photo, *edits)
    finally:
        await bot.shutdown()
    order = [c.method for c in tg.calls if c.ok and c.method != "getMe"]
    assert order.count("editMessageText") == 10
    # Only the two edits that already held the budget's burst went before the photo.
    assert order.index("sendPhoto") <= 2, order


async def test_a_result_in_the_same_chat_overtakes_a_waiting_status_edit(
    tg: FakeTelegram, plain_bot: ExtBot
) -> None:
    tg.private_chat(5001)
    status = (await plain_bot.send_message(5001, "进行中")).message_id
    await asyncio.sleep(0.4)
    tg.calls.clear()
    # One message per 2 s in this chat, no burst: the status edit and the photo both wait.
    bot = await limited_bot(tg, ChatBudgetRateLimiter(private_interval=2.0, private_burst=1))
    try:
        await bot.send_message(5001, "占用节奏")
        edit = asyncio.create_task(
            bot.edit_message_text("50%", 5001, status, rate_limit_args=budget(Priority.STATUS))
        )
        await asyncio.sleep(0.05)
        photo = asyncio.create_task(bot.send_photo(5001, make_png(64, 64)))
        await asyncio.gather(edit, photo)
    finally:
        await bot.shutdown()
    order = [c.method for c in tg.calls if c.ok and c.method != "getMe"]
    assert order == ["sendMessage", "sendPhoto", "editMessageText"]
    assert tg.flood_events == []


async def test_private_chat_burst_sends_a_result_at_once_after_a_progress_edit(
    tg: FakeTelegram, plain_bot: ExtBot
) -> None:
    tg.private_chat(5001)
    status = (await plain_bot.send_message(5001, "进行中")).message_id
    await asyncio.sleep(0.4)
    tg.calls.clear()
    bot = await limited_bot(tg, ChatBudgetRateLimiter(private_interval=3.0))
    try:
        await bot.edit_message_text("90%", 5001, status, rate_limit_args=budget(Priority.STATUS))
        started = time.monotonic()
        await bot.send_photo(5001, make_png(64, 64))
        took = time.monotonic() - started
    finally:
        await bot.shutdown()
    assert took < 1.0  # not the chat's 3 s pace: only the short gap inside a burst
    assert tg.flood_events == []


# -- through the whole bot ------------------------------------------------------------------


@pytest.mark.parametrize("settings_overrides", [{"private_chat_interval": 3.0}])
async def test_draw_result_is_not_held_behind_the_chats_pace_after_a_progress_edit(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="image", progress=[30, 90, 100]))
    chat = tg.private_chat(7001)
    tg.send_text(chat, 7001, "/draw 一只猫")
    await tg.wait_for(lambda: any(m.get("photo") for m in tg.bot_messages(7001)), timeout=20)
    last_poll = [r for r in grsai.requests if r.path == RESULT_PATH][-1]
    [photo] = [c for c in tg.calls_to("sendPhoto") if c.ok]
    # A progress edit went out just before; the photo did not wait the chat's 3 s pace.
    assert photo.at - last_poll.at < 1.5
    assert tg.flood_events == []
