"""The fake Telegram server must be at least as strict as the real one.

Every test drives it through a real PTB ``telegram.Bot`` so that PTB's actual request encoding
(form fields, JSON-encoded objects, multipart uploads) is what gets validated.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import struct
import zlib
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

USER = 1001
GROUP = -100500


def make_png(width: int, height: int) -> bytes:
    """A real (tiny, 1-bit) PNG so dimension parsing sees genuine headers."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def kind_of(update: Update) -> str:
    message = update.effective_message
    assert message is not None
    return next(k for k in ("document", "video", "sticker", "voice", "text", "photo") if message[k])


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.private_chat(USER, "小明")
        fake.group_chat(GROUP, "测试群")
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as b:
        yield b


async def test_get_me_and_bad_token_401(tg: FakeTelegram, bot: Bot) -> None:
    assert bot.username == tg.bot_username
    assert bot.id == tg.bot_id
    assert bot.bot.can_read_all_group_messages is False
    wrong = Bot("999:WRONG", base_url=tg.base_url, base_file_url=tg.base_file_url)
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    await wrong.shutdown()
    assert tg.calls[-1].error_code == 401
    assert tg.calls[-1].description == "Unauthorized"


async def test_unknown_method_and_case_insensitive_names(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("send_banana", api_kwargs={"chat_id": USER})
    assert tg.calls[-1].error_code == 404
    await bot.do_api_request("SENDMESSAGE", api_kwargs={"chat_id": USER, "text": "hi"})
    assert tg.calls[-1].method == "sendMessage"
    assert tg.calls[-1].ok


async def test_unknown_parameter_rejected(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)unknown parameter parse_mod"):
        await bot.send_message(USER, "hi", api_kwargs={"parse_mod": "HTML"})
    assert tg.bot_messages(USER) == []


async def test_unknown_chat_and_params_are_decoded(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(4242, "hi")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="ok")]])
    await bot.send_message(USER, "<b>hi</b>", parse_mode="HTML", reply_markup=markup)
    params = tg.calls_to("sendMessage")[-1].params
    assert params["chat_id"] == USER
    assert params["reply_markup"] == {"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}
    assert tg.flood_events == []


async def test_text_length_in_utf16_units(tg: FakeTelegram, bot: Bot) -> None:
    tg.flood_private_interval = 0
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "a" * 4097)
    # Emoji outside the BMP count twice: 2049 of them are 4098 units.
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "😀" * 2049)
    await bot.send_message(USER, "😀" * 2048)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "   \n ")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(USER, make_png(10, 10), caption="x" * 1025)


async def test_html_parsing(tg: FakeTelegram, bot: Bot) -> None:
    tg.flood_private_interval = 0
    for bad in ("<b>x</i>", "1 < 2", "<b>open", "AT&T", "<foo>x</foo>", "<span>x</span>"):
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(USER, bad, parse_mode="HTML")
    msg = await bot.send_message(
        USER,
        '<b>粗</b> <a href="https://x.org">链接</a> &lt;ok&gt; <pre><code class="language-py">'
        "x = 1</code></pre> <tg-spoiler>秘</tg-spoiler>",
        parse_mode="HTML",
    )
    assert msg.text == "粗 链接 <ok> x = 1 秘"
    kinds = [(e.type, e.offset, e.length) for e in msg.entities]
    assert kinds == [("bold", 0, 1), ("text_link", 2, 2), ("pre", 10, 5), ("spoiler", 16, 1)]
    assert msg.entities[2].language == "py"
    assert tg.bot_messages(USER)[-1]["entities"][1]["url"] == "https://x.org"


async def test_markdown_v2_reserved_characters(tg: FakeTelegram, bot: Bot) -> None:
    tg.flood_private_interval = 0
    with pytest.raises(BadRequest, match=r"(?i)Character '\.' is reserved"):
        await bot.send_message(USER, "Hello.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "*unclosed", parse_mode="MarkdownV2")
    msg = await bot.send_message(
        USER,
        "*粗* _斜_ __下__ ||藏|| `a.b` [链](https://x.org/a_(b\\)) 1\\.0",
        parse_mode="MarkdownV2",
    )
    assert msg.text == "粗 斜 下 藏 a.b 链 1.0"
    assert [e.type for e in msg.entities] == [
        "bold",
        "italic",
        "underline",
        "spoiler",
        "code",
        "text_link",
    ]
    assert msg.entities[-1].url == "https://x.org/a_(b)"
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "snake_case", parse_mode="Markdown")


