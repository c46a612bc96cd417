"""One runtime owns the program: platforms start as peers, upkeep runs whatever platforms are
on, and stop is bounded (bot/runtime/runtime.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bot.core import texts
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.onebot import FakeNapCat
from tests.fakes.telegram import FakeTelegram
from tests.process import BotProcess, bot_env, free_port, launch
from tests.qq_harness import FAST_RETRY, RunningQQ, qq_settings, ws_url
from tests.waiting import eventually

HELP_MARK = "/画图"  # the QQ help names the drawing command


def qq_only_env(tg: FakeTelegram, grsai: FakeGrsAI, data: Path, **extra: str) -> dict[str, str]:
    """QQ alone as .env.example leaves it: TELEGRAM_BOT_TOKEN= present but blank."""
    env = bot_env(tg, grsai, data, TELEGRAM_BOT_TOKEN="", **extra)
    env.setdefault("ONEBOT_WS_PORT", str(free_port()))
    return env


async def answers_help(port: int) -> str:
    async with FakeNapCat(ws_url(port)) as napcat:
        await napcat.connect()
        await napcat.private_message(20001, "/帮助")
        [sent] = await napcat.wait_sent(1, within=30)
    return sent.text


async def test_qq_alone_with_a_blank_telegram_token_serves_and_keeps_a_heartbeat(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    data = tmp_path / "data"
    env = qq_only_env(tg, grsai, data)
    proc = await launch(processes, env, tmp_path / "run")
    port = int(env["ONEBOT_WS_PORT"])
    await proc.wait_for_output(f":{port}/onebot/v11/ws", timeout=60)
    assert HELP_MARK in await answers_help(port)
    # The container health check reads the heartbeat's age: a QQ-only bot keeps it fresh too.
    await eventually(lambda: (data / "heartbeat").exists(), 30, "heartbeat file")
    assert time.time() - (data / "heartbeat").stat().st_mtime < 60
    assert tg.calls == [] or all(c.method != "getUpdates" for c in tg.calls)
    code, _ = await proc.terminate()
    assert code == 0


async def test_qq_answers_while_telegram_is_unreachable(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    closed = free_port()  # nothing listens here: Telegram "behind a dead proxy"
    port = free_port()
    env = bot_env(tg, grsai, tmp_path / "data", ONEBOT_WS_PORT=str(port),
                  TELEGRAM_BASE_URL=f"http://127.0.0.1:{closed}/bot",
                  TELEGRAM_BASE_FILE_URL=f"http://127.0.0.1:{closed}/file/bot")  # fmt: skip
    proc = await launch(processes, env, tmp_path / "run")
    unreachable = texts.STARTUP_TELEGRAM_UNREACHABLE.split("（")[0]
    await proc.wait_for_output(unreachable, timeout=60)
    await proc.wait_for_output(f":{port}/onebot/v11/ws", timeout=60)
    assert HELP_MARK in await answers_help(port)  # QQ is not held back by Telegram
    code, elapsed = await proc.terminate()
    assert code == 0 and elapsed < 10


async def test_sigterm_with_both_platforms_and_napcat_connected_exits_within_10s(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    port = free_port()
    env = bot_env(tg, grsai, tmp_path / "data", ONEBOT_WS_PORT=str(port))
    proc = await launch(processes, env, tmp_path / "run")
    await proc.wait_for_output(f":{port}/onebot/v11/ws", timeout=60)
    async with FakeNapCat(ws_url(port)) as napcat:
        await napcat.connect()
        await napcat.private_message(20001, "/帮助")
        await napcat.wait_sent(1, within=30)
        code, elapsed = await proc.terminate()
    assert code == 0 and elapsed < 10, proc.log


async def test_qq_alone_sweeps_old_media_in_the_background(
    grsai: FakeGrsAI, tmp_path: Path
) -> None:
    settings = qq_settings(grsai, tmp_path / "data", onebot_ws_port=free_port(),
                           media_retention_days=1, **FAST_RETRY)  # fmt: skip
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    old = settings.media_dir / "old.png"
    old.write_bytes(b"x")
    three_days_ago = time.time() - 3 * 86400
    os.utime(old, (three_days_ago, three_days_ago))
    running = RunningQQ(settings, heartbeat_seconds=0.1, first_sweep_after=0.05,
                        sweep_interval=0.1)  # fmt: skip
    await running.start()
    try:
        await eventually(lambda: not old.exists(), 15, "the old file swept")
        heartbeat = settings.bot_data_dir / "heartbeat"
        await eventually(heartbeat.exists, 15, "heartbeat file")
        first = heartbeat.stat().st_mtime_ns
        await eventually(lambda: heartbeat.stat().st_mtime_ns != first, 15, "heartbeat again")
    finally:
        await running.stop()


async def test_the_console_is_served_by_the_runtime_and_a_taken_port_is_one_chinese_line(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    import socket

    import httpx

    console = free_port()
    env = qq_only_env(tg, grsai, tmp_path / "data", CONSOLE_PORT=str(console))
    proc = await launch(processes, env, tmp_path / "run")
    await proc.wait_for_output(texts.LOG_CONSOLE_AT.split("：")[0], timeout=60)
    async with httpx.AsyncClient() as client:
        health = await client.get(f"http://127.0.0.1:{console}/healthz")
        page = await client.get(f"http://127.0.0.1:{console}/", follow_redirects=False)
    assert health.json()["platforms"] == {"qq": "running"}
    assert page.status_code in (302, 303, 401)  # no session: to the login help
    code, _ = await proc.terminate()
    assert code == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", console))
        taken.listen()
        again = BotProcess(env, tmp_path / "run2")
        processes.append(again)
        await again.start()
        assert again.proc is not None
        code = await again.proc.wait()
    assert code == 2 and "CONSOLE_PORT" in again.log and "Traceback" not in again.log, again.log


async def test_check_names_the_console_and_warns_when_it_is_open_over_plain_http(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    from tests.process import run_once

    port = str(free_port())
    env = qq_only_env(tg, grsai, tmp_path / "data", CONSOLE_PORT=port)
    _, out = await run_once(["check", "--offline"], env, tmp_path / "run")
    assert "网页控制台" in out and "CONSOLE_HOST" not in out, out
    exposed = qq_only_env(tg, grsai, tmp_path / "data2", CONSOLE_PORT=port, CONSOLE_HOST="0.0.0.0")
    _, out = await run_once(["check", "--offline"], exposed, tmp_path / "run2")
    assert "CONSOLE_HOST=127.0.0.1" in out and "HTTPS" in out, out


async def test_upkeep_tells_qq_admins_once_when_a_provider_key_is_rejected_and_once_when_well(
    grsai: FakeGrsAI, tmp_path: Path
) -> None:
    """Provider checks are upkeep too: with QQ alone, a rejected key reaches the admin once (not
    at every probe), and its recovery once."""
    admin = 30001
    port = free_port()
    settings = qq_settings(grsai, tmp_path / "data", onebot_ws_port=port,
                           bot_admin_ids=f"qq:{admin}")  # fmt: skip
    grsai.api_key = "sk-a-key-the-operator-revoked"  # the bot's key is now refused (401)
    running = RunningQQ(settings, first_provider_check_after=0.05, provider_check_interval=0.05)
    async with FakeNapCat(ws_url(port)) as napcat:
        await running.start()
        try:
            await napcat.connect()

            def probes() -> int:
                return sum(1 for r in grsai.requests if "result" in r.path)

            await eventually(lambda: len(napcat.sent) >= 1, 30, "the admin told")
            seen = probes()
            await eventually(lambda: probes() >= seen + 3, 30, "three probes more")
            [alert] = napcat.sent  # the same state is not repeated at every probe
            assert alert.target == admin and "GrsAI" in alert.text
            assert texts.PROVIDER_STATE_NAMES["bad_key"] in alert.text
            grsai.api_key = settings.grsai_api_key.get_secret_value()  # the operator fixed it
            await eventually(lambda: len(napcat.sent) >= 2, 30, "the recovery told")
            seen = probes()
            await eventually(lambda: probes() >= seen + 3, 30, "three probes more")
            assert [m.text for m in napcat.sent[1:]] == [
                texts.ADMIN_PROVIDER_WELL_AGAIN.format(provider="GrsAI")
            ]
        finally:
            await running.stop()
