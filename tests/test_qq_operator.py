"""A QQ operator's first day (issue 17): blank settings, `check`'s QQ item, port problems, the
command line, and the Chinese operator lines. Each run is the real `python -m bot`."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from bot.core import texts
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.onebot import FakeNapCat
from tests.fakes.telegram import FakeTelegram
from tests.latin import latin_words
from tests.process import BotProcess, bot_env, free_port, launch, run_once
from tests.qq_harness import ws_url


def qq_env(tg: FakeTelegram, grsai: FakeGrsAI, data_dir: Path, **extra: str) -> dict[str, str]:
    """QQ alone as README's .env.example leaves it: TELEGRAM_BOT_TOKEN= present but blank."""
    env = bot_env(tg, grsai, data_dir, TELEGRAM_BOT_TOKEN="", **extra)
    env.setdefault("ONEBOT_WS_PORT", str(free_port()))
    return env


# -- a blank setting means unset -------------------------------------------------------------


async def test_check_with_a_blank_telegram_token_and_qq_does_not_crash(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    env = qq_env(tg, grsai, tmp_path / "data")
    code, out = await run_once(["check"], env, tmp_path / "run")
    assert "Traceback" not in out and "InvalidToken" not in out, out
    assert texts.CHECK_TITLE in out
    assert not tg.calls_to("getMe")
    assert code in (0, 1), out  # 1 only for the QQ item (no NapCat has connected yet)


def test_blank_optional_settings_are_unset(tmp_path: Path) -> None:
    from bot.core.config import Settings

    settings = Settings(
        _env_file=None, bot_data_dir=tmp_path, telegram_bot_token="", onebot_access_token=" ",
        onebot_ws_port="", unified_base_url="", grsai_callback_url="",
    )  # type: ignore[call-arg]  # fmt: skip
    assert settings.telegram_bot_token is None
    assert settings.onebot_access_token is None
    assert settings.onebot_ws_port is None
    assert settings.unified_base_url is None and settings.grsai_callback_url is None


# -- ports --------------------------------------------------------------------------------


async def test_bad_ports_say_which_numbers_are_allowed(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    for value in ("abc", "70000", "-1"):
        for name in ("ONEBOT_WS_PORT", "WEBHOOK_PORT"):
            env = qq_env(tg, grsai, tmp_path / "data", **{name: value})
            code, out = await run_once(["check", "--offline"], env, tmp_path / "run")
            assert code == 1, out
            [line] = [line for line in out.splitlines() if name in line]
            assert "应为 1–65535 之间的端口号" in line, line
            assert "非空" not in line


@pytest.mark.parametrize("with_telegram", [False, True], ids=["qq-alone", "with-telegram"])
async def test_qq_port_in_use_is_one_chinese_line_and_exit_2(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, with_telegram: bool
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = qq_env(tg, grsai, tmp_path / "data", ONEBOT_WS_PORT=str(port))
        if with_telegram:
            env["TELEGRAM_BOT_TOKEN"] = tg.token
        code, out = await run_once([], env, tmp_path / "run", timeout=60)
    assert code == 2, out
    assert "Traceback" not in out, out
    [line] = [line for line in out.splitlines() if str(port) in line]
    assert "ONEBOT_WS_PORT" in line and "占用" in line


# -- the command line ---------------------------------------------------------------------


async def test_a_wrong_command_names_the_valid_ones(tmp_path: Path) -> None:
    from tests.process import REPO

    code, out = await run_once(["chek"], {"PATH": "", "PYTHONPATH": str(REPO)}, tmp_path)
    assert code == 2, out
    last = out.strip().splitlines()[-1]  # the error line itself, not only the usage above it
    assert "chek" in last and "run" in last and "check" in last


async def test_help_names_the_program_and_qq(tmp_path: Path) -> None:
    from tests.process import REPO

    code, out = await run_once(["--help"], {"PATH": "", "PYTHONPATH": str(REPO)}, tmp_path)
    assert code == 0, out
    assert "香蕉创作助手" in out and "QQ" in out
    assert "Banana Sora" not in out


async def test_check_names_start_sh_when_launched_by_it(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    env = bot_env(tg, grsai, tmp_path / "data")
    code, out = await run_once(["check"], env, tmp_path / "run")
    assert code == 0, out
    assert "python -m bot" in out.strip().splitlines()[-1]
    env["BOT_LAUNCHER"] = "start.sh"
    code, out = await run_once(["check"], env, tmp_path / "run")
    assert code == 0, out
    last = out.strip().splitlines()[-1]
    assert "./scripts/start.sh" in last and "python -m bot" not in last
    env["GRSAI_API_KEY"] = "sk-wrong-key-0000"
    code, out = await run_once(["check"], env, tmp_path / "run")
    assert code == 1, out
    assert "./scripts/start.sh check" in out.strip().splitlines()[-1]


# -- check's QQ item ----------------------------------------------------------------------


def item_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(("✅ QQ", "❌ QQ", "⚠️ QQ"))]


async def test_check_before_the_first_start_says_what_to_set_in_napcat(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    env = qq_env(tg, grsai, tmp_path / "data")
    port = env["ONEBOT_WS_PORT"]
    code, out = await run_once(["check"], env, tmp_path / "run")
    assert code == 0, out  # nothing can have connected before the first start: a note only
    lines = item_lines(out)
    assert lines[0] == "✅ " + texts.CHECK_QQ_PORT_FREE.format(host="127.0.0.1", port=port)
    note = lines[-1]
    assert note.startswith("⚠️ " + texts.CHECK_QQ_NEVER)
    assert f"ws://127.0.0.1:{port}/onebot/v11/ws" in note and "NapCat" in note


async def test_check_names_a_port_taken_by_another_program(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = qq_env(tg, grsai, tmp_path / "data", ONEBOT_WS_PORT=str(port))
        code, out = await run_once(["check", "--offline"], env, tmp_path / "run")
    assert code == 1, out
    [failed] = [line for line in out.splitlines() if line.startswith("❌")]
    assert str(port) in failed and "ONEBOT_WS_PORT" in failed


async def test_check_beside_the_running_bot_names_the_connected_account(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    env = qq_env(tg, grsai, tmp_path / "data")
    port = int(env["ONEBOT_WS_PORT"])
    proc = await launch(processes, env, tmp_path / "run")
    await proc.wait_for_output(f":{port}/onebot/v11/ws", timeout=60)
    async with FakeNapCat(ws_url(port), self_id=424242) as napcat:
        await napcat.connect()
        await proc.wait_for_output("424242", timeout=30)
        code, out = await run_once(["check", "--offline"], env, tmp_path / "check")
        assert code == 0, out
        lines = item_lines(out)
        assert lines[0].startswith("✅ ") and "正在运行的机器人" in lines[0], out
        assert lines[-1].startswith("✅ ") and "424242" in lines[-1], out
        await napcat.disconnect()
        await proc.wait_for_output("已断开", timeout=30)
    code, out = await run_once(["check", "--offline"], env, tmp_path / "check")
    assert code == 1, out
    [failed] = [line for line in out.splitlines() if line.startswith("❌")]
    assert "424242" in failed and f"ws://127.0.0.1:{port}/onebot/v11/ws" in failed
    code, _ = await proc.terminate()
    assert code == 0


async def test_check_says_the_token_is_set_for_an_open_host(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    env = qq_env(tg, grsai, tmp_path / "data", ONEBOT_WS_HOST="0.0.0.0",
                 ONEBOT_ACCESS_TOKEN="qq-secret-token-1")  # fmt: skip
    code, out = await run_once(["check", "--offline"], env, tmp_path / "run")
    assert code == 0, out
    assert "✅ " + texts.CHECK_QQ_TOKEN_SET in out
    assert "ws://本机 IP:" in out and "qq-secret-token-1" not in out


# -- operator lines are Chinese -------------------------------------------------------------

# Names an operator reads as they are: products, protocols, settings, code names.
LOG_ALLOWED = {w.lower() for w in (
    "OneBot", "NapCat", "WebSocket", "Universal", "API", "Event", "token", "JSON", "HTTP",
    "Telegram", "QQ", "GrsAI", "ws", "Webhook", "None", "Bearer", "Markdown",
)}  # fmt: skip
_LINE = re.compile(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ([\w.]+): (.*)$")


def english_in_log(log: str) -> list[str]:
    """Lines whose message has a Latin word that is not a name: setting names (ONEBOT_WS_PORT),
    code names (ConnectError, X-Self-ID), URLs and addresses are names."""
    found = []
    for line in log.splitlines():
        match = _LINE.match(line)
        message = match.group(3) if match else line
        message = re.sub(r"\b\w+=\S*", " ", message)  # key=value pairs: code names and data
        words = {w for w in latin_words(message)
                 if w.lower() not in LOG_ALLOWED and not w.isupper()
                 and not re.search(r"[a-z][A-Z]", w)}  # fmt: skip
        if words:
            found.append(f"{sorted(words)}: {line}")
    return found


def test_english_in_log_finds_the_lines_of_issue_17() -> None:
    for line in ("2026-01-01 10:00:00,000 INFO bot.onebot.transport: OneBot reverse WebSocket "
                 "listening on 127.0.0.1:6700/onebot/v11/ws",
                 "2026-01-01 10:00:00,000 INFO telegram.ext.Application: Application started",
                 "2026-01-01 10:00:00,000 INFO bot.error_text: provider error NotSent (status "
                 "None): ConnectError"):  # fmt: skip
        assert english_in_log(line), line
    assert not english_in_log("2026-01-01 10:00:00,000 INFO bot.x: 已连接 QQ 账号 10001（"
                              "ONEBOT_WS_PORT=6700，ConnectError）")  # fmt: skip


async def test_a_qq_start_logs_chinese_lines_only(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    env = qq_env(tg, grsai, tmp_path / "data", ONEBOT_ACCESS_TOKEN="qq-token-7",
                 BOT_PUBLIC="false", BOT_ADMIN_IDS="qq:999",
                 JOB_SUBMIT_CONNECT_WINDOW="1", JOB_DELIVERY_RETRY_MIN="0.2")  # fmt: skip
    port = int(env["ONEBOT_WS_PORT"])
    proc = await launch(processes, env, tmp_path / "run")
    await proc.wait_for_output(f":{port}/onebot/v11/ws", timeout=60)
    wrong_path = f"ws://127.0.0.1:{port}/ws"
    async with FakeNapCat(wrong_path, token="qq-token-7") as lost:
        with pytest.raises(InvalidStatus):
            await lost.connect()
    await proc.wait_for_output("/onebot/v11/ws", timeout=30)  # the line naming the right path
    async with FakeNapCat(ws_url(port), token="wrong") as napcat:
        with pytest.raises(InvalidStatus):
            await napcat.connect(token=None)
        with pytest.raises(InvalidStatus):
            await napcat.connect()
        await proc.wait_for_output("403", timeout=30)
        napcat.token = "qq-token-7"
        await napcat.connect()
        await napcat.private_message(12345, "你好")  # a stranger: refused, logged
        await napcat.wait_sent(1, within=30)
        grsai.go_down()
        await napcat.private_message(999, "/画图 一只猫")
        await proc.wait_for_output("NotSent", timeout=60)
        code, _ = await proc.terminate()
    assert code == 0
    log = proc.log
    for needed in ("401", "403", "404", "ONEBOT_ACCESS_TOKEN", "/onebot/v11/ws"):
        assert needed in log, log
    assert "qq-token-7" not in log
    assert "HTTP response" not in log and "connection rejected" not in log
    assert english_in_log(log) == [], log


async def test_a_telegram_start_logs_chinese_lines_only(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    env = bot_env(tg, grsai, tmp_path / "data", BOT_PUBLIC="false", BOT_ADMIN_IDS="7001")
    proc = await launch(processes, env, tmp_path / "run")
    tg.send_text(tg.private_chat(1001), 1001, "/start")  # a stranger: refused, logged
    await tg.wait_for(lambda: len(tg.bot_messages(1001)) == 1, timeout=60)
    tg.send_text(tg.private_chat(7001), 7001, "/start")
    await tg.wait_for(lambda: len(tg.bot_messages(7001)) == 1, timeout=30)
    code, _ = await proc.terminate()
    assert code == 0
    log = proc.log
    assert "Application started" not in log and "Application is stopping" not in log
    assert english_in_log(log) == [], log


def test_the_bots_own_log_lines_at_info_and_above_are_chinese() -> None:
    """Every log call of bot/ at INFO or above: its message (a literal, or a texts constant)
    has no English word once placeholders and names are set aside. DEBUG may stay English."""
    import ast

    from tests.process import REPO

    levels = {"info", "warning", "error", "exception", "critical"}
    found = []
    for path in sorted((REPO / "bot").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in levels and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in ("log", "logger") and node.args):  # fmt: skip
                continue
            first = node.args[0]
            if isinstance(first, ast.Attribute) and isinstance(first.value, ast.Name) \
                    and first.value.id == "texts":  # fmt: skip
                message = str(getattr(texts, first.attr))
            elif isinstance(first, ast.Constant) and isinstance(first.value, str):
                message = first.value
            elif isinstance(first, ast.JoinedStr):
                message = "".join(v.value for v in first.values if isinstance(v, ast.Constant))
            else:
                continue  # a computed line (e.g. a texts.STARTUP_* line formatted before)
            message = re.sub(r"%[-+ #0-9.]*[sdrfgx]|%%", " ", message)
            if bad := english_in_log(message):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {bad}")
    assert found == [], "\n".join(found)
