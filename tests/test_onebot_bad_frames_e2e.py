"""A frame the bot cannot parse is logged and skipped: the NapCat connection stays open and the
next message is answered (real adapter ↔ FakeNapCat)."""

from __future__ import annotations

import json

from tests.fakes.grsai import ChatScript, FakeGrsAI
from tests.fakes.onebot import FakeNapCat
from tests.qq_harness import RunningQQ

USER = 555


async def test_unparsable_frames_are_skipped_and_the_connection_stays_open(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    deep = '{"post_type": "message", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    await qq.send_raw(deep)  # json.loads: RecursionError
    superscript = {"time": 1, "self_id": qq.self_id, "post_type": "message",
                   "message_type": "private", "sub_type": "friend", "message_id": "1²",
                   "user_id": "55²", "message": "你好", "raw_message": "你好", "font": 0,
                   "sender": {"user_id": USER}}  # fmt: skip
    await qq.send_raw(json.dumps(superscript, ensure_ascii=False))  # int("1²"): ValueError
    grsai.script_chat(ChatScript(text="还在。"))
    await qq.private_message(USER, "你还在吗？")
    sent = await qq.wait_sent(1, within=10)
    assert "还在" in sent[0].text
    assert qq.connected and qq.connections == 1
