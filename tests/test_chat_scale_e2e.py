"""Many chats at once, as users meet them: slots free while answers stream, one answer at a time
per conversation (visibly queued), deadlines on every stream, no drafts on old Bot API servers,
separate connection pools for chat streams and jobs."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.core import texts
from tests.fakes.grsai import DRAW_PATH, ChatScript, FakeGrsAI
from tests.fakes.openai_base import ChatReply
from tests.fakes.telegram import FakeTelegram
from tests.fakes.unified import FakeUnified
from tests.harness import RunningBot, updates_handled

USER = 1001

# Load tests measure timing: under xdist they share one worker, never run against each other.
pytestmark = pytest.mark.xdist_group("load")


def texts_of(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in tg.bot_messages(chat_id)]


async def test_start_and_buttons_are_answered_at_once_while_70_answers_stream(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/model")
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) == 1)
    menu = tg.bot_messages(chat["id"])[0]
    for _ in range(70):
        grsai.script_chat(ChatScript(text="慢慢回答", first_delay=4.0))
    for user in range(2000, 2070):
        tg.send_text(tg.private_chat(user), user, "问题")
    await tg.wait_for(lambda: len(grsai.requests_to("/v1/chat/completions")) == 70, timeout=3)
    started = time.monotonic()
    tg.send_text(chat, USER, "/start")
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) == 2, timeout=1.0)
    assert time.monotonic() - started < 1.0
    data = menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    query = tg.press_button(menu, data, USER)
    await tg.wait_for(lambda: query in tg.callback_answers, timeout=1.0)
    await tg.wait_for(lambda: all(texts_of(tg, u) == ["慢慢回答"] for u in range(2000, 2070)),
                      timeout=15)  # fmt: skip


async def test_second_question_waits_its_turn_with_a_note(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_chat(ChatScript(text="第一个回答", first_delay=1.5))
    grsai.script_chat(ChatScript(text="第二个回答"))
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "第一个问题")
    await tg.wait_for(lambda: len(grsai.requests_to("/v1/chat/completions")) == 1)
    tg.send_text(chat, USER, "第二个问题")
    await tg.wait_for(lambda: texts_of(tg, chat["id"])[:1] == [texts.CHAT_QUEUED.format(n=1)],
                      timeout=1.0)  # fmt: skip
    await tg.wait_for(lambda: "第二个回答" in texts_of(tg, chat["id"]), timeout=10)
    answers = [t for t in texts_of(tg, chat["id"]) if t.endswith("个回答")]
    assert answers == ["第一个回答", "第二个回答"]
    second = grsai.requests_to("/v1/chat/completions")[1].json
    assert [m["content"] for m in second["messages"][1:]] == [
        "第一个问题", "第一个回答", "第二个问题"
    ]  # fmt: skip


async def test_too_many_waiting_questions_get_a_polite_refusal(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_chat(ChatScript(text="慢", first_delay=2.0))
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "问题 0")
    await tg.wait_for(lambda: len(grsai.requests_to("/v1/chat/completions")) == 1)
    for i in range(1, 6):
        tg.send_text(chat, USER, f"问题 {i}")
    await tg.wait_for(lambda: texts_of(tg, chat["id"]).count(texts.CHAT_QUEUE_FULL) == 2,
                      timeout=10.0)  # fmt: skip
    notes = [texts.CHAT_QUEUED.format(n=n) for n in (1, 2, 3)]
    # The notes are sent by concurrent handlers: each place is told once, in any order.
    assert sorted(t for t in texts_of(tg, chat["id"]) if t in notes) == sorted(notes)
    await tg.wait_for(lambda: len(grsai.requests_to("/v1/chat/completions")) == 4, timeout=15)
    await updates_handled(bot, tg)
    assert len(grsai.requests_to("/v1/chat/completions")) == 4


# ------------------------------------------------------------------------- stream deadlines


@pytest.fixture
async def unified() -> AsyncIterator[FakeUnified]:
    async with FakeUnified() as fake:
        yield fake


def _unified_chat(unified: FakeUnified, **extra: object) -> dict:
    return {
        "unified_api_key": SecretStr(unified.api_key), "unified_base_url": unified.base_url,
        "chat_providers": ["unified"], **extra,
    }  # fmt: skip


class TestStalledStream:
    @pytest.fixture
    def settings_overrides(self, unified: FakeUnified, tg: FakeTelegram) -> dict:
        tg.draft_ttl = 1.0  # a shorter Telegram: drafts vanish after 1 s without a refresh
        return _unified_chat(unified, chat_first_token_timeout=2.0, chat_silence_timeout=2.5,
                             chat_total_timeout=8.0, chat_draft_refresh=0.5)  # fmt: skip

    async def test_keepalive_only_stream_is_cut_and_the_partial_text_stays(
        self, tg: FakeTelegram, unified: FakeUnified, bot: RunningBot
    ) -> None:
        unified.script_chat(ChatReply(pieces=["前半段回答，", "还没说完"], stall_after=2,
                                      keepalive=0.2))  # fmt: skip
        chat = tg.private_chat(USER)
        started = time.monotonic()
        tg.send_text(chat, USER, "讲个故事")
        await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) == 1, timeout=6)
        elapsed = time.monotonic() - started
        assert 2.0 < elapsed < 4.5, elapsed
        final = texts_of(tg, chat["id"])[0]
        assert final.startswith("前半段回答，还没说完")
        assert texts.CHAT_STALLED in final
        # While it stalled the draft was refreshed, so the partial text never vanished.
        drafts = [c.at for c in tg.drafts[chat["id"]]]
        final_at = next(c.at for c in tg.calls_to("sendMessage") if c.ok)
        assert max(b - a for a, b in itertools.pairwise([*drafts, final_at])) < tg.draft_ttl

    async def test_no_first_token_in_time_is_explained(
        self, tg: FakeTelegram, unified: FakeUnified, bot: RunningBot
    ) -> None:
        unified.script_chat(ChatReply(pieces=["永远不会到"], stall_after=0, keepalive=0.2))
        chat = tg.private_chat(USER)
        tg.send_text(chat, USER, "你好")
        await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) == 1, timeout=5)
        assert texts_of(tg, chat["id"]) == [texts.ERR_TIMEOUT]

    async def test_endless_answer_is_cut_at_the_total_bound(
        self, tg: FakeTelegram, unified: FakeUnified, bot: RunningBot
    ) -> None:
        unified.script_chat(ChatReply(pieces=[f"第{i}句。" for i in range(200)], delay=0.1))
        chat = tg.private_chat(USER)
        started = time.monotonic()
        tg.send_text(chat, USER, "一直说")
        await tg.wait_for(lambda: texts.CHAT_TOO_LONG in "".join(texts_of(tg, chat["id"])),
                          timeout=12)  # fmt: skip
        assert time.monotonic() - started < 10
        assert texts_of(tg, chat["id"])[0].startswith("第0句。第1句。")


# ------------------------------------------------------------------------- no drafts


async def test_without_drafts_answers_stream_with_messages_and_edits(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    tg.drafts_supported = False
    answer = "这是一个逐渐出现的回答。" * 6
    for user in (USER, USER + 1):
        grsai.script_chat(ChatScript(text=answer, chunk_size=8, delay=0.25))
        chat = tg.private_chat(user)
        tg.send_text(chat, user, "你好")
        # Text is visible long before the stream (≈2.5 s) ends.
        await tg.wait_for(lambda c=chat: len(tg.bot_messages(c["id"])) == 1, timeout=1.5)
        assert len(texts_of(tg, chat["id"])[0]) < len(answer)
        await tg.wait_for(lambda c=chat: texts_of(tg, c["id"]) == [answer], timeout=10)
    assert any(c.ok for c in tg.calls_to("editMessageText"))
    assert len(tg.calls_to("sendMessageDraft")) == 1, "decided once, not per message"


# ------------------------------------------------------------------------- pools


async def test_chat_streams_do_not_starve_a_draw_submit(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    for _ in range(110):
        grsai.script_chat(ChatScript(text="慢慢回答", first_delay=10.0))
    for user in range(3000, 3110):
        tg.send_text(tg.private_chat(user), user, "问题")
    # Generous: a busy machine is slow to open 110 streams; what counts is the order below.
    await tg.wait_for(lambda: len(grsai.requests_to("/v1/chat/completions")) >= 100, timeout=30)
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    await tg.wait_for(lambda: len(grsai.requests_to(DRAW_PATH)) == 1, timeout=30)
    await tg.wait_for(lambda: len(grsai.requests_to("/v1/chat/completions")) == 110, timeout=30)
    await tg.wait_for(lambda: all(texts_of(tg, u) == ["慢慢回答"] for u in range(3000, 3110)),
                      timeout=60)  # fmt: skip
    # Not starved: the submit reached GrsAI while every stream still held its connection, before
    # the first answer (10 s after its question) could be shown. A starved submit waits for one.
    [draw] = grsai.requests_to(DRAW_PATH)
    answered = min(c.at for c in tg.calls if c.ok and "慢慢回答" in str(c.params.get("text")))
    assert draw.at < answered, (draw.at, answered)
