"""Video delivery benchmark: peak memory and upstream-completion → delivery time.

Run from the repo root:

    .venv/bin/python -m bench.video_delivery            # 3 runs per case, writes docs/benchmarks.md
    .venv/bin/python -m bench.video_delivery --runs 1 --no-doc

Each run uses two fresh processes so the numbers are the bot's alone:

* the *fakes* process runs FakeGrsAI (which generates the 200 MB MP4 on the fly) and
  FakeTelegram (which, being a test fake, keeps what it receives in memory — hence apart);
* the *bot* process runs the real Application (PTB polling, JobRunner, download, delivery)
  against them over HTTP on 127.0.0.1 and samples its own RSS (/proc/self/statm) every 5 ms.

Times: "completion" is FakeGrsAI's `done_at` of the task (the poll that returns `succeeded`),
"delivered" is FakeTelegram's `Call.at` of the sendVideo / link sendMessage; both are
`time.monotonic()` (CLOCK_MONOTONIC, shared by the two processes). The poll interval does not
count: the fake completes a task in the very poll that reports it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import DOC, REPO, command, machine, med_max, secs, write_section

START = "<!-- video_delivery:start -->"
END = "<!-- video_delivery:end -->"
MB = 1024 * 1024
USER = 4343
RUN_TIMEOUT = 300.0


@dataclass(frozen=True)
class Case:
    name: str
    size_mb: int
    local_mode: bool

    @property
    def label(self) -> str:
        how = (
            "本地 Bot API 服务器 local server (file://)"
            if self.local_mode
            else ("Bot API 上传 upload (multipart)" if self.size_mb <= 50 else "超限 → 链接 link")
        )
        return f"{self.size_mb} MB, {how}"


CASES = (
    Case("200mb-local", 200, True),
    Case("200mb-link", 200, False),
    Case("45mb-upload", 45, False),
)


# -- the fakes process --------------------------------------------------------------------------


async def serve_fakes(case: Case) -> None:
    from tests.fakes.grsai import FakeGrsAI, TaskScript
    from tests.fakes.telegram import FakeTelegram

    async with FakeGrsAI() as grsai, FakeTelegram(local_mode=case.local_mode) as tg:
        chat = tg.private_chat(USER)
        _emit({"tg_base_url": tg.base_url, "tg_file_url": tg.base_file_url, "token": tg.token,
               "grsai_url": grsai.base_url, "grsai_key": grsai.api_key})  # fmt: skip
        await asyncio.to_thread(sys.stdin.readline)  # the bot is up
        grsai.script_task(TaskScript(kind="video", progress=[10, 60, 100],
                                     result_size=case.size_mb * MB))  # fmt: skip
        tg.send_text(chat, USER, "/video 航拍：清晨的海岸线")

        def delivered() -> Any:
            for call in tg.calls:
                if call.ok and call.method == "sendVideo":
                    return call
                if call.ok and call.method == "sendMessage" and "MB" in call.params.get("text", ""):
                    return call
            return None

        await tg.wait_for(lambda: delivered() is not None, timeout=RUN_TIMEOUT)
        call = delivered()
        [task_id] = grsai.task_ids("video")
        task = grsai._tasks[task_id]  # the bench reads the fake's clock
        expected = grsai.result_sha256(task_id)
        if call.method == "sendVideo":
            message = tg.bot_messages(chat["id"])[-1]
            got = hashlib.sha256(tg.uploaded_file(message["video"]["file_id"])).hexdigest()
        else:
            got = ""  # the bot process checks its saved file
        _emit({"completed_at": task.done_at, "delivered_at": call.at, "method": call.method,
               "expected_sha256": expected, "received_sha256": got})  # fmt: skip
        await asyncio.to_thread(sys.stdin.readline)


def _emit(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


# -- the bot process ----------------------------------------------------------------------------


class RssSampler:
    """Max resident set size seen by a thread reading /proc/self/statm every 5 ms."""

    def __init__(self) -> None:
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self.page

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.005)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def run_bot(case: Case) -> dict[str, Any]:
    from pydantic import SecretStr

    from bot.core.config import Settings
    from tests.harness import RunningBot

    fakes = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.video_delivery", "--fakes", case.name,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO,
    )  # fmt: skip
    assert fakes.stdin is not None and fakes.stdout is not None
    try:
        urls = json.loads(await fakes.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                telegram_bot_token=SecretStr(urls["token"]),
                telegram_base_url=urls["tg_base_url"],
                telegram_base_file_url=urls["tg_file_url"],
                grsai_api_key=SecretStr(urls["grsai_key"]),
                grsai_base_url=urls["grsai_url"],
                grsai_fallback_base_url=urls["grsai_url"],
                bot_data_dir=Path(tmp),
                bot_public=True,
                telegram_local_mode=case.local_mode,
                job_poll_interval_video=0.5,  # only shortens the wait before completion
            )
            bot = RunningBot(settings)
            await bot.start()
            sampler = RssSampler()
            baseline = sampler.rss()
            try:
                with sampler:
                    fakes.stdin.write(b"go\n")
                    await fakes.stdin.drain()
                    line = await asyncio.wait_for(fakes.stdout.readline(), RUN_TIMEOUT)
                    result = json.loads(line)
                    saved = list((Path(tmp) / "media").glob("*.mp4"))
                    ok = len(saved) == 1 and saved[0].stat().st_size == case.size_mb * MB
                    if result["received_sha256"]:
                        ok = ok and result["received_sha256"] == result["expected_sha256"]
                    else:
                        ok = ok and _sha256(saved[0]) == result["expected_sha256"]
            finally:
                await bot.stop()
    finally:
        with contextlib.suppress(Exception):
            fakes.stdin.write(b"bye\n")
            await fakes.stdin.drain()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(fakes.wait(), 10)
        if fakes.returncode is None:
            fakes.kill()
    return {
        "ok": ok,
        "method": result["method"],
        "seconds": result["delivered_at"] - result["completed_at"],
        "baseline_mb": baseline / MB,
        "peak_mb": sampler.peak / MB,
        "growth_mb": (sampler.peak - baseline) / MB,
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


# -- orchestration and the report -------------------------------------------------------------


def run_case_in_subprocess(case: Case) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.video_delivery", "--bot", case.name],
        cwd=REPO, capture_output=True, text=True, timeout=RUN_TIMEOUT + 60, check=False,
    )  # fmt: skip
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"ok": False, "error": (out.stderr or out.stdout)[-500:]}
    return json.loads(lines[-1])


def table(results: dict[Case, list[dict[str, Any]]]) -> str:
    rows = [
        "| 场景 case | 成功 ok | 完成→送达 completion→delivered (中位/最大) "
        "| 峰值 RSS 增长 peak RSS growth (中位/最大) | 峰值 RSS peak RSS | 送达方式 via |",
        "|---|---|---|---|---|---|",
    ]
    for case, runs in results.items():
        good = [r for r in runs if r.get("ok")]
        if not good:
            rows.append(f"| {case.label} | 0/{len(runs)} | – | – | – | – |")
            continue
        growth = med_max([r["growth_mb"] for r in good], lambda v: f"{v:.1f} MB")
        peak = [r["peak_mb"] for r in good]
        rows.append(
            f"| {case.label} | {len(good)}/{len(runs)} "
            f"| {med_max([r['seconds'] for r in good], secs)} "
            f"| {growth} "
            f"| {statistics.median(peak):.0f} MB | {good[0]['method']} |"
        )
    return "\n".join(rows)


def _filesystem(path: str) -> str:
    out = subprocess.run(["df", "-T", path], capture_output=True, text=True, check=False)
    lines = out.stdout.splitlines()
    return lines[-1].split()[1] if len(lines) > 1 else "?"


def section(results: dict[Case, list[dict[str, Any]]], argv: list[str]) -> str:
    info = machine()
    runs = max(len(r) for r in results.values())

    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = command("bench.video_delivery", argv)
    return f"""{START}
