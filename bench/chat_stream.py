"""Chat streaming benchmark: the real bot Application against the fakes in tests/, over HTTP.

Run from the repo root:

    .venv/bin/python -m bench.chat_stream            # 5 runs per case, writes docs/benchmarks.md
    .venv/bin/python -m bench.chat_stream --runs 1 --no-doc

For a 2,000-character Chinese Markdown answer streamed by FakeGrsAI it measures, with the
production intervals (stream_edit_interval=1.0, private_chat_interval=1.0):

* first token -> first visible text: first token = arrival of the chat request at FakeGrsAI
  (``Recorded.at``) + the script's ``first_delay``; first visible = ``Call.at`` of the first
  successful sendMessageDraft / sendMessage / editMessageText in that chat at FakeTelegram.
  Both are ``time.monotonic()`` in this one process.
* first token -> final complete message: ``Call.at`` of the last successful sendMessage /
  editMessageText in the chat (checked to leave exactly the rendered answer in the chat).
* Telegram calls per answer (drafts, sendMessage, editMessageText, failures) and 429s
  (FakeTelegram.flood_events for that chat; FakeTelegram's default flood model: >=0.3 s between
  visible updates in a private chat, 20 per 60 s sliding window in a group).

As a cross-check the benchmark also wraps ``ReplyStream.run`` (in this process only, the bot
code is unchanged) to read the bot's own ``StreamStats`` and the time the last upstream piece
reached the bot. Every run uses fresh fakes and a fresh bot; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import logging
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import (
    DOC,
    REPO,
    code_version,
    command,
    machine,
    med_max,
    ms,
    num,
    secs,
    write_section,
)
from bot.tg.outbound.markdown import render_chunks
from tests.fakes.grsai import CHAT_PATH, ChatScript, FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, make_settings

START = "<!-- chat_stream:start -->"
END = "<!-- chat_stream:end -->"
WATCHED = ["bot/tg/outbound/streaming.py", "bot/tg/outbound/pacing.py", "bot/tg/handlers/chat.py"]
WATCHED_CLEAN = "streaming.py / ratelimit.py / chat_handlers.py as committed"

ANSWER_CHARS = 2000
FIRST_DELAY = 0.5  # upstream "thinking" before the first token; subtracted from every number
RUN_TIMEOUT = 120.0  # hard bound for one run (bot start + answer + idle)
VISIBLE = ("sendMessageDraft", "sendMessage", "editMessageText")
PERSISTENT = ("sendMessage", "editMessageText")
USER = 4242
GROUP = -100_4242


@dataclass(frozen=True)
class Case:
    name: str
    chat: str  # "private" | "group"
    chunk_size: int
    delay: float

    @property
    def label(self) -> str:
        where = "私聊 private (drafts)" if self.chat == "private" else "群组 group /ask (edits)"
        return f"{where}, {self.chunk_size} 字/{self.delay * 1000:.0f} ms"


CASES = (
    Case("private-realistic", "private", 8, 0.040),
    Case("private-fast", "private", 50, 0.020),
    Case("group-realistic", "group", 8, 0.040),
    Case("group-fast", "group", 50, 0.020),
)


# --------------------------------------------------------------------------------- the answer


def make_answer(chars: int = ANSWER_CHARS) -> str:
    """A deterministic Chinese Markdown answer of exactly `chars` characters."""
    parts = [
        "## 概述\n\n",
        "**Python 异步编程**是编写高并发网络程序的常用方式。本文介绍 `asyncio` 的核心概念、"
        "常见陷阱以及在 *Telegram 机器人* 中的实际用法。\n\n",
        "## 核心概念\n\n",
        "- **事件循环**：负责调度所有协程，同一时刻只运行一个协程。\n",
        "- **协程**：用 `async def` 定义，遇到 `await` 时让出控制权。\n",
        "- **任务**：用 `asyncio.create_task()` 包装协程，使其并发执行。\n",
        "- **Future**：表示一个尚未完成的结果，通常不需要直接使用。\n\n",
        "## 示例代码\n\n",
        "```python\nimport asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n"
        '    print("完成")\n\nasyncio.run(main())\n```\n\n',
        "## 常见陷阱\n\n",
        "1. 在协程里调用阻塞函数（例如 `time.sleep`）会卡住整个事件循环。\n",
        "2. 忘记 `await` 会得到一个协程对象，而不是结果。\n",
        "3. 创建任务后不保存引用，任务可能被垃圾回收。\n\n",
        "> 提示：CPU 密集的工作应放到线程池或进程池中执行，例如使用 `loop.run_in_executor()`。\n\n",
        "## 在机器人中的应用\n\n",
        "机器人需要同时处理许多用户的消息，每条消息都是一个独立的协程。"
        "流式输出时，机器人一边接收模型的输出，一边按照 **限速规则** 更新消息，"
        "既要让用户尽快看到文字，又不能触发 Telegram 的 `429 Too Many Requests` 错误。"
        "更多信息请参考 [官方文档](https://docs.python.org/zh-cn/3/library/asyncio.html)。\n\n",
        "## 详细说明\n\n",
    ]
    text = "".join(parts)
    filler = (
        "异步程序的性能取决于等待时间能否被其他任务利用，因此应尽量减少同步阻塞，"
        "合理设置超时，并在出错时及时释放资源。"
    )
    while len(text) < chars:
        text += filler
    text = text[: chars - 1] + "。"
    assert len(text) == chars
    return text


# --------------------------------------------------------------------------------- bot-side probe


@dataclass
class Probe:
    chat_id: int
    first_token_at: float | None = None
    first_visible_at: float | None = None
    last_piece_at: float | None = None
    updates: int = 0


PROBES: list[Probe] = []


def install_probe() -> bool:
    """Wrap ReplyStream.run in this process to read the bot's own StreamStats (read-only)."""
    try:
        from bot.tg.handlers import chat as chat_handlers

        base = chat_handlers.ReplyStream
    except (ImportError, AttributeError):
        return False
    if getattr(base, "_bench_probe", False):
        return True

    class ProbedReplyStream(base):  # type: ignore[misc, valid-type]
        _bench_probe = True

        async def run(self, pieces: AsyncIterator[str]) -> Any:
            probe = Probe(self.chat_id)
            PROBES.append(probe)

            async def tap() -> AsyncIterator[str]:
                async for piece in pieces:
                    probe.last_piece_at = time.monotonic()
                    yield piece

            result = await super().run(tap())
            stats = getattr(result, "stats", None)
            probe.first_token_at = getattr(stats, "first_token_at", None)
            probe.first_visible_at = getattr(stats, "first_visible_at", None)
            probe.updates = getattr(stats, "updates", 0)
            return result

    chat_handlers.ReplyStream = ProbedReplyStream  # type: ignore[misc]
    return True


