"""/draw benchmark: upstream completion -> photo latency, and peak RSS with 50 users drawing.

Run from the repo root:

    .venv/bin/python -m bench.draw_jobs                 # 5 latency runs per size + memory runs
    .venv/bin/python -m bench.draw_jobs --runs 1 --users 10 --no-doc

1. Latency (bot in-process via tests/harness.py RunningBot, production intervals:
   job_poll_interval_image=1.5, job_status_interval=2.0, private_chat_interval=1.0). One user
   sends ``/draw 1K …`` or ``/draw 2K …``; the result is a real PNG of 1024² or 2048² pixels
   (a few hundred KB / ~1.7 MB, noise + gradient rows; the stock fake PNG compresses to
   8 KB / 23 KB, far from a real result). Measured with ``time.monotonic()`` in this process:

   * "seen" = ``Recorded.at`` of the last ``/v1/draw/result`` poll for the task at FakeGrsAI,
     i.e. the poll that answered ``succeeded`` (the bot stops polling after it);
   * photo / document = ``Call.at`` of the successful sendPhoto / sendDocument at FakeTelegram
     (the moment the request reached the fake; the upload itself is loopback);
   * "completed" = when the task really finished upstream. Stock FakeGrsAI advances a polled
     task one step per poll, so it always finishes exactly at a poll and the polling share
     would be 0 by construction. ``TimedFakeGrsAI`` below (bench only, the fake is unchanged)
     applies the script's ``step_delay`` to polled tasks as well: step *i* is reached
     ``i * step_delay`` after the submit, so the task completes at a known time. The
     completion times of the 5 runs are spread evenly over one poll interval (phase
     (k + 0.5) / runs), so "completed -> seen" samples the whole range [0, interval).

2. Memory: ``python -m bot`` as a real subprocess (env as in tests/test_process.py, plus
   JOB_POLL_INTERVAL_IMAGE=0.5; every other setting at its production default) against the
   fakes running in this process. 50 private chats send ``/draw`` at the same moment; RSS of
   the bot process is sampled from ``/proc/<pid>/status`` (VmRSS every 100 ms in a thread,
   VmHWM at the end), plus its CPU time (``/proc/<pid>/stat``). 429s = FakeTelegram
   ``flood_events`` (must be 0).

Every wait is bounded; the script stops by itself and exits non-zero on a failed run or a 429.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import itertools
import logging
import os
import random
import re
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import (
    DOC,
    REPO,
    code_version,
    command,
    machine,
    mb,
    med_max,
    ms,
    num,
    secs,
    vals,
    write_section,
)
from bot.core.config import Settings
from tests.fakes.grsai import RESULT_PATH, FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, make_settings

START = "<!-- draw_jobs:start -->"
END = "<!-- draw_jobs:end -->"

CALLBACK_MODE = "callback"
MEMORY_NOTE = (
    "图片上传从打开的文件流式读取（`InputFile(read_file_handle=False)`，httpx 边读边发），"
    "不再在调用时整张读入内存；8 个上传位只在真正发送时占用，等待聊天节奏或 429 时不占。"
    "改动前 2K 峰值为 127.6 MB（见下方“改动前”）。"
)
POLL_INTERVAL = 1.5  # production job_poll_interval_image
STATUS_INTERVAL = 2.0  # production job_status_interval
PRIVATE_INTERVAL = 1.0  # production private_chat_interval
MEM_POLL_INTERVAL = 0.5  # JOB_POLL_INTERVAL_IMAGE for the memory run
LATENCY_PROGRESS = [10, 40, 70, 100]
MEM_PROGRESS = [10, 50, 100]
MEM_STEP_DELAY = 1.5  # memory run: every task completes 3.0 s after its submit
PROMPT = "一只戴墨镜的柴犬在海边冲浪"
USER = 4242
MEM_USER_BASE = 700_000
LATENCY_RUN_TIMEOUT = 90.0
MEM_RUN_TIMEOUT = 300.0
SAMPLE_PERIOD = 0.1
# Result density: ~0.4 byte per pixel -> 1K ≈ 430 KB, 2K ≈ 1.7 MB.
BYTES_PER_PIXEL = 0.4
SIDES = {"1K": 1024, "2K": 2048}
WATCHED = [
    "bot/core/jobs/runner.py",
    "bot/tg/outbound/job_events.py",
    "bot/core/media/download.py",
    "bot/tg/handlers/draw.py",
    "bot/tg/handlers/generation.py",
    "bot/tg/outbound/pacing.py",
    "bot/core/providers/grsai_tasks.py",
]
WATCHED_CLEAN = "the /draw path (runner, job_events, download, ratelimit) as committed"


# --------------------------------------------------------------------------------- fakes


def make_png(side: int, target_bytes: int, seed: str) -> bytes:
    """A valid side×side RGB PNG of roughly `target_bytes`: each row is `k` random bytes (which
    do not compress) followed by a gradient (which does). Deterministic for a seed."""
    rng = random.Random(seed)
    row_len = 3 * side
    k = max(0, min(row_len, round(target_bytes / side)))
    grad = bytes((x * 255 // max(1, row_len - 1)) & 0xFF for x in range(row_len))
    comp = zlib.compressobj(6)
    parts = [comp.compress(b"\x00" + rng.randbytes(k) + grad[k:]) for _ in range(side)]
    parts.append(comp.flush())

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + tag + data + crc

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


class TimedFakeGrsAI(FakeGrsAI):
    """FakeGrsAI whose polled tasks (webHook "-1") follow the clock instead of the poll count:
    with ``step_delay`` > 0, progress step i is reached i*step_delay after the submit, so the
    task completes at a known monotonic time. Everything else is the stock fake."""

    def __init__(self) -> None:
        super().__init__()
        self.born: dict[str, float] = {}
        self.completed_at: dict[str, float] = {}  # when the task really finished
        self.seen_at: dict[str, float] = {}  # the poll that first answered "succeeded"
        self.prompt_of: dict[str, str] = {}

    async def _submit(self, request: Any, kind: str, validate: Callable[..., None]) -> Any:
        response = await super()._submit(request, kind, validate)
        now = time.monotonic()
        for task_id, task in self._tasks.items():
            if task_id in self.prompt_of:
                continue
            self.prompt_of[task_id] = str(task.body.get("prompt", ""))
            if task.script.step_delay > 0 and task.body.get("webHook") == "-1":
                self.born[task_id] = now
        return response

    def _advance(self, task: Any) -> dict[str, Any]:
        born = self.born.get(task.id)
        if born is None:
            return super()._advance(task)
        now = time.monotonic()
        last = len(task.steps) - 1
        done_at = born + task.script.step_delay * last
        target = last if now >= done_at else int((now - born) / task.script.step_delay)
        if target > task.step:
            task.step = target
            if task.terminal:
                self._finish(task)
                task.done_at = done_at  # the URL's lifetime starts at the real completion
                self.completed_at[task.id] = done_at
                self.seen_at[task.id] = now
        return self._state(task)


def fake_internals_ok() -> bool:
    """TimedFakeGrsAI overrides private methods of the fake: check they are still there."""
    return all(hasattr(FakeGrsAI, name) for name in ("_submit", "_advance", "_finish", "_state"))


# --------------------------------------------------------------------------------- bot-side probe

DOWNLOADS: list[tuple[float, float]] = []  # (start, end) of each download_result in-process


def install_probe() -> bool:
    """Time `download_result` as the runner calls it (in this process only; bot code unchanged)."""
    try:
        from bot.core.jobs import runner
    except ImportError:
        return False
    base = getattr(runner, "download_result", None)
    if base is None:
        return False
    if getattr(base, "_bench_probe", False):
        return True

    async def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.monotonic()
        try:
            return await base(*args, **kwargs)
        finally:
            DOWNLOADS.append((start, time.monotonic()))

    timed._bench_probe = True  # type: ignore[attr-defined]
    runner.download_result = timed  # type: ignore[assignment]
    return True


# --------------------------------------------------------------------------------- helpers


async def wait_until(predicate: Callable[[], bool], limit: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


def ok_calls(tg: FakeTelegram, method: str, chat_id: int | None = None) -> list[Any]:
    return [
        c
        for c in tg.calls
        if c.method == method and c.ok and (chat_id is None or c.params.get("chat_id") == chat_id)
    ]


def polls_of(grsai: FakeGrsAI, task_id: str) -> list[Any]:
    return [r for r in grsai.requests_to(RESULT_PATH) if (r.json or {}).get("id") == task_id]


def png_for(size: str, bpp: float) -> bytes:
    side = SIDES[size]
    return make_png(side, int(side * side * bpp), f"bench-{size}")


# --------------------------------------------------------------------------------- latency


@dataclass
class LatencyResult:
    ok: bool
    note: str = ""
    completed_to_photo: float = float("nan")
    polling: float = float("nan")
    seen_to_photo: float = float("nan")
    seen_to_download: float = float("nan")
    download_to_photo: float = float("nan")
    seen_to_document: float = float("nan")
    photo_to_document: float = float("nan")
    max_poll_gap: float = float("nan")
    download: float = float("nan")
    download_end_to_photo: float = float("nan")
    draw_to_submit: float = float("nan")
    polls: int = 0
    status_edits_between: int = 0
    floods: int = 0
    bytes_ok: bool = False


async def serve_callbacks(bot: RunningBot) -> Any:
    """In-process stand-in for webhook mode: bot/tg/protocol/webhook.py's callback route on its own
    tornado server (the bot itself long-polls here), wired to the runner like in main.run."""
    import secrets
    import socket

    import tornado.httpserver
    import tornado.web

    from bot.core.jobs.callbacks import Callbacks
    from bot.tg.protocol.webhook import _CallbackHandler

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    callbacks = Callbacks(f"http://127.0.0.1:{port}/tg/hook/grsai", secrets.token_bytes(32))
    app = tornado.web.Application(
        [(r"/tg/hook/grsai/([A-Za-z0-9-]+)", _CallbackHandler, {"callbacks": callbacks})]
    )
    server = tornado.httpserver.HTTPServer(app)
    server.listen(port, address="127.0.0.1")
    bot.services.runner.callbacks = callbacks
    return server


async def latency_once(
    size: str, png: bytes, complete_after: float, callbacks: bool = False
) -> LatencyResult:
    async with FakeTelegram() as tg, TimedFakeGrsAI() as grsai:
        with tempfile.TemporaryDirectory(prefix="bench-draw-") as tmp:
            settings = make_settings(
                tg,
                grsai,
                Path(tmp) / "data",
                job_poll_interval_image=POLL_INTERVAL,
                job_status_interval=STATUS_INTERVAL,
                private_chat_interval=PRIVATE_INTERVAL,
                stream_edit_interval=1.0,
                media_group_wait=1.2,
            )
            bot = RunningBot(settings)
            await bot.start()
            server = await serve_callbacks(bot) if callbacks else None
            try:
                return await _latency_drive(size, png, complete_after, tg, grsai)
            finally:
                await bot.stop()
                if server is not None:
                    server.stop()


async def _latency_drive(
    size: str, png: bytes, complete_after: float, tg: FakeTelegram, grsai: TimedFakeGrsAI
) -> LatencyResult:
    side = SIDES[size]
    steps = LATENCY_PROGRESS
    grsai.script_task(
        TaskScript(
            kind="image",
            progress=steps,
            width=side,
            height=side,
            result_bytes=png,
            step_delay=complete_after / (len(steps) - 1),
        )
    )
    chat = tg.private_chat(USER)
    chat_id = chat["id"]
    sent_at = time.monotonic()
    probes_before = len(DOWNLOADS)
    tg.send_text(chat, USER, f"/draw {size} {PROMPT}")
    want_doc = size != "1K"

    def delivered() -> bool:
        return bool(ok_calls(tg, "sendPhoto", chat_id)) and (
            not want_doc or bool(ok_calls(tg, "sendDocument", chat_id))
        )

    if not await wait_until(delivered, complete_after + 40):
        return LatencyResult(ok=False, note="no photo/document:\n" + tg.dump_calls())
    # The final "done" status edit comes after the photo (paced): let it land.
    with contextlib.suppress(AssertionError):
        await tg.wait_idle(quiet=2.5, timeout=20)

    task_ids = grsai.task_ids("image")
    if len(task_ids) != 1:
        return LatencyResult(ok=False, note=f"{len(task_ids)} image tasks")
    task_id = task_ids[0]
    polls = polls_of(grsai, task_id)
    pushed = grsai._tasks[task_id].body.get("webHook") != "-1"
    if pushed:  # callback mode: the fake POSTs the final state the moment it finishes
        done_at = grsai._tasks[task_id].done_at
        if done_at is None:
            return LatencyResult(ok=False, note="callback task never finished")
        completed = seen = done_at
        grsai.seen_at[task_id] = seen
    elif not polls or task_id not in grsai.completed_at:
        return LatencyResult(ok=False, note="task never seen as succeeded")
    else:
        seen = polls[-1].at  # the poll that answered "succeeded" (the last one for the task)
        completed = grsai.completed_at[task_id]
    photo = ok_calls(tg, "sendPhoto", chat_id)[0]
    downloads = [r for r in grsai.requests if r.path.startswith("/files/")]
    submit = next(r for r in grsai.requests if r.path.startswith("/v1/draw/nano-banana"))
    poll_times = [submit.at] + [p.at for p in polls]
    edits = [c for c in ok_calls(tg, "editMessageText", chat_id) if seen <= c.at <= photo.at]
    [message] = [m for m in tg.bot_messages(chat_id) if m.get("photo")]
    uploaded = tg.uploaded_file(message["photo"][-1]["file_id"])
    result = LatencyResult(
        ok=True,
        completed_to_photo=photo.at - completed,
        polling=seen - completed,
        seen_to_photo=photo.at - seen,
        seen_to_download=(downloads[0].at - seen) if downloads else float("nan"),
        download_to_photo=(photo.at - downloads[0].at) if downloads else float("nan"),
        max_poll_gap=max((b - a for a, b in itertools.pairwise(poll_times)), default=0.0),
        draw_to_submit=submit.at - sent_at,
        polls=len(polls),
        status_edits_between=len(edits),
        floods=len(tg.flood_events),
        bytes_ok=hashlib.sha256(uploaded).digest() == hashlib.sha256(png).digest(),
    )
    if want_doc:
        document = ok_calls(tg, "sendDocument", chat_id)[0]
        result.seen_to_document = document.at - seen
        result.photo_to_document = document.at - photo.at
    if len(DOWNLOADS) > probes_before:
        start, end = DOWNLOADS[-1]
        result.download = end - start
        result.download_end_to_photo = photo.at - end
    if abs(seen - grsai.seen_at[task_id]) > 0.05:
        result.note = "last poll is not the succeeded one"
    return result


# --------------------------------------------------------------------------------- memory


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM / … of a process in kB (empty once it is gone)."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key.startswith("Vm") and rest.strip().endswith("kB"):
                    out[key] = int(rest.split()[0])
    except OSError:
        pass
    return out


def proc_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    # fields[0] is the state (field 3): utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler(threading.Thread):
    """VmRSS of `pid` every `period` seconds, in its own thread (the event loop is busy)."""

    def __init__(self, pid: int, period: float = SAMPLE_PERIOD) -> None:
        super().__init__(daemon=True, name=f"rss-{pid}")
        self.pid = pid
        self.period = period
        self.samples: list[tuple[float, int]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss = proc_status(self.pid).get("VmRSS")
            if rss is None:
                return
            self.samples.append((time.monotonic(), rss))
            self._stop_event.wait(self.period)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)

    def peak(self, start: float, end: float) -> int:
        return max((kb for t, kb in self.samples if start <= t <= end), default=0)


def bot_env(tg: FakeTelegram, grsai: FakeGrsAI, data_dir: Path) -> dict[str, str]:
    """Like tests/test_process.py: no inherited bot setting, the fakes' addresses, public."""
    names = {name.upper() for name in Settings.model_fields}
    env = {
        k: v
        for k, v in os.environ.items()
        if k.upper() not in names and not k.startswith(("TELEGRAM_", "GRSAI_", "BOT_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=tg.token,
        TELEGRAM_BASE_URL=tg.base_url,
        TELEGRAM_BASE_FILE_URL=tg.base_file_url,
        GRSAI_API_KEY=grsai.api_key,
        GRSAI_BASE_URL=grsai.base_url,
        GRSAI_FALLBACK_BASE_URL=grsai.base_url,
        BOT_DATA_DIR=str(data_dir),
        BOT_PUBLIC="true",
        JOB_POLL_INTERVAL_IMAGE=str(MEM_POLL_INTERVAL),
        PYTHONPATH=str(REPO),
    )
    return env


@dataclass
class MemoryResult:
    ok: bool
    size: str
    users: int
    file_bytes: int
    note: str = ""
    delivered: int = 0
    start_hwm_kb: int = 0
    baseline_kb: int = 0
    peak_kb: int = 0
    end_hwm_kb: int = 0
    end_rss_kb: int = 0
    wall_photos: float = float("nan")
    wall_documents: float = float("nan")
    per_job: list[float] = field(default_factory=list)  # completed -> sendPhoto, per job
    cpu_seconds: float = float("nan")
    floods: int = 0
    failed_calls: int = 0
    failed_kinds: dict[str, int] = field(default_factory=dict)
    log_warnings: int = 0
    log_errors: int = 0
    exit_code: int | None = None


async def memory_once(size: str, png: bytes, users: int) -> MemoryResult:
    result = MemoryResult(ok=False, size=size, users=users, file_bytes=len(png))
    async with FakeTelegram() as tg, TimedFakeGrsAI() as grsai:
        with tempfile.TemporaryDirectory(prefix="bench-draw-mem-") as tmp:
            log_path = Path(tmp) / "bot.log"
            with log_path.open("wb") as log_file:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    cwd=tmp,
                    env=bot_env(tg, grsai, Path(tmp) / "data"),
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
                sampler = RssSampler(proc.pid)
                sampler.start()
                try:
                    await _memory_drive(result, size, png, users, tg, grsai, proc.pid, sampler)
                finally:
                    sampler.stop()
                    result.exit_code = await _terminate(proc)
            logs = log_path.read_text(encoding="utf-8", errors="replace")
    result.log_warnings = len(re.findall(r"\bWARNING\b", logs))
    result.log_errors = len(re.findall(r"\bERROR\b|\bCRITICAL\b|Traceback", logs))
    if result.ok and result.exit_code != 0:
        result.note = f"bot exited with {result.exit_code}"
    return result


async def _terminate(proc: asyncio.subprocess.Process) -> int | None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await asyncio.wait_for(proc.wait(), 10)
    return proc.returncode


async def _memory_drive(
    result: MemoryResult,
    size: str,
    png: bytes,
    users: int,
    tg: FakeTelegram,
    grsai: TimedFakeGrsAI,
    pid: int,
    sampler: RssSampler,
) -> None:
    ready = await wait_until(lambda: bool(tg.calls_to("getUpdates")), 60)
    if not ready:
        result.note = "bot did not start polling within 60 s"
        return
    result.start_hwm_kb = proc_status(pid).get("VmHWM", 0)
    await asyncio.sleep(2.0)  # let start-up settle
    result.baseline_kb = proc_status(pid).get("VmRSS", 0)
    cpu_before = proc_cpu_seconds(pid)

    side = SIDES[size]
    for _ in range(users):
        grsai.script_task(
            TaskScript(
                kind="image",
                progress=MEM_PROGRESS,
                width=side,
                height=side,
                result_bytes=png,
                step_delay=MEM_STEP_DELAY,
            )
        )
    chats = [tg.private_chat(MEM_USER_BASE + i) for i in range(users)]
    want_doc = size != "1K"
    t0 = time.monotonic()
    for i, chat in enumerate(chats):
        tg.send_text(chat, MEM_USER_BASE + i, f"/draw {size} {PROMPT} #{i}")

    def count(method: str) -> int:
        return len({c.params.get("chat_id") for c in ok_calls(tg, method)})

    def all_delivered() -> bool:
        return count("sendPhoto") >= users and (not want_doc or count("sendDocument") >= users)

    nominal = MEM_STEP_DELAY * (len(MEM_PROGRESS) - 1)
    done = await wait_until(all_delivered, nominal + 120, step=0.1)
    t_done = time.monotonic()
    with contextlib.suppress(AssertionError):
        await tg.wait_idle(quiet=3.0, timeout=60)  # final status edits
    status = proc_status(pid)
    result.end_hwm_kb = status.get("VmHWM", 0)
    result.end_rss_kb = status.get("VmRSS", 0)
    result.cpu_seconds = proc_cpu_seconds(pid) - cpu_before
    result.peak_kb = sampler.peak(t0, time.monotonic())
    result.delivered = count("sendPhoto")
    result.floods = len(tg.flood_events)
    failed = [c for c in tg.calls if not c.ok and c.method != "getUpdates"]
    result.failed_calls = len(failed)
    for c in failed:
        kind = f"{c.method} {c.error_code}: {(c.description or '')[:60]}"
        result.failed_kinds[kind] = result.failed_kinds.get(kind, 0) + 1
    photos = ok_calls(tg, "sendPhoto")
    if photos:
        result.wall_photos = max(c.at for c in photos) - t0
    docs = ok_calls(tg, "sendDocument")
    if want_doc and docs:
        result.wall_documents = max(c.at for c in docs) - t0
    first_photo: dict[int, float] = {}
    for c in photos:
        first_photo.setdefault(c.params.get("chat_id"), c.at)
    for task_id, completed in grsai.completed_at.items():
        m = re.search(r"#(\d+)$", grsai.prompt_of.get(task_id, ""))
        if m and MEM_USER_BASE + int(m.group(1)) in first_photo:
            result.per_job.append(first_photo[MEM_USER_BASE + int(m.group(1))] - completed)
    if not done:
        result.note = f"only {result.delivered}/{users} photos after {t_done - t0:.0f} s"
        return
    result.ok = True


# --------------------------------------------------------------------------------- report


def _size_label(size: str, nbytes: int) -> str:
    side = SIDES[size.split()[0]]
    mode = " 回调 callback" if size.endswith(CALLBACK_MODE) else ""
    return f"{size.split()[0]} ({side}×{side} PNG, {nbytes / 1024:.0f} KB){mode}"


def latency_table(results: dict[str, list[LatencyResult]], sizes: dict[str, int]) -> str:
    head = (
        "| 尺寸 size | 成功 ok | 上游完成→sendPhoto completed→photo | 其中轮询 polling "
        "(completed→seen) | 成功轮询→sendPhoto seen→photo | seen→开始下载 download GET | "
        "下载开始→sendPhoto GET→photo | 下载+校验+fsync download (bot side) | "
        "下载完成→sendPhoto download end→photo | seen→sendDocument | sendPhoto→sendDocument | "
        "最大轮询间隔 max poll gap | 期间状态编辑 status edits seen→photo | "
        "/draw→提交 submit | 429 |"
    )
    rows = [head, "|" + "|".join(["---"] * 15) + "|"]
    for size, runs in results.items():
        ok = [r for r in runs if r.ok]
        rows.append(
            "| "
            + " | ".join(
                [
                    _size_label(size, sizes[size.split()[0]]),
                    f"{len(ok)}/{len(runs)}",
                    med_max([r.completed_to_photo for r in ok], secs),
                    med_max([r.polling for r in ok], ms),
                    med_max([r.seen_to_photo for r in ok], ms),
                    med_max([r.seen_to_download for r in ok], ms),
                    med_max([r.download_to_photo for r in ok], ms),
                    med_max([r.download for r in ok], ms),
                    med_max([r.download_end_to_photo for r in ok], ms),
                    med_max([r.seen_to_document for r in ok], ms),
                    med_max([r.photo_to_document for r in ok], ms),
                    med_max([r.max_poll_gap for r in ok], secs),
                    med_max([float(r.status_edits_between) for r in ok], num),
                    med_max([r.draw_to_submit for r in ok], ms),
                    str(sum(r.floods for r in ok)),
                ]
            )
            + " |"
        )
    return "\n".join(rows)


def memory_table(results: list[MemoryResult]) -> str:
    head = (
        "| 尺寸 size | 用户 users | 送达 delivered | 启动后基线 baseline RSS | 峰值 peak VmRSS "
        "(100 ms) | 峰值−基线 | VmHWM 结束时 (启动时) | 结束 RSS | 全部照片送达 all photos | "
        "全部原图 all documents | 每任务 完成→sendPhoto per job | bot CPU | 429 | "
        "失败调用 failed calls | 日志 WARNING/ERROR |"
    )
    rows = [head, "|" + "|".join(["---"] * 15) + "|"]
    for r in results:
        rows.append(
            "| "
            + " | ".join(
                [
                    _size_label(r.size, r.file_bytes),
                    str(r.users),
                    f"{r.delivered}/{r.users}",
                    mb(r.baseline_kb),
                    mb(r.peak_kb),
                    mb(r.peak_kb - r.baseline_kb),
                    f"{mb(r.end_hwm_kb)} ({mb(r.start_hwm_kb)})",
                    mb(r.end_rss_kb),
                    secs(r.wall_photos),
                    secs(r.wall_documents) if r.wall_documents == r.wall_documents else "–",
                    med_max(r.per_job, secs),
                    f"{r.cpu_seconds:.1f} s",
                    str(r.floods),
                    str(r.failed_calls),
                    f"{r.log_warnings}/{r.log_errors}",
                ]
            )
            + " |"
        )
    return "\n".join(rows)


def interpretation(latency: dict[str, list[LatencyResult]]) -> str:
    """One computed line: how much of seen→photo is the bot's own work vs. chat pacing."""
    ok = [r for rs in latency.values() for r in rs if r.ok]
    work = vals([r.download for r in ok])
    wait = vals([r.download_end_to_photo for r in ok])
    if not work or not wait:
        return ""
    return (
        f"解读：seen→photo 中 bot 自身的下载+校验+fsync 中位数 {ms(statistics.median(work))}，"
        f"下载完成→sendPhoto 中位数 {ms(statistics.median(wait))}：私聊有 3 条的突发额度"
        "（状态编辑不会用掉最后一条），结果不再排在进度编辑之后等 1 s 节奏，"
        "最多等同一聊天两次发送间 0.35 s 的最小间隔；其余主要是轮询等待"
        "（进度过 40 % 后轮询间隔从 1.5 s 逐步缩短，70 % 起为 0.5 s）。"
        "“回调 callback” 行为 webhook 模式：GrsAI 在任务完成时 POST 到 bot 的回调地址，"
        "不需要轮询（completed = seen = 回调发出时刻）。"
    )


def section(
    latency: dict[str, list[LatencyResult]],
    memory: list[MemoryResult],
    sizes: dict[str, int],
    runs: int,
    info: dict[str, str],
    cmd: str,
    when: str,
) -> str:
    notes = [
        f"- latency {size} run {i} failed: {r.note.splitlines()[0] if r.note else '?'}"
        for size, rs in latency.items()
        for i, r in enumerate(rs, 1)
        if not r.ok
    ]
    notes += [f"- memory {r.size} failed: {r.note}" for r in memory if not r.ok]
    calls = [
        f"- memory {r.size}: {n} × {kind}" for r in memory for kind, n in r.failed_kinds.items()
    ]
    failures = ("\n**失败 failed runs:**\n\n" + "\n".join(notes) + "\n") if notes else ""
    parts = [
        START,
        "## 绘图任务 (draw jobs)",
        "",
        "`/draw` 的完整链路：提交 → 轮询 `/v1/draw/result` → 下载结果 → sendPhoto"
        "（2K 另发原图 sendDocument）。结果为真实 PNG（每行随机字节 + 渐变，约 "
        f"{BYTES_PER_PIXEL} 字节/像素；tests 中 fake 自带的 PNG 只有 8 KB / 23 KB，太小）。",
    ]
    if latency:
        parts += [
            "",
            "### 延迟 latency（上游完成 → 照片发出）",
            "",
            "bot 在进程内（`tests/harness.py` RunningBot），生产间隔 "
            f"`job_poll_interval_image={POLL_INTERVAL}`、`job_status_interval={STATUS_INTERVAL}`、"
            f"`private_chat_interval={PRIVATE_INTERVAL}`；一个私聊用户，进度 {LATENCY_PROGRESS}。"
            f"每个尺寸 {runs} 次，每次全新的 bot 与 fakes；表中为 **中位数 / 最大值**。",
            "",
            "- seen = FakeGrsAI 中该任务最后一次 `/v1/draw/result` 轮询的 `Recorded.at`"
            "（即返回 succeeded 的那次）；photo/document = FakeTelegram 中成功的 "
            "sendPhoto/sendDocument 的 `Call.at`（请求到达 fake 的时刻）。",
            "- completed = 任务在上游真正完成的时刻。原版 fake 每次轮询推进一步，任务总是恰好在"
            "某次轮询时完成，轮询延迟恒为 0；因此基准中的 `TimedFakeGrsAI`（仅 bench 内的子类）"
            "让轮询任务按 `step_delay` 随时间推进，完成时刻已知。"
            f"{runs} 次的完成时刻均匀分布在一个轮询间隔内（相位 (k+0.5)/{runs}），"
            "因此 “其中轮询” 一列覆盖 [0, 间隔) 的整个范围：真实上游的完成时刻与轮询无关，"
            f"轮询造成的等待在 0 与轮询间隔（{POLL_INTERVAL} s，"
            "加上轮询循环中被状态编辑拖长的部分）"
            f"之间均匀分布，平均约为间隔的一半（{POLL_INTERVAL / 2:.2f} s）；"
            "自适应轮询后，最后一次轮询前的间隔按进度缩短（见 bot/core/jobs/polling.py）。",
            "- seen→photo 为 bot 自身的处理：写库、状态编辑（2 s 状态间隔；私聊 3 条突发、"
            "每秒恢复 1 条，状态编辑优先级最低）、"
            "下载、校验、fsync、上传。“下载+校验+fsync” 由基准在进程内包装 runner 的 "
            "`download_result` 计时（不改 bot 代码）；/draw→提交 = 用户消息推入 FakeTelegram "
            "到提交请求到达 FakeGrsAI。",
            "",
            latency_table(latency, sizes),
            "",
            interpretation(latency),
        ]
    if memory:
        parts += [
            "",
            f"### 内存 memory（{memory[0].users} 个用户同时 /draw）",
            "",
            "`python -m bot` 作为真实子进程（环境变量同 `tests/test_process.py`，另加 "
            f"`JOB_POLL_INTERVAL_IMAGE={MEM_POLL_INTERVAL}`，其余均为生产默认值），"
            "fakes 在基准进程中。"
            f"{memory[0].users} 个私聊同时发送 `/draw <尺寸> …`，每个任务在提交后 "
            f"{MEM_STEP_DELAY * (len(MEM_PROGRESS) - 1):.1f} s 完成（进度 {MEM_PROGRESS}），"
            "全部几乎同时下载与上传。RSS 取自 `/proc/<pid>/status`：基线 = 开始轮询 2 s 后的 "
            "VmRSS，峰值 = 任务期间每 100 ms 采样的 VmRSS 最大值，VmHWM = 内核记录的峰值"
            "（括号内为启动完成时的 VmHWM）。墙钟时间从 50 条 /draw 推入 FakeTelegram 起算。"
            "bot CPU = 该期间子进程 utime+stime。",
            "",
            memory_table(memory),
            "",
            MEMORY_NOTE,
        ]
    if calls:
        parts += ["", "失败的 Telegram 调用 failed Telegram calls (memory runs):", "", *calls]
    parts += [
        failures,
        f"- 机器 machine: nproc={info['nproc']}, {info['mem']}, Python {info['python']}, "
        f"{info['platform']}, python-telegram-bot {info['ptb']}",
        f"- 代码 code: {info['code']}",
        f"- 日期 date: {when}",
        f"- 命令 command: `{cmd}`",
        END,
    ]
    return "\n".join(parts)


# --------------------------------------------------------------------------------- main


async def main_async(
    args: argparse.Namespace, pngs: dict[str, bytes]
) -> tuple[dict[str, list[LatencyResult]], list[MemoryResult]]:
    latency: dict[str, list[LatencyResult]] = {}
    if not args.skip_latency:
        modes = [(size, False) for size in args.size]
        if args.callbacks:
            modes += [(size, True) for size in args.size]
        for size, pushed in modes:
            key = f"{size} {CALLBACK_MODE}" if pushed else size
            latency[key] = []
            for k in range(args.runs):
                # Completion phase spread evenly over one poll interval, after 3 intervals.
                complete_after = POLL_INTERVAL * (3 + (k + 0.5) / args.runs)
                t0 = time.monotonic()
                try:
                    r = await asyncio.wait_for(
                        latency_once(size, pngs[size], complete_after, pushed),
                        LATENCY_RUN_TIMEOUT,
                    )
                except TimeoutError:
                    r = LatencyResult(ok=False, note=f"timed out after {LATENCY_RUN_TIMEOUT:.0f} s")
                latency[key].append(r)
                print(
                    f"latency {key} run {k + 1}/{args.runs} "
                    f"(completes at +{complete_after:.2f} s): "
                    + (
                        f"completed→photo {secs(r.completed_to_photo)}, polling {ms(r.polling)}, "
                        f"seen→photo {ms(r.seen_to_photo)} (→GET {ms(r.seen_to_download)}, "
                        f"download {ms(r.download)}), "
                        + (f"seen→document {ms(r.seen_to_document)}, " if size != "1K" else "")
                        + f"max poll gap {secs(r.max_poll_gap)}, edits {r.status_edits_between}, "
                        f"/draw→submit {ms(r.draw_to_submit)}, "
                        f"bytes {'ok' if r.bytes_ok else 'DIFFER'}, 429 {r.floods}"
                        + (f" [{r.note}]" if r.note else "")
                        if r.ok
                        else f"FAILED: {r.note}"
                    )
                    + f" [{time.monotonic() - t0:.1f} s wall]",
                    flush=True,
                )
    memory: list[MemoryResult] = []
    if not args.skip_memory:
        for size in args.mem_size:
            t0 = time.monotonic()
            try:
                m = await asyncio.wait_for(
                    memory_once(size, pngs[size], args.users), MEM_RUN_TIMEOUT
                )
            except TimeoutError:
                m = MemoryResult(
                    ok=False,
                    size=size,
                    users=args.users,
                    file_bytes=len(pngs[size]),
                    note=f"timed out after {MEM_RUN_TIMEOUT:.0f} s",
                )
            memory.append(m)
            print(
                f"memory {size} x{args.users}: "
                + (
                    f"baseline {mb(m.baseline_kb)}, peak {mb(m.peak_kb)}, "
                    f"VmHWM {mb(m.end_hwm_kb)} (start {mb(m.start_hwm_kb)}), "
                    f"all photos {secs(m.wall_photos)}, all documents {secs(m.wall_documents)}, "
                    f"per job {med_max(m.per_job, secs)}, cpu {m.cpu_seconds:.1f} s, "
                    f"429 {m.floods}, failed calls {m.failed_calls}, "
                    f"log W/E {m.log_warnings}/{m.log_errors}, exit {m.exit_code}"
                    + (f", failed: {m.failed_kinds}" if m.failed_kinds else "")
                    if m.ok
                    else f"FAILED: {m.note}"
                )
                + f" [{time.monotonic() - t0:.1f} s wall]",
                flush=True,
            )
    return latency, memory


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench.draw_jobs", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="latency runs per size (default 5)")
    parser.add_argument("--users", type=int, default=50, help="memory run users (default 50)")
    parser.add_argument("--size", action="append", choices=list(SIDES), help="latency sizes")
    parser.add_argument("--mem-size", action="append", choices=list(SIDES), help="memory sizes")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument(
        "--no-callbacks", dest="callbacks", action="store_false",
        help="skip the latency runs with GrsAI callbacks (webhook mode)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.runs < 1 or args.users < 1:
        parser.error("--runs and --users must be >= 1")
    args.size = args.size or ["1K", "2K"]
    args.mem_size = args.mem_size or ["2K", "1K"]
    if not fake_internals_ok():
        print("FakeGrsAI internals changed: TimedFakeGrsAI needs _submit/_advance/_finish/_state")
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not install_probe():
        print("note: download_result probe not installed; the download column stays empty")
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    pngs = {size: png_for(size, BYTES_PER_PIXEL) for size in SIDES}
    latency, memory = asyncio.run(main_async(args, pngs))
    sizes = {size: len(data) for size, data in pngs.items()}
    print()
    if latency:
        print(latency_table(latency, sizes))
        print()
    if memory:
        print(memory_table(memory))
    if not args.no_doc:
        info = {**machine(), "code": code_version(WATCHED, WATCHED_CLEAN)}
        cmd = command("bench.draw_jobs", argv)
        write_section(DOC, START, END, section(latency, memory, sizes, args.runs, info, cmd, when))
        print(f"\nwrote {DOC.relative_to(REPO)}")
    ok = all(r.ok and r.floods == 0 and r.bytes_ok for rs in latency.values() for r in rs) and all(
        m.ok and m.floods == 0 for m in memory
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
