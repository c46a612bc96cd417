"""/draw through the chat format (the unified aggregator and 聚合API, model gpt-4o-image), as a
user meets it: the real bot, the fake Telegram, the fake providers over loopback HTTP.

Generation and editing on both providers, every answer shape the models write, answers without
a picture, a dead picture link, a cut stream, fallback from GrsAI, and a restart mid-stream.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import SecretStr

from bot.core import texts
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.juhe import FakeJuhe
from tests.fakes.openai_base import IMAGE_MODEL, ImageReply
from tests.fakes.telegram import FakeTelegram
from tests.fakes.unified import FakeUnified
from tests.harness import RunningBot, at_rest
from tests.media import make_png
from tests.waiting import settled_job

USER = 1001
DRAW = "/v1/draw/nano-banana"


@pytest.fixture
def settings_overrides(
    request: pytest.FixtureRequest, unified: FakeUnified, juhe: FakeJuhe
) -> dict:
    """Both chat-image providers switched on; the test's parameter sets IMAGE_PROVIDERS."""
    return {
        "unified_api_key": SecretStr(unified.api_key), "unified_base_url": unified.base_url,
        "juhe_api_key": SecretStr(juhe.api_key), "juhe_base_url": juhe.base_url,
        "image_providers": ["unified"],
        **getattr(request, "param", {}),
    }  # fmt: skip


def image_route(names: str) -> pytest.MarkDecorator:
    values = {"image_providers": [n.strip() for n in names.split(",")]}
    return pytest.mark.parametrize("settings_overrides", [values], indirect=True)


both_providers = pytest.mark.parametrize(
    "settings_overrides, which",
    [({"image_providers": ["unified"]}, "unified"), ({"image_providers": ["juhe"]}, "juhe")],
    indirect=["settings_overrides"],
)


def photos(tg: FakeTelegram, chat_id: int) -> list[dict]:
    return [m for m in tg.bot_messages(chat_id) if m.get("photo")]


def status(tg: FakeTelegram, chat_id: int) -> str:
    messages = tg.bot_messages(chat_id)
    return (messages[0].get("text") or "") if messages else ""


def photo_bytes(tg: FakeTelegram, message: dict) -> bytes:
    return tg.uploaded_file(message["photo"][-1]["file_id"])


def sent_images(body: dict[str, Any]) -> list[bytes]:
    """The reference pictures a chat image request carried (decoded data URLs)."""
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return []
    return [base64.b64decode(p["image_url"]["url"].partition(",")[2])
            for p in content if p["type"] == "image_url"]  # fmt: skip


def prompt_of(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return "".join(p["text"] for p in content if p["type"] == "text")


async def draw(bot: RunningBot, tg: FakeTelegram, text: str, count: int = 1, **kw: Any) -> dict:
    chat = tg.private_chat(USER)
    before = len(photos(tg, chat["id"]))
    tg.send_text(chat, USER, text, **kw)
    await tg.wait_for(lambda: len(photos(tg, chat["id"])) >= before + count, timeout=20)
    await at_rest(bot, tg)
    return chat


async def draw_and_fail(bot: RunningBot, tg: FakeTelegram, text: str) -> str:
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, text)
    # A failure ends the status with ❌, an expired/dead result link with ⌛.
    await tg.wait_for(lambda: any(m in status(tg, chat["id"]) for m in "❌⌛"), timeout=20)
    await at_rest(bot, tg)
    assert photos(tg, chat["id"]) == []
    return status(tg, chat["id"])


# -- generation and editing on each provider ---------------------------------------------------


@both_providers
async def test_draw_generates_through_the_chat_format_with_progress(
    tg: FakeTelegram, unified: FakeUnified, juhe: FakeJuhe, bot: RunningBot, which: str
) -> None:
    fake = unified if which == "unified" else juhe
    fake.script_image(ImageReply(delay=0.2))
    chat = await draw(bot, tg, "/draw 16:9 2K 一只橘猫")
    [body] = fake.image_requests
    assert body["model"] == IMAGE_MODEL and body["stream"] is True
    assert prompt_of(body).startswith("一只橘猫") and "画面比例 16:9" in prompt_of(body)
    assert "2048" in prompt_of(body)
    [photo] = photos(tg, chat["id"])
    assert photo_bytes(tg, photo) == fake.image_data(fake.image_urls[0])
    # The picture came back 64×48, not 16:9 2K: the existing note says so.
    assert "64×48" in photo["caption"] and "16:9" in photo["caption"]
    assert photo["reply_markup"]["inline_keyboard"][0][0]["text"] == texts.BUTTON_AGAIN
    edits = [c.params.get("text") or "" for c in tg.calls_to("editMessageText") if c.ok]
    assert any("%" in text for text in edits), edits  # the model's "进度 …" lines, shown
    # The last status edit is paced: wait for it rather than read it after a quiet period.
    done = texts.JOB_STATE_DONE.split("{")[0]
    await tg.wait_for(lambda: done in status(tg, chat["id"]), timeout=20)
    job = await settled_job(bot.services, 1)
    assert job is not None and job.provider == which and job.state == "done"
    async with bot.services.db.conn.execute("SELECT provider FROM usage WHERE job_id = 1") as c:
        assert [row[0] for row in await c.fetchall()] == [which]