async def test_explicit_entities_are_checked(tg: FakeTelegram, bot: Bot) -> None:
    tg.flood_private_interval = 0
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "hi", entities=[MessageEntity("bold", 0, 10)])
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "hi", entities=[MessageEntity("text_link", 0, 2)])
    msg = await bot.send_message(
        USER, "😀 hi", entities=[MessageEntity("italic", 3, 2), MessageEntity("bold", 0, 2)]
    )
    assert [(e.type, e.offset) for e in msg.entities] == [("bold", 0), ("italic", 3)]


async def test_edit_not_modified_and_keyboard_removal(tg: FakeTelegram, bot: Bot) -> None:
    tg.flood_private_interval = 0
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]])
    msg = await bot.send_message(USER, "v1", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("v1", USER, msg.message_id, reply_markup=markup)
    # Trailing whitespace is trimmed by Telegram, so this is still "not modified".
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("v1 \n", USER, msg.message_id, reply_markup=markup)
    # Omitting reply_markup removes the keyboard, so that *is* a modification.
    await bot.edit_message_text("v1", USER, msg.message_id)
    stored = tg.bot_messages(USER)[-1]
    assert stored["text"] == "v1"
    assert "reply_markup" not in stored
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(USER, msg.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", USER, 9999)


async def test_edit_after_user_deletes(tg: FakeTelegram, bot: Bot) -> None:
    tg.flood_private_interval = 0
    msg = await bot.send_message(USER, "生成中…")
    tg.user_deletes(USER, msg.message_id)
    assert tg.chat_messages(USER) == []
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("完成", USER, msg.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER, msg.message_id)


async def test_drafts_private_only(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)TEXTDRAFT_PEER_INVALID"):
        await bot.send_message_draft(GROUP, 7, "思考中")
    assert await bot.send_message_draft(USER, 7, "思考中")
    assert [c.params["text"] for c in tg.drafts[USER]] == ["思考中"]
    assert tg.chat_messages(USER) == []  # drafts are not messages


async def test_private_flood_429_retry_after(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "one")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "two")
    # parameters.retry_after reached PTB (as seconds or, with PTB_TIMEDELTA, a timedelta)
    assert info.value.retry_after in (1, dt.timedelta(seconds=1))
    assert len(tg.flood_events) == 1
    assert tg.flood_events[0].description == "Too Many Requests: retry after 1"
    last = tg.calls_to("sendMessage")[-1]
    assert (last.ok, last.error_code) == (False, 429)
    await asyncio.sleep(tg.flood_private_interval)
    await bot.send_message(USER, "two")
    assert [m["text"] for m in tg.bot_messages(USER)] == ["one", "two"]


async def test_group_flood_window(tg: FakeTelegram, bot: Bot) -> None:
    tg.flood_group_per_minute = 3
    for i in range(3):
        await bot.send_message(GROUP, f"m{i}")
    with pytest.raises(RetryAfter):
        await bot.send_message(GROUP, "m3")
    assert len(tg.flood_events) == 1


async def test_scripted_failures(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", 400, "Bad Request: chat not found")
    tg.fail_next("sendmessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(USER, "x")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "x")
    assert tg.flood_events == []  # scripted errors are not the fake's own flood control
    await bot.send_message(USER, "x")
    assert [c.error_code for c in tg.calls_to("sendMessage")] == [400, 429, None]


async def test_photo_upload_dimensions_and_reuse(tg: FakeTelegram, bot: Bot) -> None:
    tg.flood_private_interval = 0
    png = make_png(2000, 1000)
    msg = await bot.send_photo(USER, png, caption="<i>猫</i>", parse_mode="HTML")
    largest = msg.photo[-1]
    assert (largest.width, largest.height) == (1280, 640)
    assert msg.caption == "猫"
    assert msg.caption_entities[0].type == "italic"
    assert tg.uploaded_file(largest.file_id) == png
    again = await bot.send_photo(USER, largest.file_id)
    assert [p.file_unique_id for p in again.photo] == [p.file_unique_id for p in msg.photo]
    with pytest.raises(BadRequest, match=r"(?i)PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(USER, make_png(100, 2500))
    with pytest.raises(BadRequest, match=r"(?i)PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(USER, make_png(6000, 4500))
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(USER, b"definitely not an image")
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier/HTTP URL specified"):
        await bot.send_photo(USER, "https://example.com/cat.png")


async def test_media_group(tg: FakeTelegram, bot: Bot) -> None:
    png = make_png(64, 64)
    with pytest.raises(BadRequest, match=r"(?i)too few media"):
        await bot.send_media_group(USER, [InputMediaPhoto(png)])
    msgs = await bot.send_media_group(
        USER, [InputMediaPhoto(png, caption="一"), InputMediaPhoto(make_png(32, 16))]
    )
    assert len(msgs) == 2
    assert msgs[0].media_group_id == msgs[1].media_group_id
    assert msgs[0].caption == "一"
    assert tg.uploaded_file(msgs[1].photo[-1].file_id) == make_png(32, 16)


async def test_document_over_50mb_is_413(tg: FakeTelegram, bot: Bot) -> None:
    tg.flood_private_interval = 0
    with pytest.raises(NetworkError, match=r"(?i)Request Entity Too Large"):
        await bot.send_document(USER, bytes(50 * 1024 * 1024 + 1), filename="big.bin")
    assert tg.calls_to("sendDocument")[-1].error_code == 413
    doc = await bot.send_document(USER, b"%PDF-1.4", filename="a.pdf")
    assert doc.document.file_name == "a.pdf"
    assert doc.document.mime_type == "application/pdf"
    video = await bot.send_video(USER, b"\x00\x00\x00\x18ftypmp4", width=720, height=1280)
    assert (video.video.width, video.video.height) == (720, 1280)


async def test_get_file_and_download_user_photo(tg: FakeTelegram, bot: Bot) -> None:
    png = make_png(300, 200)
    sent = tg.send_photo(tg.private_chat(USER), USER, png, caption="改成夜景")
    file_id = sent["photo"][-1]["file_id"]
    tg_file = await bot.get_file(file_id)
    assert tg_file.file_size == len(png)
    assert bytes(await tg_file.download_as_bytearray()) == png
    with pytest.raises(BadRequest):
        await bot.get_file("nonexistent")
    big = tg.send_document(
        tg.private_chat(USER),
        USER,
        bytes(20 * 1024 * 1024 + 1),
        file_name="big.zip",
        mime_type="application/zip",
    )
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(big["document"]["file_id"])


async def test_get_updates_delivers_command(tg: FakeTelegram, bot: Bot) -> None:
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "你好 /draw@banana_test_bot 一只猫")
    updates = await bot.get_updates(timeout=1)
    assert len(updates) == 1
    message = updates[0].message
    assert message.text == "你好 /draw@banana_test_bot 一只猫"
    assert message.entities[0].type == "bot_command"
    assert (message.entities[0].offset, message.entities[0].length) == (3, 21)
    assert message.parse_entities([MessageEntity.BOT_COMMAND]) == {
        message.entities[0]: "/draw@banana_test_bot"
    }
    # Long polling: the request waits until the user writes.
    poll = asyncio.create_task(bot.get_updates(offset=updates[0].update_id + 1, timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    tg.send_text(chat, USER, "/start")
    more = await asyncio.wait_for(poll, 2)
    assert [u.message.text for u in more] == ["/start"]


async def test_replies_carry_full_message(tg: FakeTelegram, bot: Bot) -> None:
    tg.flood_private_interval = 0
    chat = tg.private_chat(USER)
    photo_msg = await bot.send_photo(USER, make_png(50, 50))
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(USER, "x", reply_parameters=ReplyParameters(4242))
    tg.send_text(chat, USER, "再来一张", reply_to=photo_msg.message_id)
    (update,) = await bot.get_updates()
    reply = update.message.reply_to_message
    assert reply is not None
    assert reply.from_user.is_bot
    assert reply.photo[-1].file_id == photo_msg.photo[-1].file_id


async def test_group_privacy_mode(tg: FakeTelegram, bot: Bot) -> None:
    group = tg.group_chat(GROUP)
    tg.send_text(group, 7, "随便聊聊")
    tg.send_text(group, 7, "/draw@other_bot 猫")
    tg.send_text(group, 7, "@banana_test_bot 画猫")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates] == ["@banana_test_bot 画猫"]
    assert len(tg.chat_messages(GROUP)) == 3  # everyone still sees all three


async def test_callback_query_answered_once(tg: FakeTelegram, bot: Bot) -> None:
    too_long = "x" * 65
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            USER,
            "?",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("a", callback_data=too_long)]]
            ),
        )
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("重画", callback_data="redo:1")]])
    msg = await bot.send_message(USER, "完成", reply_markup=markup)
    stored = tg.bot_messages(USER)[-1]
    query_id = tg.press_button(stored, "redo:1", USER)
    (update,) = await bot.get_updates()
    assert update.callback_query.id == query_id
    assert update.callback_query.data == "redo:1"
    assert update.callback_query.message.message_id == msg.message_id
    assert await update.callback_query.answer("好的")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    assert tg.callback_answers[query_id]["text"] == "好的"


