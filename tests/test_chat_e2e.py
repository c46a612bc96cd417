"""Chat as a user meets it: real Application ↔ fake Telegram ↔ fake GrsAI, over HTTP."""

from __future__ import annotations

import base64

import pytest

from bot.core import texts
from bot.tg.outbound.markdown import render_chunks
from tests.fakes.grsai import CHAT_PATH, ChatScript, FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, updates_handled
from tests.media import make_png

USER = 1001


def texts_of(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in tg.bot_messages(chat_id)]


async def ask_private(bot: RunningBot, tg: FakeTelegram, text: str, user: int = USER) -> dict:
    chat = tg.private_chat(user)
    before = len(tg.bot_messages(chat["id"]))
    tg.send_text(chat, user, text)
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) > before)
    await updates_handled(bot, tg)  # the answer is complete
    return chat


async def test_start_help_and_command_menu_are_chinese(tg: FakeTelegram, bot: RunningBot) -> None:
    chat = await ask_private(bot, tg, "/start")
    assert "你好" in texts_of(tg, chat["id"])[-1]
    await ask_private(bot, tg, "/help")
    help_text = texts_of(tg, chat["id"])[-1]
    offered = [c for c, _ in texts.COMMANDS if c != "story"]  # GrsAI alone has no storyboards
    for command in offered:
        if command not in ("start", "help"):
            assert f"/{command}" in help_text
    menus = tg.calls_to("setMyCommands")
    scopes = {call.params["scope"]["type"] for call in menus if call.ok}
    assert scopes == {"all_private_chats", "all_group_chats"}
    for call in menus:
        names = [c["command"] for c in call.params["commands"]]
        assert names == offered
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c["description"])
                   for c in call.params["commands"])  # fmt: skip