@both_providers
async def test_editing_sends_the_bot_result_and_a_reply_photo_as_image_parts(
    tg: FakeTelegram, unified: FakeUnified, juhe: FakeJuhe, bot: RunningBot, which: str
) -> None:
    fake = unified if which == "unified" else juhe
    chat = await draw(bot, tg, "/draw 一座城堡")
    result = photos(tg, chat["id"])[-1]
    await draw(bot, tg, "/draw 加上烟花", reply_to=result["message_id"])
    assert sent_images(fake.image_requests[-1]) == [photo_bytes(tg, result)]
    assert prompt_of(fake.image_requests[-1]) == "加上烟花"

    picture = make_png(30, 30, "reply")
    sent = tg.send_photo(chat, USER, picture)
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) >= 5)  # asks for a caption
    await draw(bot, tg, "/draw 加一顶帽子", reply_to=sent["message_id"])
    assert sent_images(fake.image_requests[-1]) == [picture]
    assert len(photos(tg, chat["id"])) == 3


@image_route("juhe")
async def test_photo_caption_on_juhe_is_the_reference(
    tg: FakeTelegram, juhe: FakeJuhe, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    picture = make_png(40, 30, "ref")
    tg.send_photo(chat, USER, picture, caption="/draw 换成油画风格")
    await tg.wait_for(lambda: len(photos(tg, chat["id"])) == 1, timeout=20)
    [body] = juhe.image_requests
    assert sent_images(body) == [picture] and prompt_of(body) == "换成油画风格"


@image_route("unified")
async def test_album_on_unified_sends_every_photo(
    tg: FakeTelegram, unified: FakeUnified, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    pictures = [make_png(20 + i, 20, f"a{i}") for i in range(3)]
    tg.send_photo(chat, USER, pictures[0], caption="/draw 把三张合成一张", media_group_id="alb")
    tg.send_photo(chat, USER, pictures[1], media_group_id="alb")
    tg.send_photo(chat, USER, pictures[2], media_group_id="alb")
    await tg.wait_for(lambda: len(photos(tg, chat["id"])) == 1, timeout=20)
    [body] = unified.image_requests
    assert sorted(sent_images(body)) == sorted(pictures)


# -- answer shapes -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["markdown", "link", "bare", "data"])
async def test_every_answer_shape_delivers_its_picture(
    tg: FakeTelegram, unified: FakeUnified, bot: RunningBot, mode: str
) -> None:
    unified.script_image(ImageReply(mode=mode))
    chat = await draw(bot, tg, "/draw 海边日落")
    [photo] = photos(tg, chat["id"])
    assert photo_bytes(tg, photo) == unified.image_data(unified.image_urls[0])


@image_route("juhe")
async def test_several_pictures_in_one_answer_are_all_delivered(
    tg: FakeTelegram, juhe: FakeJuhe, bot: RunningBot
) -> None:
    juhe.script_image(ImageReply(mode="several", count=3))
    chat = await draw(bot, tg, "/draw 三种风格的猫", count=3)
    delivered = [photo_bytes(tg, p) for p in photos(tg, chat["id"])]
    assert delivered == [juhe.image_data(u) for u in juhe.image_urls]
    assert len(set(delivered)) == 3 and len(juhe.image_requests) == 1


# -- answers without a picture, dead links, cut streams ----------------------------------------


@pytest.mark.parametrize(
    "mode, reason",
    [("refusal", texts.CHAT_IMAGE_REFUSED_POLICY), ("text", texts.CHAT_IMAGE_TEXT_ONLY),
     ("drop", texts.CHAT_IMAGE_CUT_OFF)],
)  # fmt: skip
async def test_an_answer_without_a_picture_fails_in_chinese_and_is_not_resent(
    tg: FakeTelegram, unified: FakeUnified, bot: RunningBot, mode: str, reason: str
) -> None:
    unified.script_image(ImageReply(mode=mode))
    shown = await draw_and_fail(bot, tg, "/draw 一只猫")
    assert reason in shown
    assert "sorry" not in shown.lower() and "http" not in shown and "进度" not in shown
    assert len(unified.image_requests) == 1


@image_route("juhe")
async def test_a_dead_picture_link_fails_in_chinese_and_is_not_resent(
    tg: FakeTelegram, juhe: FakeJuhe, bot: RunningBot
) -> None:
    juhe.script_image(ImageReply(mode="dead"))
    shown = await draw_and_fail(bot, tg, "/draw 一只猫")
    assert texts.ERR_RESULT_EXPIRED in shown and "http" not in shown
    assert len(juhe.image_requests) == 1


@image_route("juhe")
async def test_one_dead_link_among_several_pictures_delivers_the_others_and_says_so(
    tg: FakeTelegram, juhe: FakeJuhe, bot: RunningBot
) -> None:
    juhe.script_image(ImageReply(mode="one_dead", count=3))
    chat = await draw(bot, tg, "/draw 三种风格的猫", count=2)
    delivered = [photo_bytes(tg, p) for p in photos(tg, chat["id"])]
    assert delivered == [juhe.image_data(u) for u in juhe.image_urls]  # the two live ones
    note = texts.JOB_SOME_PICTURES_MISSING.format(missing=1)
    await tg.wait_for(lambda: note in status(tg, chat["id"]), timeout=10)  # the status is paced
    shown = status(tg, chat["id"])
    assert "http" not in shown and len(juhe.image_requests) == 1


# -- routing --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["credits", "down"])
@image_route("grsai,unified")
async def test_draw_falls_back_from_grsai_to_unified_when_nothing_was_sent(
    tg: FakeTelegram, grsai: FakeGrsAI, unified: FakeUnified, bot: RunningBot, fault: str
) -> None:
    if fault == "credits":
        grsai.fail_next(DRAW, 402)
    else:
        grsai.go_down()
    chat = await draw(bot, tg, "/draw 一只橘猫")
    assert len(photos(tg, chat["id"])) == 1 and len(unified.image_requests) == 1
    assert grsai.task_ids("image") == []
    job = await settled_job(bot.services, 1)
    assert job is not None and job.provider == "unified" and job.state == "done"
    async with bot.services.db.conn.execute("SELECT provider FROM usage WHERE job_id = 1") as cur:
        assert [row[0] for row in await cur.fetchall()] == ["unified"]  # booked to who served


@image_route("unified,juhe")
async def test_unified_out_of_credits_moves_the_draw_to_juhe(
    tg: FakeTelegram, unified: FakeUnified, juhe: FakeJuhe, bot: RunningBot
) -> None:
    unified.script_image(ImageReply(status=402))
    chat = await draw(bot, tg, "/draw 一只橘猫")
    assert len(photos(tg, chat["id"])) == 1
    assert len(unified.image_requests) == 1 and len(juhe.image_requests) == 1


@image_route("unified,juhe")
async def test_a_cut_answer_is_never_moved_to_the_next_provider(
    tg: FakeTelegram, unified: FakeUnified, juhe: FakeJuhe, bot: RunningBot
) -> None:
    unified.script_image(ImageReply(mode="drop"))
    await draw_and_fail(bot, tg, "/draw 一只橘猫")
    assert len(unified.image_requests) == 1 and juhe.image_requests == []


# -- restart ------------------------------------------------------------------------------------


@image_route("unified")
async def test_restart_mid_stream_fails_with_an_explanation_and_never_resubmits(
    tg: FakeTelegram, unified: FakeUnified, bot: RunningBot
) -> None:
    unified.script_image(ImageReply(mode="slow", delay=0.8))
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 慢慢画")
    await tg.wait_for(lambda: "%" in status(tg, chat["id"]), timeout=20)
    await bot.restart()
    # A failure ends the status with ❌, an expired/dead result link with ⌛.
    await tg.wait_for(lambda: any(m in status(tg, chat["id"]) for m in "❌⌛"), timeout=20)
    await at_rest(bot, tg)
    assert texts.CHAT_IMAGE_STREAM_LOST in status(tg, chat["id"])
    assert photos(tg, chat["id"]) == [] and len(unified.image_requests) == 1
    job = await settled_job(bot.services, 1)
    assert job is not None and job.state == "failed"
