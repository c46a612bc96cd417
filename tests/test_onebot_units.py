"""OneBot layer units: segments, commands, events, plain-text rendering, splitting, pacing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.onebot.outbound import plaintext
from bot.onebot.outbound.pacing import PacingConfig, SendPacer
from bot.onebot.outbound.plaintext import forward_nodes, markdown_to_plain, plan_answer, split_text
from bot.onebot.protocol import segments as seg
from bot.onebot.protocol.events import HeartbeatEvent, MessageEvent, parse_event
from bot.onebot.protocol.segments import Command, parse_command

# --- segments -------------------------------------------------------------------------


def test_string_format_messages_are_read_as_segments_with_unescaping() -> None:
    message = "&#91;第一部分&#93;[CQ:image,file=123.jpg]后面[CQ:share,title=震惊&#44;小伙,url=http://a/?a=1&amp;b=2]"
    assert seg.normalize(message) == [
        seg.text("[第一部分]"),
        {"type": "image", "data": {"file": "123.jpg"}},
        seg.text("后面"),
        {"type": "share", "data": {"title": "震惊,小伙", "url": "http://a/?a=1&b=2"}},
    ]


def test_normalize_accepts_one_segment_or_array_and_rejects_garbage() -> None:
    assert seg.normalize(seg.text("a")) == [seg.text("a")]
    assert seg.normalize([{"type": "dice", "data": None}]) == [{"type": "dice", "data": {}}]
    assert seg.normalize(None) == []
    for bad in (42, [{"data": {}}], [{"type": "text", "data": "x"}], ["text"]):
        with pytest.raises(ValueError):
            seg.normalize(bad)


def test_file_references_for_bytes_paths_and_urls(tmp_path: Path) -> None:
    assert seg.image(b"\x00\x01")["data"]["file"] == "base64://AAE="
    path = tmp_path / "图 片.png"
    assert seg.video(path)["data"]["file"] == path.resolve().as_uri()
    assert seg.image("https://x/y.png")["data"]["file"] == "https://x/y.png"
    assert seg.file(b"x", "a.mp4")["data"] == {"file": "base64://eA==", "name": "a.mp4"}
    assert seg.node_ref(5) == {"type": "node", "data": {"id": "5"}}


def test_mentions_reply_and_media_readers() -> None:
    message = [seg.reply(99), seg.at("all"), seg.at(10001), seg.text(" 画它 "),
               {"type": "image", "data": {"file": "https://cdn/x.jpg"}},
               {"type": "image", "data": {"file": "ABC.jpg", "url": "http://napcat/ABC.jpg"}},
               {"type": "video", "data": {"file": "v.mp4"}}]  # fmt: skip
    assert seg.mentions(message, 10001) and not seg.mentions(message, 10002)
    assert not seg.mentions([seg.at("all")], 10001)  # @全体成员 is not an @ of the bot
    assert seg.reply_id(message) == 99 and seg.reply_id([seg.text("x")]) is None
    assert [(s.file, s.url) for s in seg.image_sources(message)] == [
        ("https://cdn/x.jpg", "https://cdn/x.jpg"), ("ABC.jpg", "http://napcat/ABC.jpg")]
    assert [s.file for s in seg.media_sources(message, "video")] == ["v.mp4"]
    assert seg.plain_text(message, self_id=10001) == "@all 画它"
    assert seg.plain_text(message) == "@all@10001 画它"


# --- commands -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "name", "args"),
    [
        ("/画图 一只猫", "draw", "一只猫"),
        ("/画图一只猫", "draw", "一只猫"),
        ("／视频 海边日落", "video", "海边日落"),
        ("/续写 继续", "remix", "继续"),
        ("/角色列表", "roles", ""),
        ("/角色 创建 小猫", "role", "创建 小猫"),
        ("/新对话", "new", ""),
        ("/模型 gemini-2.5-pro", "model", "gemini-2.5-pro"),
        ("/帮助", "help", ""),
        ("/用量", "usage", ""),
        ("/设置", "settings", ""),
        ("/故事 三段", "story", "三段"),
        ("/问 为什么天是蓝的", "ask", "为什么天是蓝的"),
        ("/draw a cat", "draw", "a cat"),
        ("  /DRAW   a cat ", "draw", "a cat"),
        ("/roles", "roles", ""),
    ],
)
def test_commands_parse_with_english_names_and_chinese_aliases(
    typed: str, name: str, args: str
) -> None:
    assert parse_command(typed) == Command(name, args, True)


def test_non_commands_and_unknown_names() -> None:
    assert parse_command("画图 一只猫") is None
    assert parse_command("/") is None
    assert parse_command("/ 空格") is None
    assert parse_command("/drawing") == Command("drawing", "", False)
    assert parse_command("/admin_add 123") == Command("admin_add", "123", False)


# --- events ---------------------------------------------------------------------------


def test_events_parse_leniently_and_ignore_what_the_bot_does_not_use() -> None:
    base = {"time": 1, "self_id": 10001, "post_type": "message", "message_id": 5, "user_id": 42}
    event = parse_event({**base, "message_type": "private", "message": "你好[CQ:face,id=1]"})
    assert isinstance(event, MessageEvent) and event.message[1]["type"] == "face"
    assert event.sender is not None and event.sender.user_id == 42
    assert parse_event({**base, "message_type": "group", "message": []}) is None  # no group_id
    assert parse_event({**base, "message_type": "guild", "message": []}) is None
    assert parse_event({**base, "message_type": "private", "message": 3}) is None
    assert parse_event({**base, "post_type": "message_sent", "message_type": "private"}) is None
    assert parse_event({"post_type": "notice", "self_id": 1, "notice_type": "x"}) is None
    assert parse_event([1, 2]) is None and parse_event({"post_type": "message"}) is None
    beat = parse_event({"self_id": "10001", "post_type": "meta_event",
                        "meta_event_type": "heartbeat", "interval": 15000, "status": None})
    assert isinstance(beat, HeartbeatEvent) and beat.online is None and beat.self_id == 10001


# --- plain text -----------------------------------------------------------------------

ANSWER = """# 标题