## 视频送达 (video delivery)

真实的 bot Application（轮询、JobRunner、下载、送达）通过 HTTP 对接另一个进程中的
FakeGrsAI 与 FakeTelegram；每次运行都是全新的两个进程，所以内存只算 bot 自己的。
FakeGrsAI 即时生成确定性的 MP4 内容（不占内存），bot 把它流式写入 `BOT_DATA_DIR/media`
（64 KiB 分块、边写边算 SHA-256），然后：本地 Bot API 服务器模式下只把 `file://` 路径交给
服务器；普通模式 ≤ 50 MB 时以未读入内存的文件句柄分块上传（`InputFile(read_file_handle=False)`）；
超过 50 MB 时发送服务商链接与过期时间。每次都校验送达/保存的文件与上游字节的 SHA-256 一致。

- 完成→送达 = FakeGrsAI 中任务完成（返回 `succeeded` 的那次轮询）到 FakeTelegram 收到
  sendVideo / 链接 sendMessage 的时间（两进程共用 `time.monotonic()`）；不含轮询间隔。
- 峰值 RSS 增长 = bot 进程每 5 ms 采样 `/proc/self/statm` 的最大值减去开始前的值。
- 数据目录在 {_filesystem(tempfile.gettempdir())} 文件系统上（下载完成时 fsync）；
  每个场景 {runs} 次。

{table(results)}

- 机器 machine: nproc={info["nproc"]}, Python {info["python"]}, {info["platform"]},
  python-telegram-bot {info["ptb"]}
- 日期 date: {when}
- 命令 command: `{cmd}`
{END}"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--fakes", help=argparse.SUPPRESS)
    parser.add_argument("--bot", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    cases = {c.name: c for c in CASES}
    if args.fakes:
        asyncio.run(serve_fakes(cases[args.fakes]))
        return 0
    if args.bot:
        import logging

        logging.basicConfig(level=logging.WARNING)
        print(json.dumps(asyncio.run(run_bot(cases[args.bot]))), flush=True)
        return 0
    results: dict[Case, list[dict[str, Any]]] = {}
    for case in CASES:
        results[case] = []
        for i in range(args.runs):
            r = run_case_in_subprocess(case)
            results[case].append(r)
            print(f"{case.name} run {i + 1}: {r}", file=sys.stderr, flush=True)
    print(table(results))
    if not args.no_doc:
        write_section(DOC, START, END, section(results, argv))
    return 0 if all(r.get("ok") for runs in results.values() for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
