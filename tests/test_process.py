"""The real `python -m bot` process: start-up checks, a user's first message, clean logs."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.core import texts
from tests.fakes.grsai import ChatScript, FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.process import empty_env_file

ROOT = Path(__file__).resolve().parents[1]


def bot_env(tg: FakeTelegram | None, grsai: FakeGrsAI | None, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "GRSAI_", "BOT_"))}
    env["BOT_DATA_DIR"] = str(data_dir)
    env["BOT_ENV_FILE"] = str(empty_env_file(data_dir.parent))  # not the repository's .env
    env["BOT_PUBLIC"] = "true"
    env["LOG_LEVEL"] = "DEBUG"
    if tg is not None:
        env.update(TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_BASE_URL=tg.base_url,
                   TELEGRAM_BASE_FILE_URL=tg.base_file_url)  # fmt: skip
    if grsai is not None:
        env.update(GRSAI_API_KEY=grsai.api_key, GRSAI_BASE_URL=grsai.base_url,
                   GRSAI_FALLBACK_BASE_URL=grsai.base_url)  # fmt: skip
    return env


async def run_bot(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=cwd, env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def test_missing_token_is_named_in_chinese_and_exits_2(tmp_path: Path) -> None:
    proc = await run_bot(bot_env(None, None, tmp_path / "data"), tmp_path)
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    # every problem at once, one line each: the token first, then the provider key
    assert out.decode().strip().splitlines() == [
        texts.STARTUP_NO_PLATFORM,  # Telegram or QQ: both ways are named
        texts.STARTUP_MISSING_SETTING.format(name="GRSAI_API_KEY"),
    ]


async def test_missing_key_is_named_in_chinese_and_exits_2(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    proc = await run_bot(bot_env(tg, None, tmp_path / "data"), tmp_path)
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert out.decode().strip() == texts.STARTUP_MISSING_SETTING.format(name="GRSAI_API_KEY")


async def test_real_process_answers_and_never_logs_secrets(
    tmp_path: Path, tg: FakeTelegram, grsai: FakeGrsAI
) -> None:
    grsai.script_chat(ChatScript(text="你好！我是机器人。"))
    proc = await run_bot(bot_env(tg, grsai, tmp_path / "data"), tmp_path)
    try:
        chat = tg.private_chat(1001)
        tg.send_text(chat, 1001, "/start")
        await tg.wait_for(lambda: len(tg.bot_messages(1001)) == 1, timeout=30)
        tg.send_text(chat, 1001, "你好")
        await tg.wait_for(lambda: len(tg.bot_messages(1001)) == 2, timeout=30)
        assert tg.bot_messages(1001)[-1]["text"] == "你好！我是机器人。"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
    logs = out.decode()
    assert "DEBUG" in logs, "the test must see debug output to prove redaction"
    assert tg.token not in logs and tg.token.split(":")[1] not in logs
    assert grsai.api_key not in logs
    assert proc.returncode == 0


async def test_sigterm_exits_within_10s_and_a_streaming_answer_keeps_its_text(
    tmp_path: Path, tg: FakeTelegram, grsai: FakeGrsAI
) -> None:
    from tests.process import BotProcess
    from tests.process import bot_env as process_env

    grsai.script_chat(ChatScript(text="一句一句慢慢说。" * 40, chunk_size=8, delay=1.0))  # ≈40 s
    bot = BotProcess(process_env(tg, grsai, tmp_path / "data"), tmp_path / "run")
    await bot.start()
    try:
        chat = tg.private_chat(1001)
        tg.send_text(chat, 1001, "讲个长故事")
        await tg.wait_for(lambda: len(tg.drafts.get(1001, [])) >= 2, timeout=30)
        code, took = await bot.terminate(timeout=15)
    finally:
        await bot.kill()
    assert took < 10, f"exit took {took:.1f}s"
    assert code == 0
    final = tg.bot_messages(1001)[-1]["text"]
    assert final.startswith("一句一句慢慢说。一句")
    assert texts.CHAT_SHUTDOWN in final