这是 **粗体** 和 *斜体*，见 [文档](https://example.com/doc) 或 <https://example.com>。

## 步骤

1. 安装
2. 运行 `python -m bot`
   - 子项

```python
def f():
    return 1
```

> 引用一句

| 名称 | 值 |
|---|---|
| a | 1 |

<b>原样</b>
"""


def test_markdown_becomes_readable_plain_text() -> None:
    plain = markdown_to_plain(ANSWER)
    assert plain.splitlines()[0] == "【标题】"
    assert "这是 粗体 和 斜体，见 文档（https://example.com/doc） 或 https://example.com。" in plain
    assert "1. 安装\n2. 运行 python -m bot\n  ◦ 子项" in plain
    assert "```python\ndef f():\n    return 1\n```" in plain
    assert "│ 引用一句" in plain and "名称 | 值\na | 1" in plain
    assert "<b>原样</b>" in plain  # raw HTML stays visible
    assert "**" not in plain and "](" not in plain and "#" not in plain


def test_bullets_paragraphs_and_empty_input() -> None:
    assert markdown_to_plain("- 一\n- 二\n\n段落") == "• 一\n• 二\n\n段落"
    assert markdown_to_plain("  \n") == ""
    assert markdown_to_plain("第一行\n第二行") == "第一行\n第二行"


def test_renderer_failure_falls_back_to_the_answer_as_written(monkeypatch) -> None:
    def broken(_: str) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(plaintext, "_render", broken)
    assert markdown_to_plain("**原文**") == "**原文**"


# --- splitting ------------------------------------------------------------------------


def test_short_text_is_one_part() -> None:
    assert split_text("短回答", 100) == ["短回答"]


def test_long_text_splits_at_paragraphs_then_sentences() -> None:
    paragraphs = [f"第{i}段。" + "内容" * 30 for i in range(10)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text, 200)
    assert all(len(p) <= 200 for p in parts) and len(parts) > 1
    assert all(p.startswith("第") for p in parts)  # every cut fell on a paragraph start
    assert "\n\n".join(parts) == text  # nothing lost, nothing added
    sentences = "".join(f"这是第{i}句话，内容比较长一些。" for i in range(40))
    parts = split_text(sentences, 100)
    assert all(len(p) <= 100 and p.endswith("。") for p in parts)
    assert "".join(parts) == sentences


def test_text_without_any_boundary_is_cut_hard_without_loss() -> None:
    text = "字" * 1050
    parts = split_text(text, 500)
    assert [len(p) for p in parts] == [500, 500, 50] and "".join(parts) == text


def test_a_code_block_cut_in_two_is_closed_and_reopened() -> None:
    code = "\n".join(f"print({i})" for i in range(60))
    text = "说明：\n\n```python\n" + code + "\n```\n\n结束。"
    parts = split_text(text, 200)
    assert len(parts) > 2 and all(len(p) <= 200 for p in parts)
    for part in parts:
        assert part.count("```") % 2 == 0, part
    assert parts[1].startswith("```python\n")
    body = "\n".join(line for p in parts for line in p.splitlines() if not line.startswith("```"))
    assert all(f"print({i})" in body.splitlines() for i in range(60))


def test_long_answers_plan_as_forward_nodes() -> None:
    kind, parts = plan_answer("短", limit=100)
    assert (kind, parts) == ("messages", ["短"])
    long_answer = "\n\n".join("段落内容" * 20 for _ in range(10))
    kind, parts = plan_answer(long_answer, limit=100, max_messages=3)
    assert kind == "forward" and len(parts) > 3
    nodes = forward_nodes(parts, user_id=10001, nickname="助手")
    assert nodes[0] == {"type": "node", "data": {"user_id": "10001", "nickname": "助手",
                                                 "content": [seg.text(parts[0])]}}


# --- pacing ---------------------------------------------------------------------------


class ManualClock:
    """Time moves only when the test says so; sleepers wake when their time comes."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self.sleepers.append((self.now + delay, future))
        await future

    async def advance(self, seconds: float) -> None:
        self.now += seconds
        for due, future in list(self.sleepers):
            if due <= self.now + 1e-9:
                self.sleepers.remove((due, future))
                future.set_result(None)
        for _ in range(5):
            await asyncio.sleep(0)


class AutoClock(ManualClock):
    """Sleeping simply moves time forward (sequential tests)."""

    async def sleep(self, delay: float) -> None:
        self.now += delay


async def test_one_chat_gets_a_small_burst_then_one_message_per_second() -> None:
    clock = AutoClock()
    pacer = SendPacer(PacingConfig(chat_interval=1.0, chat_burst=3, account_per_minute=600,
                                   account_burst=100), clock=clock, sleep=clock.sleep)  # fmt: skip
    times = []
    for _ in range(6):
        await pacer.wait("qq:42")
        times.append(clock.now)
    assert times == pytest.approx([0, 0, 0, 1, 2, 3])


async def test_the_account_limit_spans_all_chats() -> None:
    clock = AutoClock()
    pacer = SendPacer(PacingConfig(chat_interval=1.0, chat_burst=3, account_per_minute=20,
                                   account_burst=5), clock=clock, sleep=clock.sleep)  # fmt: skip
    times = []
    for i in range(7):
        await pacer.wait(f"qqgroup:{i}")  # every message in another chat
        times.append(clock.now)
    assert times == pytest.approx([0, 0, 0, 0, 0, 3, 6])  # 20/min = one per 3 s after the burst


async def test_a_waiting_chat_does_not_hold_up_another_chat() -> None:
    clock = ManualClock()
    pacer = SendPacer(PacingConfig(chat_interval=1.0, chat_burst=1, account_per_minute=600,
                                   account_burst=100), clock=clock, sleep=clock.sleep)  # fmt: skip
    await pacer.wait("qq:1")
    slow = asyncio.create_task(pacer.wait("qq:1"))
    await asyncio.sleep(0)
    assert not slow.done()
    assert await asyncio.wait_for(pacer.wait("qq:2"), 1) == 0  # immediately, no time passed
    await clock.advance(1.0)
    assert await asyncio.wait_for(slow, 1) == pytest.approx(1.0)


async def test_idle_chats_are_forgotten() -> None:
    clock = AutoClock()
    pacer = SendPacer(clock=clock, sleep=clock.sleep)
    for i in range(1002):
        await pacer.wait(f"qq:{i}")
        clock.now += 60  # every chat is idle again before the next one
    assert len(pacer._chats) < 10


# --- boundaries -----------------------------------------------------------------------


def test_the_onebot_package_imports_nothing_of_telegram_or_other_bot_modules() -> None:
    import ast

    package = Path(__file__).resolve().parent.parent / "bot" / "onebot"
    offenders = []
    # The protocol layer; adapter.py and its handlers/jobs/draw modules wire it to core.
    protocol = ("__init__.py", "config.py", "events.py", "pacing.py", "plaintext.py",
                "segments.py", "transport.py")  # fmt: skip
    for path in sorted(package.glob("*.py")):
        if path.name not in protocol:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith(("telegram", "bot.")) and not name.startswith("bot.onebot"):
                    offenders.append(f"{path.name}: {name}")
            if isinstance(node, ast.ImportFrom) and node.module == "bot":
                names = [f"bot.{alias.name}" for alias in node.names]
                # bot.core.texts is allowed: the catalogue of Chinese sentences, importing nothing.
                offenders += [f"{path.name}: {n}" for n in names if n != "bot.core.texts"]
    assert offenders == []
