"""Runs the real `python -m bot` as a child process, configured only through the environment."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from pathlib import Path

from tests.fakes.grsai import FakeGrsAI
from tests.fakes.telegram import FakeTelegram

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(tg: FakeTelegram, grsai: FakeGrsAI, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "PTB_TIMEDELTA": "1",
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_BASE_URL": tg.base_url,
        "TELEGRAM_BASE_FILE_URL": tg.base_file_url,
        "GRSAI_API_KEY": grsai.api_key,
        "GRSAI_BASE_URL": grsai.base_url,
        "GRSAI_FALLBACK_BASE_URL": grsai.base_url,
        "BOT_DATA_DIR": str(data_dir),
        "BOT_PUBLIC": "true",
        "PRIVATE_CHAT_INTERVAL": "0.35",
        "JOB_STATUS_INTERVAL": "0",
        "LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


class BotProcess:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd  # no .env there: only the environment configures the bot
        self.proc: asyncio.subprocess.Process | None = None
        self.output: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=self.env, cwd=self.cwd,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        async for line in self.proc.stdout:
            self.output.append(line.decode("utf-8", "replace"))

    @property
    def log(self) -> str:
        return "".join(self.output)

    async def terminate(self, timeout: float = 15.0) -> tuple[int, float]:  # noqa: ASYNC109
        """SIGTERM; (exit code, seconds it took to exit)."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError(f"bot did not exit within {timeout}s:\n{self.log}") from None
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)
        return code, time.monotonic() - started

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
