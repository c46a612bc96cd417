"""A key the provider echoes back never reaches a chat message, a stored detail or a log line."""

from __future__ import annotations

import io
import logging

from bot.core.logging_setup import setup_logging
from bot.core.redact import scrub
from tests.fakes.grsai import CHAT_PATH, DRAW_PATH, FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, updates_handled

USER = 1001


def texts_of(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in tg.bot_messages(chat_id)]


def everything_shown(tg: FakeTelegram, chat_id: int) -> str:
    edits = [c.params.get("text", "") for c in tg.calls_to("editMessageText")]
    return "\n".join(texts_of(tg, chat_id) + [str(e) for e in edits])


async def test_draw_error_echoing_the_key_is_scrubbed_in_status_and_stored_detail(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    echo = {"code": -1, "msg": f"key {grsai.api_key} is not valid for this model"}
    grsai.fail_next(DRAW_PATH, 400, times=4, body=echo)
    tg.send_text(tg.private_chat(USER), USER, "/draw 一只猫")
    await tg.wait_for(
        lambda: any("❌" in t or "⚠️" in t for t in everything_shown(tg, USER).splitlines())
    )
    await updates_handled(bot, tg)
    shown = everything_shown(tg, USER)
    assert grsai.api_key not in shown
    [job] = [j for j in await bot.services.jobs.active()] or [await bot.services.jobs.get(1)]
    assert job is not None and job.failure_detail is not None
    assert grsai.api_key not in job.failure_detail
    assert "not valid" in job.failure_detail  # the useful part stays


async def test_chat_error_echoing_the_key_is_scrubbed_in_the_answer(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    echo = {"error": {"message": f"Incorrect API key provided: {grsai.api_key}",
                      "type": "invalid_request_error"}}  # fmt: skip
    grsai.fail_next(CHAT_PATH, 400, times=4, body=echo)
    tg.send_text(tg.private_chat(USER), USER, "你好")
    await tg.wait_for(lambda: len(tg.bot_messages(USER)) >= 1)
    await updates_handled(bot, tg)
    assert grsai.api_key not in everything_shown(tg, USER)


async def test_log_lines_scrub_keys_registered_by_the_running_bot(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    setup_logging("INFO", [], stream=stream)  # no secrets passed: the bot registered its own
    try:
        try:
            raise RuntimeError(f"upstream said: bad key {grsai.api_key}")
        except RuntimeError:
            logging.getLogger("bot.test").exception("failed with %s", grsai.api_key)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    assert grsai.api_key not in stream.getvalue()
    assert "upstream said" in stream.getvalue()


def test_scrub_masks_bearer_tokens_and_telegram_tokens_in_urls() -> None:
    text = scrub("Authorization: Bearer abcdef123456 via https://api.telegram.org/bot123:AAbb-cc/x")
    assert "abcdef123456" not in text and "AAbb-cc" not in text
