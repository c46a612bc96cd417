"""What recording a job's state change costs the runner (job_transitions, migration 12).

    .venv/bin/python -m bench.job_history              # writes docs/benchmarks.md
    .venv/bin/python -m bench.job_history --jobs 200 --no-doc

A database as the bot opens it (WAL, synchronous=FULL) with 100,000 jobs and 560,000 recorded
state changes; then N new jobs each walk the life of a finished image as the runner writes it
(created → submitting → submitted → downloading → delivering → done, plus two progress
updates that change no state): each `JobStore.update` is one commit. Alternately with the
history written and with its statement replaced by a no-op (`SELECT 1`), in rounds of 20 jobs
(ABAB: a busy shared machine slows both the same), so the difference is the history's cost.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import DOC, REPO, code_version, command, machine, write_section
from bot.core.providers.base import GenerationRequest
from bot.core.store import jobs as jobs_module
from bot.core.store.db import Database
from bot.core.store.jobs import JobStore

START = "<!-- job_history:start -->"
END = "<!-- job_history:end -->"
OLD_JOBS = 100_000
STEPS = ["submitting", "submitted", "downloading", "delivering", "done"]
ROUND = 20
WATCHED = ["bot/core/store/jobs.py", "bot/core/store/db.py"]


def fill(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO jobs (kind, state, provider, user_id, chat_id, request_json, created_at) "
        "VALUES ('image', 'done', 'grsai', ?, ?, '{\"kind\": \"image\", \"prompt\": \"猫\"}', ?)",
        [(1000 + n % 5000, 1000 + n % 5000, 1.7e9 + n * 60) for n in range(OLD_JOBS)],
    )
    states = [None, "created", *STEPS]
    conn.executemany(
        "INSERT INTO job_transitions (job_id, from_state, to_state, at) VALUES (?,?,?,?)",
        [(n + 1, states[k], states[k + 1], 1.7e9 + n * 60 + k)
         for n in range(int(OLD_JOBS * 0.93)) for k in range(6)],
    )
    conn.commit()
    conn.close()


async def one_job(store: JobStore) -> list[float]:
    """Each state-changing update's time (seconds) for one job's life."""
    job = await store.create(request=GenerationRequest("image", "一只猫"), provider="grsai",
                             user_id=1001, chat_id=1001, thread_id=None,
                             reply_to_id=None)  # fmt: skip
    took = []
    for state in STEPS:
        t = time.perf_counter()
        await store.update(job, state=state)
        took.append(time.perf_counter() - t)
        if state == "submitted":
            for progress in (40, 80):
                await store.update(job, progress=progress)
    return took


async def measure(jobs: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="bench-job-history-") as tmp:
        path = Path(tmp) / "bot.sqlite3"
        db = Database(path)
        await db.open()
        await db.close()
        fill(path)
        await db.open()
        store = JobStore(db)
        real = jobs_module._transition

        def none(*_: Any) -> tuple[str, tuple[Any, ...]]:
            return ("SELECT 1", ())

        found: dict[str, list[float]] = {"with": [], "without": []}
        try:
            for n in range(max(1, jobs // ROUND) * 2):
                mode = "with" if n % 2 == 0 else "without"
                jobs_module._transition = real if mode == "with" else none  # type: ignore
                for _ in range(ROUND):
                    found[mode] += await one_job(store)
        finally:
            jobs_module._transition = real  # type: ignore[assignment]
            await db.close()
        return found


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rows(found: dict[str, list[float]]) -> str:
    lines = ["| 状态记录 history | 每次状态更新 per state update p50 / p95 / mean | 次数 n |",
             "|---|---|---|"]  # fmt: skip
    for mode, name in (("without", "不写 off"), ("with", "写入 on")):
        v = found[mode]
        lines.append(f"| {name} | {_pct(v, .5) * 1000:.2f} / {_pct(v, .95) * 1000:.2f} / "
                     f"{statistics.mean(v) * 1000:.2f} ms | {len(v)} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench.job_history", description=__doc__)
    parser.add_argument("--jobs", type=int, default=400, help="jobs per mode")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args(argv)
    loadavg = os.getloadavg()[0]
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    found = asyncio.run(measure(args.jobs))
    table = rows(found)
    print(table)
    on, off = statistics.median(found["with"]), statistics.median(found["without"])
    summary = (f"中位数差 median difference: {(on - off) * 1000:+.2f} ms"
               f"（{(on / off - 1) * 100:+.0f} %）")  # fmt: skip
    print(summary)
    if not args.no_doc:
        m = machine()
        doc = f"""{START}
## 任务状态记录的写入开销 (cost of recording job state changes)

{OLD_JOBS:,} 个旧任务与约 56 万条状态记录的数据库（WAL、synchronous=FULL，与机器人相同），
新任务按运行器的写法走完一张图的一生（5 次状态更新 + 2 次不改状态的进度更新，每次一个提交），
写状态记录与把它换成空语句（`SELECT 1`）两种情形每 {ROUND} 个任务交替一轮。表中是改状态的
那次 `JobStore.update`（含提交、fsync）的耗时。

{table}

{summary}。状态记录是同一次提交里多一条 `INSERT … SELECT`（按主键读一行、按
`job_transitions_job` 索引查重），耗时主要在每次提交的 fsync，它不多一次 fsync；进度更新不写。

- 机器 machine: nproc={m["nproc"]}, {m["mem"]}, Python {m["python"]}, {m["platform"]}
  （运行前 1 分钟平均负载 loadavg {loadavg:.2f}；2 核与其他开发任务共享）
- 代码 code: {code_version(WATCHED, "those files as committed")}
- 日期 date: {when}
- 命令 command: `{command("bench.job_history", argv)}`
{END}"""
        write_section(DOC, START, END, doc)
        print(f"wrote {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
