"""Runs the real `python -m bot` as a child process, configured only through the environment."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import sys
import time
from pathlib import Path

import httpx

from tests.fakes.grsai import FakeGrsAI
from tests.fakes.telegram import FakeTelegram

REPO = Path(__file__).resolve().parent.parent


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_handed_out: set[int] = set()
_random = random.SystemRandom()  # not the seedable global one: workers must not pick alike


def free_port() -> int:
    """A port for a server the test cannot ask to bind port 0 itself (a bot child process, the
    OneBot listener). Picked at random *below* the kernel's ephemeral range: between picking
    and binding, no bind(0) anywhere (the fakes, other test workers, other test runs on the
    machine) can be handed the same port, and this process never hands one out twice."""
    high = _ephemeral_low()
    low = max(1024, high - 12000)
    while True:
        port = _random.randrange(low, high)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken
        _handed_out.add(port)
        return port


def empty_env_file(folder: Path) -> Path:
    """A `.env` with nothing in it: the repository's own `.env` (if a developer has one) must
    not configure the bot under test."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "empty.env"
    path.touch()
    return path


def bot_env(tg: FakeTelegram, grsai: FakeGrsAI, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        "BOT_ENV_FILE": str(empty_env_file(data_dir.parent)),
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
        "CONSOLE_PORT": "0",  # on 8787 by default; tests that want it name a free port
    }
    env.update(extra)
    return env


async def run_once(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    timeout: float = 30.0,  # noqa: ASYNC109
) -> tuple[int, str]:
    """`python -m bot <args>` to its end: (exit code, stdout and stderr together)."""
    cwd.mkdir(parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        out, _ = await proc.communicate()
        raise AssertionError(f"python -m bot {args} still running:\n{out.decode()}") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode("utf-8", "replace")


class ForwardProxy:
    """A minimal HTTP forward proxy on 127.0.0.1 that records where each connection went.
    `port` fixes the port, so a proxy can come up after the bot was told about it."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.targets: list[str] = []  # the absolute URL of each connection's first request
        self.url = f"http://127.0.0.1:{port}" if port else ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> ForwardProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        target = head.split(b" ", 2)[1].decode()
        self.targets.append(target)
        hostport = httpx.URL(target)
        up_reader, up_writer = await asyncio.open_connection(hostport.host, hostport.port)
        # The fake servers accept absolute-form request targets, so bytes pass through as is.
        up_writer.write(head)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


class TcpRelay:
    """Bytes from 127.0.0.1:`port` to `target_port`: an address that starts answering late."""

    def __init__(self, port: int, target_port: int) -> None:
        self.port = port
        self.target_port = target_port
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> TcpRelay:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    with contextlib.suppress(Exception):
        dst.close()


class BotProcess:
    def __init__(self, env: dict[str, str], cwd: Path, args: tuple[str, ...] = ()) -> None:
        self.args = args
        self.env = env
        self.cwd = cwd  # no .env there: only the environment configures the bot
        self.proc: asyncio.subprocess.Process | None = None
        self.output: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *self.args, env=self.env, cwd=self.cwd,
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

    async def wait_for_output(self, text: str, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while text not in self.log:
            if self.proc is not None and self.proc.returncode is not None:
                await asyncio.sleep(0.2)  # let the reader catch up with the last lines
                if text in self.log:
                    return
                code = self.proc.returncode
                raise AssertionError(f"bot exited ({code}) without {text!r}:\n{self.log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} within {timeout}s:\n{self.log}")
            await asyncio.sleep(0.05)

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


async def launch(processes: list[BotProcess], env: dict[str, str], cwd: Path) -> BotProcess:
    """Start a bot process that the `processes` fixture kills after the test."""
    proc = BotProcess(env, cwd)
    processes.append(proc)
    await proc.start()
    return proc