async def test_private_answer_streams_as_drafts_and_ends_formatted(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    answer = "**重点**：使用 `pip install` 安装。\n\n- 第一步\n- 第二步\n\n" + "详细说明。" * 60
    grsai.script_chat(ChatScript(text=answer, chunk_size=15, delay=0.02))
    chat = await ask_private(bot, tg, "怎么安装？")
    final = tg.bot_messages(chat["id"])[-1]
    expected = render_chunks(answer)[0]
    assert final["text"] == expected.text
    types = {e["type"] for e in final.get("entities", [])}
    assert {"bold", "code"} <= types
    assert len(tg.drafts.get(chat["id"], [])) >= 2, "the answer should be previewed while streaming"
    assert tg.calls_to("sendChatAction"), "typing is shown while waiting"
    assert tg.flood_events == []


async def test_conversation_memory_and_new(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_chat(ChatScript(text="我记住了，你叫小明。"))
    await ask_private(bot, tg, "我叫小明")
    grsai.script_chat(ChatScript(text="你叫小明。"))
    await ask_private(bot, tg, "我叫什么？")
    second = grsai.requests_to("/v1/chat/completions")[-1].json
    contents = [m["content"] for m in second["messages"]]
    assert contents[0] and second["messages"][0]["role"] == "system"
    assert contents[1:] == ["我叫小明", "我记住了，你叫小明。", "我叫什么？"]

    chat = await ask_private(bot, tg, "/new")
    assert texts_of(tg, chat["id"])[-1] == texts.NEW_CONVERSATION
    await ask_private(bot, tg, "我叫什么？")
    third = grsai.requests_to("/v1/chat/completions")[-1].json
    assert [m["role"] for m in third["messages"]] == ["system", "user"]


async def test_model_choice_is_remembered(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = await ask_private(bot, tg, "/model")
    menu = tg.bot_messages(chat["id"])[-1]
    buttons = [row[0] for row in menu["reply_markup"]["inline_keyboard"]]
    assert [b["text"] for b in buttons][2] == texts.MODEL_MARK + "gemini-2.5-flash"
    pro = next(b for b in buttons if b["text"] == "gemini-3-pro")
    tg.press_button(menu, pro["callback_data"], USER)
    await tg.wait_for(lambda: "gemini-3-pro" in (tg.bot_messages(chat["id"])[-1].get("text") or ""))
    await updates_handled(bot, tg)
    marked = tg.bot_messages(chat["id"])[-1]["reply_markup"]["inline_keyboard"][0][0]["text"]
    assert marked == texts.MODEL_MARK + "gemini-3-pro"
    await ask_private(bot, tg, "你好")
    assert grsai.requests_to("/v1/chat/completions")[-1].json["model"] == "gemini-3-pro"


async def test_someone_else_cannot_press_my_model_buttons(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    group = tg.group_chat(-100500)
    tg.send_text(group, USER, "/model")
    await tg.wait_for(lambda: len(tg.bot_messages(group["id"])) == 1)
    menu = tg.bot_messages(group["id"])[0]
    data = menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    tg.press_button(menu, data, 2002)
    await tg.wait_for(lambda: any(c.ok for c in tg.calls_to("answerCallbackQuery")))
    answer = tg.calls_to("answerCallbackQuery")[-1]
    assert answer.params["text"] == texts.BUTTON_FORBIDDEN
    assert await bot.services.chat.model_for(2002) == "gemini-2.5-flash"


async def test_photo_question_sends_image_parts(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    picture = make_png(32, 24)
    tg.send_photo(chat, USER, picture, caption="图里有什么？")
    await tg.wait_for(lambda: len(grsai.requests_to("/v1/chat/completions")) == 1)
    body = grsai.requests_to("/v1/chat/completions")[0].json
    parts = body["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": "图里有什么？"}
    url = parts[1]["image_url"]["url"]
    assert url.startswith("data:image/") and base64.b64decode(url.split(",", 1)[1]) == picture


async def test_album_is_one_question_with_all_photos(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    tg.send_photo(chat, USER, make_png(10, 10), caption="比较这三张", media_group_id="g1")
    tg.send_photo(chat, USER, make_png(11, 11), media_group_id="g1")
    tg.send_photo(chat, USER, make_png(12, 12), media_group_id="g1")
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) == 1)
    await updates_handled(bot, tg)
    requests = grsai.requests_to("/v1/chat/completions")
    assert len(requests) == 1
    parts = requests[0].json["messages"][-1]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "image_url", "image_url"]


async def test_group_answers_only_when_addressed(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    group = tg.group_chat(-100600)
    tg.send_text(group, USER, "大家好")
    tg.send_text(group, 2002, "今天天气不错")
    await updates_handled(bot, tg)
    assert grsai.requests_to("/v1/chat/completions") == []
    assert tg.bot_messages(group["id"]) == []

    grsai.script_chat(ChatScript(text="我在。"))
    asked = tg.send_text(group, USER, "/ask 你在吗")
    await tg.wait_for(lambda: len(tg.bot_messages(group["id"])) == 1)
    first = tg.bot_messages(group["id"])[0]
    assert first["reply_to_message"]["message_id"] == asked["message_id"]
    assert first["text"] == "我在。"

    grsai.script_chat(ChatScript(text="收到提及。"))
    tg.send_text(group, USER, f"@{tg.bot_username} 讲个笑话")
    await tg.wait_for(lambda: len(tg.bot_messages(group["id"])) == 2)
    assert (
        grsai.requests_to("/v1/chat/completions")[-1].json["messages"][-1]["content"] == "讲个笑话"
    )

    grsai.script_chat(ChatScript(text="继续。"))
    tg.send_text(group, USER, "再来一个", reply_to=first["message_id"])
    await tg.wait_for(lambda: len(tg.bot_messages(group["id"])) == 3)
    # The user's thread in this group remembers the earlier turns.
    history = grsai.requests_to("/v1/chat/completions")[-1].json["messages"]
    assert [m["content"] for m in history[1:]] == [
        "你在吗", "我在。", "讲个笑话", "收到提及。", "再来一个"
    ]  # fmt: skip

    other_user_message = tg.send_text(group, 2002, "随便说说")
    tg.send_text(group, USER, "回复别人", reply_to=other_user_message["message_id"])
    await updates_handled(bot, tg)
    assert len(grsai.requests_to("/v1/chat/completions")) == 3
    assert tg.flood_events == []


async def test_long_answer_continues_in_more_messages(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    paragraphs = [f"第{i}段：" + "内容很长的一段话。" * 40 for i in range(30)]
    answer = "\n\n".join(paragraphs)
    grsai.script_chat(ChatScript(text=answer, chunk_size=400))
    chat = await ask_private(bot, tg, "写长文")
    await updates_handled(bot, tg)
    sent = texts_of(tg, chat["id"])
    assert len(sent) >= 3
    assert all(len(t.encode("utf-16-le")) // 2 <= 4096 for t in sent)
    joined = "".join(sent)
    for paragraph in paragraphs:
        assert paragraph in joined.replace("\n", "") or paragraph in joined
    assert tg.flood_events == []


@pytest.mark.parametrize(
    "answer, must_contain",
    [
        ("**没有闭合的粗体 还有文字", ["没有闭合的粗体", "还有文字"]),
        ("```python\nprint('未闭合的代码块')\n还有一行", ["print('未闭合的代码块')", "还有一行"]),
        ("讲 <div> 标签和 a < b 的比较", ["<div>", "a < b"]),
    ],
)
async def test_bad_markdown_never_loses_text(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, answer: str, must_contain: list[str]
) -> None:
    grsai.script_chat(ChatScript(text=answer))
    chat = await ask_private(bot, tg, "试试")
    final = texts_of(tg, chat["id"])[-1]
    for piece in must_contain:
        assert piece in final


async def test_telegram_429_is_honoured_and_the_answer_completes(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    answer = "这是一个完整的回答，" * 30
    grsai.script_chat(ChatScript(text=answer, chunk_size=10, delay=0.01))
    tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    chat = await ask_private(bot, tg, "你好")
    await tg.wait_for(lambda: texts_of(tg, chat["id"])[-1:] == [answer.strip()], timeout=10)
    rejected = [c for c in tg.calls_to("sendMessage") if c.error_code == 429]
    accepted = [c for c in tg.calls_to("sendMessage") if c.ok]
    assert rejected and accepted
    assert accepted[-1].at - rejected[0].at >= 1.0, "retry_after must be waited out"


async def test_group_answer_survives_429_on_edits_and_deletion(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    group = tg.group_chat(-100700)
    answer = "".join(f"第{i}句。" for i in range(200))
    grsai.script_chat(ChatScript(text=answer, chunk_size=20, delay=0.02))
    tg.fail_next("editMessageText", 429, "Too Many Requests: retry after 1", retry_after=1, times=2)
    tg.send_text(group, USER, "/ask 数数")
    await tg.wait_for(lambda: texts_of(tg, group["id"])[-1:] == [answer], timeout=15)
    assert tg.flood_events == []

    # Still streaming when its first message appears (after the group's pace): an answer
    # complete by then would go out as one final message instead.
    grsai.script_chat(ChatScript(text="长回答" * 100, chunk_size=5, delay=0.12))
    tg.send_text(group, USER, "/ask 再来")
    await tg.wait_for(lambda: len(tg.bot_messages(group["id"])) == 2)
    tg.user_deletes(group["id"], tg.bot_messages(group["id"])[-1]["message_id"])
    await tg.wait_for(lambda: texts_of(tg, group["id"])[-1:] == ["长回答" * 100], timeout=15)


@pytest.mark.parametrize(
    "script, expected",
    [
        (ChatScript(status=401), texts.ERR_AUTH),
        (ChatScript(status=402), texts.ERR_CREDITS),
        (ChatScript(status=403), texts.ERR_FORBIDDEN),
        (ChatScript(status=429), texts.ERR_RATE_LIMITED),
        (ChatScript(text="半句", drop_after=0), texts.ERR_STREAM_DROPPED_EMPTY),
    ],
)
async def test_upstream_errors_are_explained_in_chinese(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, script: ChatScript, expected: str
) -> None:
    grsai.script_chat(script)
    chat = await ask_private(bot, tg, "你好")
    assert texts_of(tg, chat["id"])[-1] == expected
    grsai.script_chat(ChatScript(text="恢复了"))
    await ask_private(bot, tg, "再试")
    assert texts_of(tg, chat["id"])[-1] == "恢复了"


async def test_server_error_on_both_hosts_is_explained(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_chat(ChatScript(status=502))
    grsai.script_chat(ChatScript(status=502))
    chat = await ask_private(bot, tg, "你好")
    assert texts_of(tg, chat["id"])[-1] == texts.ERR_SERVER.format(status=502)


async def test_dropped_stream_keeps_the_partial_answer(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_chat(ChatScript(text="第一部分。第二部分。第三部分。", chunk_size=5, drop_after=2))
    chat = await ask_private(bot, tg, "你好")
    final = texts_of(tg, chat["id"])[-1]
    assert final.startswith("第一部分。第二部分")
    assert texts.ERR_STREAM_DROPPED in final


class TestShortTimeout:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return {"provider_read_timeout": 1.0, "chat_first_token_timeout": 1.0}

    async def test_upstream_timeout_is_explained(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        grsai.script_chat(ChatScript(hang=True))
        grsai.script_chat(ChatScript(hang=True))
        chat = await ask_private(bot, tg, "你好")
        assert texts_of(tg, chat["id"])[-1] == texts.ERR_TIMEOUT


async def test_unhandled_updates_never_crash(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    sent = tg.send_text(chat, USER, "你好")
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) == 1)
    tg.edit_text(sent, "你好呀")
    tg.send_sticker(chat, USER)
    tg.send_voice(chat, USER)
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) == 3)
    await updates_handled(bot, tg)
    assert texts_of(tg, chat["id"])[1:] == [texts.UNSUPPORTED_MESSAGE] * 2
    assert len(grsai.requests_to("/v1/chat/completions")) == 1
    # Still serving afterwards.
    await ask_private(bot, tg, "还在吗")
    assert len(grsai.requests_to("/v1/chat/completions")) == 2


async def test_empty_and_overlong_prompts_get_a_clear_answer(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = await ask_private(bot, tg, "/ask")
    assert texts_of(tg, chat["id"])[-1] == texts.ASK_EMPTY
    await ask_private(bot, tg, "长" * 9000)
    assert texts_of(tg, chat["id"])[-1] == texts.PROMPT_TOO_LONG.format(length=9000, limit=8000)
    assert grsai.requests_to("/v1/chat/completions") == []


async def test_two_users_are_served_concurrently(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_chat(ChatScript(text="慢回答", first_delay=3.0))
    grsai.script_chat(ChatScript(text="快回答"))
    slow, fast = tg.private_chat(1), tg.private_chat(2)
    tg.send_text(slow, 1, "慢问题")
    # The slow question is at the provider (it takes the first script) before the fast one.
    await tg.wait_for(lambda: len(grsai.requests_to(CHAT_PATH)) == 1)
    tg.send_text(fast, 2, "快问题")
    await tg.wait_for(lambda: texts_of(tg, 2) == ["快回答"], timeout=10)
    assert texts_of(tg, 1) == []  # answered while the slow one still waits for its first token
    await tg.wait_for(lambda: texts_of(tg, 1) == ["慢回答"], timeout=10)


def _unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestDomesticHostDown:
    @pytest.fixture
    def settings_overrides(self, grsai: FakeGrsAI) -> dict:
        return {
            "grsai_base_url": f"http://127.0.0.1:{_unused_port()}",
            "grsai_fallback_base_url": grsai.base_url,
        }

    async def test_chat_fails_over_to_the_overseas_host(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        grsai.script_chat(ChatScript(text="来自备用线路"))
        chat = await ask_private(bot, tg, "你好")
        assert texts_of(tg, chat["id"])[-1] == "来自备用线路"


class TestDomesticHostErrors:
    @pytest.fixture
    def settings_overrides(self, grsai: FakeGrsAI) -> dict:
        # Two names for the same fake: "domestic" and "overseas" hosts.
        return {
            "grsai_base_url": grsai.base_url.replace("127.0.0.1", "localhost"),
            "grsai_fallback_base_url": grsai.base_url,
        }

    async def test_5xx_on_the_domestic_host_fails_over(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        grsai.script_chat(ChatScript(status=502))
        grsai.script_chat(ChatScript(text="第二条线路答复"))
        chat = await ask_private(bot, tg, "你好")
        assert texts_of(tg, chat["id"])[-1] == "第二条线路答复"
        hosts = [r.headers.get("Host") for r in grsai.requests_to("/v1/chat/completions")]
        assert hosts[0].startswith("localhost") and hosts[1].startswith("127.0.0.1")


async def test_typing_takes_no_slot_of_the_group_budget(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    group = tg.group_chat(-100900)
    grsai.script_chat(ChatScript(text="马上回答", first_delay=0.2))
    tg.send_text(group, USER, "/ask 快")
    await tg.wait_for(lambda: len(tg.bot_messages(group["id"])) == 1)
    typing = tg.calls_to("sendChatAction")[0]
    first = next(c for c in tg.calls_to("sendMessage") if c.ok)
    # The group's pace is one visible message per ~3 s; "typing" must not spend it.
    assert first.at - typing.at < 1.0