async def test_set_my_commands_validation(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start", "开始")])
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("x" * 33, "太长")])
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_DESCRIPTION_INVALID"):
        await bot.set_my_commands([BotCommand("start", "")])
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMANDS_TOO_MUCH"):
        await bot.set_my_commands([BotCommand(f"c{i}", "d") for i in range(101)])
    await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("draw", "画图")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "draw"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_wait_helpers(tg: FakeTelegram, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_chat_action(USER, "typing")

    task = asyncio.create_task(later())
    await tg.wait_for(lambda: bool(tg.calls_to("sendChatAction")), timeout=2)
    await tg.wait_idle(quiet=0.1, timeout=2)
    await task
    with pytest.raises(AssertionError, match=r"(?i)sendChatAction"):
        await tg.wait_for(lambda: False, timeout=0.05)
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")


async def test_application_polling_roundtrip(tg: FakeTelegram) -> None:
    """A full PTB Application (Updater long polling) works against the fake and stops fast."""
    from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("欢迎", do_quote=True)

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        file = await update.effective_message.photo[-1].get_file()
        data = await file.download_as_bytearray()
        await update.effective_message.reply_document(bytes(data), filename="back.png")

    app = (
        Application.builder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    chat = tg.private_chat(USER)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        tg.send_text(chat, USER, "/start")
        await tg.wait_for(lambda: len(tg.bot_messages(USER)) == 1, timeout=5)
        png = make_png(40, 30)
        await asyncio.sleep(tg.flood_private_interval)
        tg.send_photo(chat, USER, png)
        await tg.wait_for(lambda: len(tg.bot_messages(USER)) == 2, timeout=5)
        await tg.wait_for(lambda: not tg.pending_updates, timeout=5)  # both taken
        await asyncio.wait_for(app.update_queue.join(), 5)  # and both handlers returned
        await app.updater.stop()
        await app.stop()
    first, second = tg.bot_messages(USER)
    assert first["text"] == "欢迎"
    assert first["reply_to_message"]["text"] == "/start"
    assert tg.uploaded_file(second["document"]["file_id"]) == png
    assert tg.flood_events == []


async def test_user_message_kinds_parse_in_ptb(tg: FakeTelegram, bot: Bot) -> None:
    chat = tg.private_chat(USER)
    group = tg.group_chat(GROUP)
    tg.send_document(chat, USER, b"%PDF", file_name="a.pdf", mime_type="application/pdf")
    tg.send_video(chat, USER, b"\x00\x00\x00\x18ftyp", caption="视频")
    tg.send_sticker(chat, USER)
    tg.send_voice(chat, USER)
    text = tg.send_text(chat, USER, "hi @someone")
    tg.edit_text(text, "/help")
    tg.send_photo(group, 7, make_png(8, 8), caption="/edit@banana_test_bot 改", media_group_id="g1")
    updates = await bot.get_updates()
    kinds = [kind_of(u) for u in updates]
    assert kinds == ["document", "video", "sticker", "voice", "text", "text", "photo"]
    assert updates[4].message.entities[0].type == "mention"
    assert updates[5].edited_message is not None
    assert updates[5].edited_message.text == "/help"
    assert updates[6].message.media_group_id == "g1"
    assert updates[6].message.caption_entities[0].type == "bot_command"