# --------------------------------------------------------------------------------- one run


@dataclass
class RunResult:
    ok: bool
    first_visible: float = float("nan")
    total: float = float("nan")
    after_last_token: float = float("nan")
    max_gap: float = float("nan")
    drafts: int = 0
    sends: int = 0
    edits: int = 0
    failed: int = 0
    floods: int = 0
    messages: int = 0
    bot_first_visible: float = float("nan")
    upstream_stream: float = float("nan")
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _chat_calls(tg: FakeTelegram, chat_id: int, methods: tuple[str, ...]) -> list[Any]:
    return [c for c in tg.calls if c.method in methods and c.params.get("chat_id") == chat_id]


async def run_once(case: Case, answer: str) -> RunResult:
    expected = [c.text for c in render_chunks(answer)]
    async with FakeTelegram() as tg, FakeGrsAI() as grsai:
        with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp:
            settings = make_settings(
                tg,
                grsai,
                Path(tmp) / "data",
                stream_edit_interval=1.0,
                private_chat_interval=1.0,
            )
            bot = RunningBot(settings)
            await bot.start()
            try:
                return await _drive(case, answer, expected, tg, grsai)
            finally:
                await bot.stop()


async def _drive(
    case: Case, answer: str, expected: list[str], tg: FakeTelegram, grsai: FakeGrsAI
) -> RunResult:
    if case.chat == "private":
        chat = tg.private_chat(USER)
        question = "请介绍一下 Python 异步编程"
    else:
        chat = tg.group_chat(GROUP)
        question = "/ask 请介绍一下 Python 异步编程"
    chat_id = chat["id"]
    grsai.script_chat(
        ChatScript(
            text=answer, chunk_size=case.chunk_size, delay=case.delay, first_delay=FIRST_DELAY
        )
    )
    probes_before = len(PROBES)
    tg.send_text(chat, USER, question)

    def complete() -> bool:
        texts = [m.get("text") for m in tg.bot_messages(chat_id)]
        return texts[-len(expected) :] == expected

    nominal_stream = FIRST_DELAY + case.delay * (-(-len(answer) // case.chunk_size) - 1)
    try:
        await tg.wait_for(complete, timeout=nominal_stream + 40)
        await tg.wait_idle(quiet=1.5, timeout=30)
    except AssertionError as exc:
        return RunResult(ok=False, note=str(exc).splitlines()[0])

    requests = grsai.requests_to(CHAT_PATH)
    if len(requests) != 1:
        return RunResult(ok=False, note=f"{len(requests)} chat requests")
    first_token = requests[0].at + FIRST_DELAY
    n_chunks = -(-len(answer) // case.chunk_size)
    last_token_nominal = first_token + case.delay * (n_chunks - 1)

    visible = [c for c in _chat_calls(tg, chat_id, VISIBLE) if c.ok]
    persistent = [c for c in visible if c.method in PERSISTENT]
    all_updates = _chat_calls(tg, chat_id, VISIBLE)
    floods = [e for e in tg.flood_events if e.params.get("chat_id") == chat_id]
    if not visible or not persistent:
        return RunResult(ok=False, note="nothing visible")
    final_at = max(c.at for c in persistent)
    times = sorted(c.at for c in visible)
    gaps = [b - a for a, b in itertools.pairwise(times)]

    probe = PROBES[-1] if len(PROBES) > probes_before else None
    last_token = (
        probe.last_piece_at if probe and probe.last_piece_at is not None else last_token_nominal
    )
    result = RunResult(
        ok=True,
        first_visible=times[0] - first_token,
        total=final_at - first_token,
        after_last_token=final_at - last_token,
        max_gap=max(gaps) if gaps else 0.0,
        drafts=sum(c.method == "sendMessageDraft" for c in visible),
        sends=sum(c.method == "sendMessage" for c in visible),
        edits=sum(c.method == "editMessageText" for c in visible),
        failed=sum(not c.ok for c in all_updates),
        floods=len(floods),
        messages=len(tg.bot_messages(chat_id)),
    )
    if probe and probe.first_token_at is not None and probe.first_visible_at is not None:
        result.bot_first_visible = probe.first_visible_at - probe.first_token_at
    if probe and probe.first_token_at is not None and probe.last_piece_at is not None:
        result.upstream_stream = probe.last_piece_at - probe.first_token_at
    result.extra["chunk_count"] = n_chunks
    return result


# --------------------------------------------------------------------------------- report


def table(results: dict[Case, list[RunResult]]) -> str:
    head = (
        "| 场景 case | 成功 ok | 首字可见 first token→first visible | "
        "首字→完整消息 first token→final | 末字→完整消息 last token→final | "
        "最大更新间隔 max gap | drafts | sendMessage | editMessageText | 失败 failed | 429 |"
    )
    sep = "|" + "|".join(["---"] * 11) + "|"
    rows = [head, sep]
    for case, runs in results.items():
        ok = [r for r in runs if r.ok]
        rows.append(
            "| "
            + " | ".join(
                [
                    case.label,
                    f"{len(ok)}/{len(runs)}",
                    med_max([r.first_visible for r in ok], ms),
                    med_max([r.total for r in ok], secs),
                    med_max([r.after_last_token for r in ok], ms),
                    med_max([r.max_gap for r in ok], secs),
                    med_max([float(r.drafts) for r in ok], num),
                    med_max([float(r.sends) for r in ok], num),
                    med_max([float(r.edits) for r in ok], num),
                    med_max([float(r.failed) for r in ok], num),
                    str(sum(r.floods for r in ok)),
                ]
            )
            + " |"
        )
    return "\n".join(rows)


def cross_check(results: dict[Case, list[RunResult]]) -> str:
    head = (
        "| 场景 case | bot 侧首字可见 StreamStats first_token→first_visible | "
        "上游流时长 upstream stream (bot side) |"
    )
    rows = [head, "|---|---|---|"]
    for case, runs in results.items():
        ok = [r for r in runs if r.ok]
        rows.append(
            f"| {case.label} | {med_max([r.bot_first_visible for r in ok], ms)} | "
            f"{med_max([r.upstream_stream for r in ok], secs)} |"
        )
    return "\n".join(rows)


def section(
    results: dict[Case, list[RunResult]], runs: int, info: dict[str, str], cmd: str, when: str
) -> str:
    notes = []
    for case, rs in results.items():
        for i, r in enumerate(rs, 1):
            if not r.ok:
                notes.append(f"- {case.name} run {i} failed: {r.note}")
    failures = ("\n**Failed runs:**\n\n" + "\n".join(notes) + "\n") if notes else ""
    return f"""{START}
## 对话流式输出 (chat streaming)

真实的 bot Application 通过 HTTP 对接 `tests/fakes` 中的 FakeTelegram 与 FakeGrsAI；
生产默认间隔 `stream_edit_interval=1.0`、`private_chat_interval=1.0`、
`group_stream_edit_interval=3.0`，群组限额 20 条/分钟（限速器按约 3.15 s 一条均匀放行，\
“正在输入”不占名额）。回答为 {ANSWER_CHARS} 字的中文
Markdown（标题、列表、粗体、行内代码、代码块、引用、链接），上游首字前等待 {FIRST_DELAY} s
（已从所有数字中扣除）。每个场景 {runs} 次，每次全新的 bot 与 fakes；表中为 **中位数 / 最大值**。

- 首字时间 = 对话请求到达 FakeGrsAI 的 `Recorded.at` + `first_delay`；首次可见 = FakeTelegram
  中该聊天第一个成功的 sendMessageDraft/sendMessage/editMessageText 的 `Call.at`；完整消息 =
  最后一个成功的 sendMessage/editMessageText（并校验聊天中最终文本与渲染结果一致）。
  均为 `time.monotonic()`。
- 末字时间取 bot 实际收到最后一个上游片段的时刻（包装 `ReplyStream.run` 读取，不改 bot 代码）。
- 429 = FakeTelegram `flood_events`（私聊两次可见更新间隔 < 0.3 s；群组 60 s 滑动窗口内
  已有 20 条时再发）。
- fakes 与 bot 运行在同一进程、同一事件循环中，fakes 的 CPU 时间也计入延迟。

{table(results)}

交叉校验（bot 自身的 `StreamStats`）：

{cross_check(results)}
{failures}
- 机器 machine: nproc={info["nproc"]}, Python {info["python"]}, {info["platform"]},
  python-telegram-bot {info["ptb"]}
- 代码 code: {info["code"]}
- 日期 date: {when}
- 命令 command: `{cmd}`
{END}"""


# --------------------------------------------------------------------------------- main


async def main_async(args: argparse.Namespace) -> dict[Case, list[RunResult]]:
    answer = make_answer()
    cases = [c for c in CASES if not args.case or c.name in args.case]
    results: dict[Case, list[RunResult]] = {c: [] for c in cases}
    for case in cases:
        for i in range(args.runs):
            t0 = time.monotonic()
            try:
                r = await asyncio.wait_for(run_once(case, answer), RUN_TIMEOUT)
            except TimeoutError:
                r = RunResult(ok=False, note=f"timed out after {RUN_TIMEOUT:.0f} s")
            results[case].append(r)
            print(
                f"{case.name:18} run {i + 1}/{args.runs}: "
                + (
                    f"first visible {ms(r.first_visible)}, total {secs(r.total)}, "
                    f"after last token {ms(r.after_last_token)}, drafts {r.drafts}, "
                    f"sends {r.sends}, edits {r.edits}, failed {r.failed}, 429 {r.floods} "
                    f"(bot side first visible {ms(r.bot_first_visible)})"
                    if r.ok
                    else f"FAILED: {r.note}"
                )
                + f" [{time.monotonic() - t0:.1f} s wall]",
                flush=True,
            )
    return results


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench.chat_stream", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument(
        "--case", action="append", choices=[c.name for c in CASES], help="only these cases"
    )
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not install_probe():
        print("note: ReplyStream probe not installed; bot-side columns stay empty")
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    results = asyncio.run(main_async(args))
    print()
    print(table(results))
    print()
    print(cross_check(results))
    if not args.no_doc:
        info = {**machine(), "code": code_version(WATCHED, WATCHED_CLEAN)}
        write_section(
            DOC,
            START,
            END,
            section(results, args.runs, info, command("bench.chat_stream", argv), when),
        )
        print(f"\nwrote {DOC.relative_to(REPO)}")
    ok = all(r.ok and r.floods == 0 for rs in results.values() for r in rs)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
