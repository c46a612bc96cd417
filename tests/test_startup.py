"""Starting `python -m bot` for real: unreachable Telegram, a wrong token, bad settings,
`--help`/`--version`, `check`, and where `.env` is found. Each run is the real process."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

from bot.core import texts
from tests.fakes.grsai import ChatScript, FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.process import (
    REPO,
    BotProcess,
    ForwardProxy,
    TcpRelay,
    bot_env,
    free_port,
    launch,
    run_once,
)
from tests.waiting import eventually

USER = 1001
WRONG_TOKEN = "654321:WRONG-token-abcdefghijklmnopqrstuvwxyz"


async def answers_start(tg: FakeTelegram) -> None:
    tg.send_text(tg.private_chat(USER), USER, "/start")
    await tg.wait_for(lambda: len(tg.bot_messages(USER)) == 1, timeout=30)


def assert_clean(log: str, *secrets: str) -> None:
    assert "Traceback" not in log, log
    for secret in secrets:
        assert secret not in log


# -- Telegram unreachable at start ---------------------------------------------------------


async def test_dead_proxy_is_explained_then_the_bot_serves_once_the_proxy_comes_up(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    port = free_port()
    proxy_url = f"http://127.0.0.1:{port}"
    env = bot_env(tg, grsai, tmp_path / "data", TELEGRAM_PROXY=proxy_url)
    proc = await launch(processes, env, tmp_path / "run")
    route = texts.STARTUP_ROUTE_PROXY.format(proxy=proxy_url, base=tg.base_url)
    await proc.wait_for_output(route)
    first = next(line for line in proc.output if route in line)
    assert "TELEGRAM_PROXY" in first and "TELEGRAM_BASE_URL" in first
    # it keeps trying, one line per attempt, instead of exiting
    await proc.wait_for_output("第 2 次连接 Telegram 仍失败")
    assert proc.proc is not None and proc.proc.returncode is None
    async with ForwardProxy(port) as proxy:
        await answers_start(tg)
        assert proxy.targets  # Telegram was reached through the proxy that came up late
        code, _ = await proc.terminate()
    assert code == 0
    assert_clean(proc.log, tg.token, tg.token.split(":")[1], grsai.api_key)


async def test_dead_base_url_names_the_address_and_serves_once_it_answers(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/bot"
    env = bot_env(tg, grsai, tmp_path / "data", TELEGRAM_BASE_URL=base)
    proc = await launch(processes, env, tmp_path / "run")
    await proc.wait_for_output(texts.STARTUP_ROUTE_DIRECT.format(base=base))
    assert [line for line in proc.output if "TELEGRAM_PROXY" in line]
    tg_port = httpx.URL(tg.base_url).port
    assert tg_port is not None
    async with TcpRelay(port, tg_port):
        await answers_start(tg)
        code, _ = await proc.terminate()
    assert code == 0
    assert_clean(proc.log, tg.token, tg.token.split(":")[1])


async def test_sigterm_while_waiting_for_telegram_exits_at_once(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    base = f"http://127.0.0.1:{free_port()}/bot"
    env = bot_env(tg, grsai, tmp_path / "data", TELEGRAM_BASE_URL=base)
    proc = await launch(processes, env, tmp_path / "run")
    await proc.wait_for_output("TELEGRAM_BASE_URL")
    code, took = await proc.terminate()
    assert code == 0 and took < 5, proc.log
    assert_clean(proc.log)


# -- a wrong token ---------------------------------------------------------------------------


async def test_wrong_token_says_so_in_chinese_never_prints_it_and_exits_2(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    env = bot_env(tg, grsai, tmp_path / "data", TELEGRAM_BOT_TOKEN=WRONG_TOKEN)
    code, out = await run_once([], env, tmp_path / "run")
    assert code == 2, out
    assert texts.STARTUP_TOKEN_INVALID.format(base=tg.base_url) in out
    assert out.strip().splitlines()[-1].startswith("令牌无效")
    assert_clean(out, WRONG_TOKEN, WRONG_TOKEN.split(":")[1])


def test_systemd_unit_does_not_restart_on_exit_code_2() -> None:
    unit = (REPO / "deploy" / "banana-bot.service").read_text("utf-8")
    assert "RestartPreventExitStatus=2" in unit.splitlines()


# -- bad settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, value, shown",
    [
        ("LOG_LEVEL", "LOUD", True),
        ("QUOTA_IMAGES_PER_DAY", "-5", True),
        ("QUOTA_TIMEZONE", "Mars/Olympus_Mons", True),
        ("LOG_FORMAT", "xml", True),
        ("DEFAULT_CHAT_MODEL", "gpt-9", True),
        ("STREAM_EDIT_INTERVAL", "0", True),
        ("PROVIDER_READ_TIMEOUT", "-1", True),
        ("JOB_MAX_PER_USER", "lots", True),
        ("WEBHOOK_PORT", "70000", True),
        ("TELEGRAM_BASE_URL", "api.telegram.org/bot", True),
        ("BOT_ADMIN_IDS", "me", True),
        ("TELEGRAM_PROXY", "sock5://alice:proxy-pw-9@127.0.0.1:1080", False),
        ("TELEGRAM_BOT_TOKEN", "not-a-token-secret-value", False),
    ],
)  # fmt: skip
async def test_bad_setting_is_one_chinese_line_with_the_value_and_what_is_allowed(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, name: str, value: str, shown: bool
) -> None:
    env = bot_env(tg, grsai, tmp_path / "data", **{name: value})
    code, out = await run_once([], env, tmp_path / "run")
    assert code == 2, out
    [line] = out.strip().splitlines()
    assert line.startswith("配置有误：") and name in line and "应为" in line, line
    assert (value in line) is shown, line
    assert_clean(out, "proxy-pw-9", "secret-value")


async def test_default_chat_model_from_the_catalog_is_accepted(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    env = bot_env(
        tg, grsai, tmp_path / "data", DEFAULT_CHAT_MODEL="gemini-2.5-pro", LOG_LEVEL="debug"
    )
    code, out = await run_once(["check", "--offline"], env, tmp_path / "run")
    assert code == 0, out


# -- --help, --version, check ---------------------------------------------------------------


async def test_help_explains_the_commands_in_chinese_without_starting(tmp_path: Path) -> None:
    code, out = await run_once(["--help"], {"PATH": "", "PYTHONPATH": str(REPO)}, tmp_path)
    assert code == 0, out
    assert texts.CLI_HELP_COMMAND in out and texts.CLI_HELP_VERSION in out
    assert "usage" not in out.lower() and "show this help" not in out


async def test_version_prints_the_package_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    code, out = await run_once(["--version"], {"PATH": "", "PYTHONPATH": str(REPO)}, tmp_path)
    assert code == 0, out
    assert version("banana-sora-bot") in out


async def test_check_passes_every_item_and_exits_0(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    env = bot_env(tg, grsai, tmp_path / "data")
    code, out = await run_once(["check"], env, tmp_path / "run")
    assert code == 0, out
    lines = out.strip().splitlines()
    assert lines[0] == texts.CHECK_TITLE and lines[-1] == texts.CHECK_PASSED
    items = lines[1:-1]
    assert items and all(line.startswith("✅") for line in items), out
    assert any("@banana_test_bot" in line for line in items)
    assert any(line.startswith("✅ GrsAI") for line in items)
    assert any(str(tmp_path / "data") in line for line in items)
    assert not tg.calls_to("getUpdates") and not grsai.submissions("image")  # nothing spent
    assert_clean(out, tg.token, grsai.api_key)


async def test_check_lists_each_failure_with_its_fix_and_exits_1(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = bot_env(tg, grsai, blocker, GRSAI_API_KEY="sk-wrong-key-0000",
                  TELEGRAM_BOT_TOKEN=WRONG_TOKEN)  # fmt: skip
    code, out = await run_once(["check"], env, tmp_path / "run")
    assert code == 1, out
    failed = [line for line in out.splitlines() if line.startswith("❌")]
    assert len(failed) == 3, out
    assert any(line.startswith("❌ " + texts.CHECK_TOKEN_INVALID) for line in failed)
    assert any("GrsAI" in line and "GRSAI_API_KEY" in line for line in failed)
    assert any(str(blocker) in line and "BOT_DATA_DIR" in line for line in failed)
    assert all(" —— " in line for line in failed)  # each with its fix
    assert out.strip().splitlines()[-1] == texts.CHECK_FAILED.format(count=3)
    assert_clean(out, WRONG_TOKEN, "sk-wrong-key-0000")


async def test_check_names_unreachable_telegram_and_the_route(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    proxy = f"http://user:proxy-pass-1@127.0.0.1:{free_port()}"
    env = bot_env(tg, grsai, tmp_path / "data", TELEGRAM_PROXY=proxy)
    code, out = await run_once(["check"], env, tmp_path / "run")
    assert code == 1, out
    [failed] = [line for line in out.splitlines() if line.startswith("❌")]
    assert "127.0.0.1" in failed and "TELEGRAM_PROXY" in failed
    assert_clean(out, "proxy-pass-1")


async def test_check_offline_needs_no_network(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    dead = "http://127.0.0.1:9"
    env = bot_env(tg, grsai, tmp_path / "data", TELEGRAM_BASE_URL=f"{dead}/bot",
                  GRSAI_BASE_URL=dead, GRSAI_FALLBACK_BASE_URL=dead)  # fmt: skip
    code, out = await run_once(["check", "--offline"], env, tmp_path / "run")
    assert code == 0, out
    assert texts.CHECK_OFFLINE in out


async def test_check_reports_bad_settings_and_exits_1(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    env = bot_env(tg, grsai, tmp_path / "data", LOG_FORMAT="xml", QUOTA_CHAT_PER_DAY="-1")
    code, out = await run_once(["check"], env, tmp_path / "run")
    assert code == 1, out
    failed = [line for line in out.splitlines() if line.startswith("❌")]
    assert len(failed) == 2 and "LOG_FORMAT=xml" in failed[0] + failed[1], out


# -- where .env is found ---------------------------------------------------------------------


def settings_lines(tg: FakeTelegram, grsai: FakeGrsAI, data_dir: Path) -> str:
    return (
        f"TELEGRAM_BOT_TOKEN={tg.token}\nTELEGRAM_BASE_URL={tg.base_url}\n"
        f"TELEGRAM_BASE_FILE_URL={tg.base_file_url}\nGRSAI_API_KEY={grsai.api_key}\n"
        f"GRSAI_BASE_URL={grsai.base_url}\nGRSAI_FALLBACK_BASE_URL={grsai.base_url}\n"
        f"BOT_DATA_DIR={data_dir}\nBOT_PUBLIC=true\n"
    )


def bare_env(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), **extra}


async def test_env_file_at_the_repository_root_is_read_from_any_folder(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    repo = tmp_path / "checkout"  # a copy of the code, so the real repository is not touched
    shutil.copytree(REPO / "bot", repo / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / ".env").write_text(settings_lines(tg, grsai, tmp_path / "data"), "utf-8")
    code, out = await run_once(["check"], bare_env(PYTHONPATH=str(repo)), tmp_path / "elsewhere")
    assert code == 0, out
    assert str(repo / ".env") in out


async def test_bot_env_file_names_the_settings_file(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    grsai.script_chat(ChatScript(text="你好！"))
    conf = tmp_path / "conf" / "bot.env"
    conf.parent.mkdir()
    conf.write_text(settings_lines(tg, grsai, tmp_path / "data"), "utf-8")
    env = bare_env(PYTHONPATH=str(REPO), BOT_ENV_FILE=str(conf))
    proc = await launch(processes, env, tmp_path / "elsewhere")
    await answers_start(tg)
    code, _ = await proc.terminate()
    assert code == 0


async def test_missing_bot_env_file_is_named_and_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.env"
    env = bare_env(PYTHONPATH=str(REPO), BOT_ENV_FILE=str(missing))
    code, out = await run_once([], env, tmp_path)
    assert code == 2
    assert out.strip() == texts.STARTUP_ENV_FILE_MISSING.format(path=missing)


# -- containers ------------------------------------------------------------------------------


async def test_hold_on_config_error_waits_for_sigterm_then_exits_2(
    tmp_path: Path, processes: list[BotProcess]
) -> None:
    env = bare_env(PYTHONPATH=str(REPO), BOT_ENV_FILE=str(tmp_path / "empty.env"))
    (tmp_path / "empty.env").touch()
    proc = BotProcess(env, tmp_path, args=("--hold-on-config-error",))
    processes.append(proc)
    await proc.start()
    await proc.wait_for_output(texts.STARTUP_HOLDING)
    await asyncio.sleep(0.5)
    assert proc.proc is not None and proc.proc.returncode is None  # no restart loop
    code, took = await proc.terminate()
    assert code == 2 and took < 5
    assert texts.STARTUP_NO_PLATFORM in proc.log  # Telegram or QQ: both ways are named


async def test_running_bot_keeps_a_heartbeat_file_fresh(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, processes: list[BotProcess]
) -> None:
    data = tmp_path / "data"
    proc = await launch(processes, bot_env(tg, grsai, data), tmp_path / "run")
    await answers_start(tg)
    await eventually(lambda: (data / "heartbeat").exists(), 30, "heartbeat file")
    assert await container_health(data) == 0  # the image's HEALTHCHECK, run against this folder
    code, _ = await proc.terminate()
    assert code == 0


async def container_health(data: Path) -> int:
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    [line] = [ln for ln in dockerfile.splitlines() if ln.startswith("HEALTHCHECK")]
    command = json.loads(line.split(" CMD ", 1)[1])
    command = [part.replace("/data/", f"{data}/") for part in command]
    proc = await asyncio.create_subprocess_exec(*command)
    return await proc.wait()


async def test_container_is_unhealthy_without_a_fresh_heartbeat(tmp_path: Path) -> None:
    assert await container_health(tmp_path) != 0  # never started (e.g. held on a config error)
    (tmp_path / "heartbeat").touch()
    assert await container_health(tmp_path) == 0
    stale = time.time() - 600
    os.utime(tmp_path / "heartbeat", (stale, stale))
    assert await container_health(tmp_path) != 0


def test_container_holds_on_config_errors_instead_of_restarting_for_ever() -> None:
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text("utf-8")
    [cmd] = [ln for ln in dockerfile.splitlines() if ln.startswith("CMD ")]
    assert json.loads(cmd[4:]) == ["python", "-m", "bot", "--hold-on-config-error"]


def test_every_number_and_choice_setting_has_a_rule_and_an_allowed_text() -> None:
    """A setting added later must be validated too: numbers need a minimum, text a rule."""
    from bot.core.config import CHOICES, MINIMUMS, NOT_EMPTY, URL_SETTINGS, Settings, allowed

    unruled = []
    for name, field in Settings.model_fields.items():
        own_range = ("webhook_port", "console_port")  # checked by their own validators
        if field.annotation in (int, float) and name not in MINIMUMS and name not in own_range:
            unruled.append(name)
        if field.annotation is str and name not in (*CHOICES, *NOT_EMPTY, *URL_SETTINGS):
            if name not in ("quota_timezone", "chat_system_prompt"):
                unruled.append(name)
        assert allowed(name)
    assert unruled == []
