"""A QQ operator's first day (issue 17): blank settings, `check`'s QQ item, port problems, the
command line, and the Chinese operator lines. Each run is the real `python -m bot`."""

from __future__ import annotations

import socket
from pathlib import Path

from bot import texts
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.process import bot_env, free_port, run_once


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
    from bot.config import Settings

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


async def test_qq_port_in_use_is_one_chinese_line_and_exit_2(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = qq_env(tg, grsai, tmp_path / "data", ONEBOT_WS_PORT=str(port))
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
