"""Odd but valid input gets a clear answer instead of a crash; commands to other bots are theirs."""

from __future__ import annotations

import pytest

from bot.core import texts
from bot.core.media.mp4info import mp4_info
from bot.tg.handlers.common import strip_bot_mention
from tests.fakes.grsai import CHAT_PATH, FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, updates_handled
from tests.media import make_png

ADMIN = 9001
USER = 1001
GROUP = -100555


def texts_of(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in tg.bot_messages(chat_id)]


@pytest.fixture
def settings_overrides() -> dict:
    return {"bot_admin_ids": [ADMIN]}


async def test_video_with_a_superscript_digit_starts_a_job_instead_of_crashing(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video"))
    tg.send_text(tg.private_chat(USER), USER, "/video ² 猫")
    await tg.wait_for(lambda: len(grsai.submissions("video")) == 1)
    assert grsai.submissions("video")[0]["prompt"].endswith("² 猫")


async def test_quota_with_a_superscript_digit_gets_the_usage_text(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    tg.send_text(tg.private_chat(ADMIN), ADMIN, f"/quota {USER} chat ²")
    await tg.wait_for(lambda: len(tg.bot_messages(ADMIN)) >= 1)
    assert texts_of(tg, ADMIN) == [texts.ADMIN_USAGE_QUOTA]


@pytest.mark.parametrize("chat_kind", ["group", "private"])
async def test_caption_command_for_another_bot_is_left_alone(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, chat_kind: str
) -> None:
    chat = tg.group_chat(GROUP) if chat_kind == "group" else tg.private_chat(USER)
    tg.send_photo(chat, USER, make_png(64, 64), caption="/draw@OtherBot 一只猫")
    await updates_handled(bot, tg)
    assert tg.bot_messages(chat["id"]) == []
    assert grsai.requests == []


async def test_group_question_keeps_its_line_breaks(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    tg.send_text(tg.group_chat(GROUP), USER, f"@{tg.bot_username} 第一行\n第二行\n\n第三行")
    await tg.wait_for(lambda: len(grsai.requests_to(CHAT_PATH)) == 1)
    messages = grsai.requests_to(CHAT_PATH)[0].json["messages"]
    last = messages[-1]["content"]
    text = last if isinstance(last, str) else " ".join(p.get("text", "") for p in last)
    assert "第一行\n第二行\n\n第三行" in text
    await updates_handled(bot, tg)


def test_strip_bot_mention_removes_only_the_mention() -> None:
    assert strip_bot_mention("@Bot 你好\n  缩进行", "bot") == "你好\n  缩进行"
    assert strip_bot_mention("你好 @bot 世界", "bot") == "你好 世界"
    assert strip_bot_mention("写给 @botty 的", "bot") == "写给 @botty 的"


def _box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


@pytest.mark.parametrize("inner", [_box(b"mvhd", b""), _box(b"trak", _box(b"tkhd", b""))])
def test_empty_mvhd_or_tkhd_gives_unknown_size_not_a_crash(tmp_path, inner: bytes) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(_box(b"ftyp", b"isom\x00\x00\x02\x00") + _box(b"moov", inner))
    info = mp4_info(path)
    assert info is None or (info.width is None and info.duration is None)
