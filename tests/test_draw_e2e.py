"""/draw as a user meets it: status edits, the delivered image, options, references, failures."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import pytest

from bot.core import texts
from tests.fakes.grsai import FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, jobs_shown, updates_handled
from tests.media import make_png
from tests.waiting import eventually, settled_job

USER = 1001
DRAW = "/v1/draw/nano-banana"


def photos(tg: FakeTelegram, chat_id: int) -> list[dict]:
    return [m for m in tg.bot_messages(chat_id) if m.get("photo")]


def documents(tg: FakeTelegram, chat_id: int) -> list[dict]:
    return [m for m in tg.bot_messages(chat_id) if m.get("document")]


def last_text(tg: FakeTelegram, chat_id: int) -> str:
    messages = tg.bot_messages(chat_id)
    return (messages[-1].get("text") or "") if messages else ""


async def draw_and_wait(
    tg: FakeTelegram, bot: RunningBot, text: str, chat: dict | None = None, **kw
) -> dict:
    chat = chat or tg.private_chat(USER)
    before = len(photos(tg, chat["id"])) + len(documents(tg, chat["id"]))
    tg.send_text(chat, USER, text, **kw)
    await tg.wait_for(
        lambda: len(photos(tg, chat["id"])) + len(documents(tg, chat["id"])) > before, timeout=15
    )
    await jobs_shown(bot, tg)  # the status edit comes last
    return chat


def first_text(tg: FakeTelegram, chat_id: int) -> str:
    """The bot's first message in the chat (a job's status message), or "" before it exists."""
    messages = tg.bot_messages(chat_id)
    return (messages[0].get("text") or "") if messages else ""


def uploaded_photo_bytes(tg: FakeTelegram, message: dict) -> bytes:
    return tg.uploaded_file(message["photo"][-1]["file_id"])


async def test_draw_shows_progress_and_delivers_the_exact_image(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    # Enough steps (one per 50 ms poll) that some progress edits get through the chat's pace.
    grsai.script_task(TaskScript(kind="image", progress=[*range(5, 100, 5), 100]))
    chat = await draw_and_wait(tg, bot, "/draw 一只戴墨镜的柴犬")
    [submitted] = grsai.submissions("image")
    assert submitted["prompt"] == "一只戴墨镜的柴犬" and submitted["webHook"] == "-1"
    assert submitted["model"] == "nano-banana-pro" and submitted["imageSize"] == "1K"
    [photo] = photos(tg, chat["id"])
    [task_id] = grsai.task_ids("image")
    assert hashlib.sha256(uploaded_photo_bytes(tg, photo)).hexdigest() == grsai.result_sha256(
        task_id
    )
    assert "一只戴墨镜的柴犬" in photo["caption"]
    buttons = [b["text"] for b in photo["reply_markup"]["inline_keyboard"][0]]
    assert buttons == [texts.BUTTON_AGAIN, texts.BUTTON_USE_AS_REFERENCE]
    # One status message, edited as the job moved, ending in "done".
    edits = [c.params["text"] for c in tg.calls_to("editMessageText") if c.ok]
    assert any("%" in e for e in edits), edits
    status = tg.bot_messages(chat["id"])[0]
    assert status["text"].splitlines()[-1].startswith("✅")
    assert documents(tg, chat["id"]) == []  # 1K fits a photo: no extra file
    assert tg.flood_events == []


async def test_options_before_the_prompt_reach_the_provider(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="image", width=2048, height=1152))
    chat = await draw_and_wait(tg, bot, "/draw 16:9 2K vt 雪山下的湖泊")
    sent = grsai.submissions("image")[0]
    assert (sent["aspectRatio"], sent["imageSize"], sent["model"]) == (
        "16:9", "2K", "nano-banana-pro-vt"
    )  # fmt: skip
    assert sent["prompt"] == "雪山下的湖泊"
    await tg.wait_for(lambda: len(documents(tg, chat["id"])) == 1)
    [document] = documents(tg, chat["id"])
    [task_id] = grsai.task_ids("image")
    assert hashlib.sha256(tg.uploaded_file(document["document"]["file_id"])).hexdigest() == (
        grsai.result_sha256(task_id)
    )


@pytest.mark.parametrize(
    "command, expected",
    [
        ("/draw vip 4K 猫", texts.DRAW_BAD_COMBINATION_VIP),
        ("/draw 4kvip 2K 猫", texts.DRAW_BAD_COMBINATION_4KVIP),
        ("/draw 4kvip 猫", texts.DRAW_BAD_COMBINATION_4KVIP),
    ],
)
async def test_forbidden_model_size_combinations_are_refused_before_submitting(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, command: str, expected: str
) -> None:
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, command)
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) == 1)
    assert last_text(tg, chat["id"]) == expected
    assert grsai.submissions("image") == []


async def test_allowed_vip_combinations_are_submitted(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    await draw_and_wait(tg, bot, "/draw 4kvip 4K 猫")
    await draw_and_wait(tg, bot, "/draw vip 2K 狗")
    models = [(s["model"], s["imageSize"]) for s in grsai.submissions("image")]
    assert models == [("nano-banana-pro-4k-vip", "4K"), ("nano-banana-pro-vip", "2K")]


async def test_empty_prompt_gets_usage_help(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 16:9")
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) == 1)
    assert last_text(tg, chat["id"]).startswith("请在 /draw 后面写上描述")
    assert grsai.submissions("image") == []


def _sent_references(grsai: FakeGrsAI) -> list[bytes]:
    urls = grsai.submissions("image")[-1].get("urls") or []
    return [base64.b64decode(u.split(",", 1)[1]) for u in urls]


async def test_photo_with_draw_caption_is_the_reference(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    picture = make_png(40, 30, "ref")
    tg.send_photo(chat, USER, picture, caption="/draw 换成油画风格")
    await tg.wait_for(lambda: len(photos(tg, chat["id"])) == 1, timeout=15)
    assert _sent_references(grsai) == [picture]
    assert grsai.submissions("image")[0]["prompt"] == "换成油画风格"


async def test_album_with_draw_caption_uses_every_photo(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    pictures = [make_png(20 + i, 20, f"a{i}") for i in range(3)]
    tg.send_photo(chat, USER, pictures[0], caption="/draw 把三张合成一张", media_group_id="alb")
    tg.send_photo(chat, USER, pictures[1], media_group_id="alb")
    tg.send_photo(chat, USER, pictures[2], media_group_id="alb")
    await tg.wait_for(lambda: len(photos(tg, chat["id"])) == 1, timeout=15)
    assert len(grsai.submissions("image")) == 1
    assert sorted(_sent_references(grsai)) == sorted(pictures)


async def test_reply_to_a_photo_and_to_a_bot_result_and_a_document(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    picture = make_png(30, 30, "reply")
    sent = tg.send_photo(chat, USER, picture)
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) == 1)  # asks for a caption
    await draw_and_wait(tg, bot, "/draw 加一顶帽子", chat, reply_to=sent["message_id"])
    assert _sent_references(grsai) == [picture]

    result = photos(tg, chat["id"])[-1]
    result_bytes = uploaded_photo_bytes(tg, result)
    get_files_before = len(tg.calls_to("getFile"))
    await draw_and_wait(tg, bot, "/draw 背景换成海边", chat, reply_to=result["message_id"])
    assert _sent_references(grsai) == [result_bytes]
    assert len(tg.calls_to("getFile")) == get_files_before, "a bot result is never downloaded again"

    file_picture = make_png(50, 20, "doc")
    tg.send_document(chat, USER, file_picture, file_name="a.png", mime_type="image/png",
                     caption="/draw 变成水彩")  # fmt: skip
    await tg.wait_for(lambda: len(photos(tg, chat["id"])) == 3, timeout=15)
    assert _sent_references(grsai) == [file_picture]


async def test_non_image_file_is_refused(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    doc = tg.send_document(
        chat, USER, b"%PDF-1.4 ...", file_name="a.pdf", mime_type="application/pdf"
    )
    await updates_handled(bot, tg)
    tg.send_text(chat, USER, "/draw 改成卡通", reply_to=doc["message_id"])
    await tg.wait_for(lambda: last_text(tg, chat["id"]) == texts.DRAW_REFERENCE_NOT_IMAGE)
    assert grsai.submissions("image") == []


async def test_use_as_reference_button_then_reply_edits_that_image(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = await draw_and_wait(tg, bot, "/draw 一座城堡")
    result = photos(tg, chat["id"])[-1]
    result_bytes = uploaded_photo_bytes(tg, result)
    data = result["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    tg.press_button(result, data, USER)
    await tg.wait_for(lambda: last_text(tg, chat["id"]) == texts.DRAW_REFERENCE_PROMPT)
    prompt = tg.bot_messages(chat["id"])[-1]
    await draw_and_wait(tg, bot, "加上烟花", chat, reply_to=prompt["message_id"])
    assert grsai.submissions("image")[-1]["prompt"] == "加上烟花"
    assert _sent_references(grsai) == [result_bytes]


async def test_draw_again_button_repeats_the_same_settings(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = await draw_and_wait(tg, bot, "/draw 3:4 花园")
    result = photos(tg, chat["id"])[-1]
    tg.press_button(result, result["reply_markup"]["inline_keyboard"][0][0]["callback_data"], USER)
    await tg.wait_for(lambda: len(photos(tg, chat["id"])) == 2, timeout=15)
    first, second = grsai.submissions("image")
    assert first == second


@pytest.mark.parametrize(
    "reason, expected",
    [
        ("input_moderation", texts.ERR_MODERATION_INPUT),
        ("output_moderation", texts.ERR_MODERATION_OUTPUT),
    ],
)
async def test_moderation_failures_say_which_and_what_to_change(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, reason: str, expected: str
) -> None:
    grsai.script_task(TaskScript(kind="image", outcome="failed", failure_reason=reason))
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 某些内容")
    await tg.wait_for(lambda: expected in first_text(tg, chat["id"]))
    assert len(grsai.submissions("image")) == 1
    assert photos(tg, chat["id"]) == []


async def test_provider_error_is_resubmitted_once_automatically(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(
        TaskScript(kind="image", outcome="failed", failure_reason="error", error="busy")
    )
    chat = await draw_and_wait(tg, bot, "/draw 一只猫")
    assert len(grsai.submissions("image")) == 2
    assert len(photos(tg, chat["id"])) == 1


async def test_provider_error_twice_is_reported_with_a_retry_button(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    for _ in range(2):
        grsai.script_task(
            TaskScript(kind="image", outcome="failed", failure_reason="error", error="busy")
        )
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    await tg.wait_for(lambda: "❌" in first_text(tg, chat["id"]))
    status = tg.bot_messages(chat["id"])[0]
    assert "busy" not in status["text"]  # the provider's words are for the logs
    assert texts.ERR_TASK_FAILED in status["text"]
    assert status["reply_markup"]["inline_keyboard"][0][0]["text"] == texts.BUTTON_RETRY
    assert len(grsai.submissions("image")) == 2
    tg.press_button(status, status["reply_markup"]["inline_keyboard"][0][0]["callback_data"], USER)
    await tg.wait_for(lambda: len(photos(tg, chat["id"])) == 1, timeout=15)


@pytest.mark.parametrize(
    "script, expected",
    [
        (TaskScript(kind="image", submit_status=402), texts.ERR_CREDITS),
        (TaskScript(kind="image", submit_code=-1, submit_msg="积分不足"), texts.ERR_CREDITS),
        (TaskScript(kind="image", submit_status=401), texts.ERR_AUTH),
    ],
)
async def test_submit_refusals_are_explained(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, script: TaskScript, expected: str
) -> None:
    grsai.script_task(script)
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    await tg.wait_for(lambda: expected in first_text(tg, chat["id"]))


async def test_result_url_that_expires_soon_is_still_delivered(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="image", url_ttl=0.5))
    chat = await draw_and_wait(tg, bot, "/draw 一只猫")
    assert len(photos(tg, chat["id"])) == 1


async def test_size_mismatch_is_noted_under_the_result(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="image", width=1024, height=1024))
    chat = await draw_and_wait(tg, bot, "/draw 16:9 风景")
    caption = photos(tg, chat["id"])[0]["caption"]
    assert "1024×1024" in caption and "16:9" in caption


async def test_group_status_and_result_reply_and_buttons_belong_to_the_requester(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    group = tg.group_chat(-100800)
    request = tg.send_text(group, USER, "/draw 一只猫")
    await tg.wait_for(lambda: len(photos(tg, group["id"])) == 1, timeout=15)
    status, photo = tg.bot_messages(group["id"])[0], photos(tg, group["id"])[0]
    assert status["reply_to_message"]["message_id"] == request["message_id"]
    assert photo["reply_to_message"]["message_id"] == request["message_id"]
    again = photo["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    tg.press_button(photo, again, 2002)
    await tg.wait_for(lambda: any(c.ok for c in tg.calls_to("answerCallbackQuery")))
    assert tg.calls_to("answerCallbackQuery")[-1].params["text"] == texts.BUTTON_FORBIDDEN
    await asyncio.sleep(0.3)
    assert len(grsai.submissions("image")) == 1


async def test_settings_change_the_defaults(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/settings")
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) == 1)
    menu = tg.bot_messages(chat["id"])[0]
    buttons = [b for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert "— 绘图比例 —" in [b["text"] for b in buttons]  # each group of buttons is labelled
    wide = next(b for b in buttons if b["text"] == "21:9")
    tg.press_button(menu, wide["callback_data"], USER)
    await tg.wait_for(lambda: "21:9" in tg.bot_messages(chat["id"])[0]["text"])
    menu = tg.bot_messages(chat["id"])[0]
    buttons = [b for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    four_k_vip = next(b for b in buttons if b["text"] == "4K 会员版")
    tg.press_button(menu, four_k_vip["callback_data"], USER)
    await tg.wait_for(lambda: "模型 4K 会员版" in tg.bot_messages(chat["id"])[0]["text"])
    await draw_and_wait(tg, bot, "/draw 城市夜景", chat)
    sent = grsai.submissions("image")[-1]
    assert (sent["aspectRatio"], sent["imageSize"], sent["model"]) == (
        "21:9", "4K", "nano-banana-pro-4k-vip"
    )  # fmt: skip


async def test_restart_mid_job_delivers_once_and_submits_once(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="image", progress=[*range(2, 100, 2), 100]))
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 慢慢画")
    await tg.wait_for(lambda: any("%" in (c.params.get("text") or "")
                                  for c in tg.calls_to("editMessageText") if c.ok))  # fmt: skip
    await bot.stop()
    polls_before = grsai.poll_count(grsai.task_ids("image")[0])
    assert photos(tg, chat["id"]) == []
    await bot.start()
    await tg.wait_for(lambda: len(photos(tg, chat["id"])) == 1, timeout=20)
    await jobs_shown(bot, tg)
    assert len(grsai.submissions("image")) == 1
    assert grsai.poll_count(grsai.task_ids("image")[0]) > polls_before
    assert len(photos(tg, chat["id"])) == 1


async def test_job_interrupted_while_submitting_is_not_resent(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    from bot.core.providers.base import GenerationRequest

    chat = tg.private_chat(USER)
    svc = bot.services
    status = tg.send_text(chat, USER, "占位")  # a message to attach the job to
    await updates_handled(bot, tg)  # its chat answer given
    job = await svc.jobs.create(
        request=GenerationRequest("image", "断电时正在提交", {"model": "nano-banana-pro",
                                  "aspect_ratio": "auto", "image_size": "1K"}),
        provider="grsai", user_id=USER, chat_id=chat["id"], thread_id=None,
        reply_to_id=status["message_id"],
    )  # fmt: skip
    await svc.jobs.update(job, state="submitting")
    await bot.restart()
    await tg.wait_for(lambda: texts.JOB_INTERRUPTED in last_text(tg, chat["id"]))
    assert grsai.submissions("image") == []
    notice = tg.bot_messages(chat["id"])[-1]
    tg.press_button(notice, notice["reply_markup"]["inline_keyboard"][0][0]["callback_data"], USER)
    await tg.wait_for(lambda: len(photos(tg, chat["id"])) == 1, timeout=15)
    assert len(grsai.submissions("image")) == 1


async def test_a_job_that_ends_while_telegram_is_still_connecting_still_tells_its_user(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    """The runtime resumes jobs at once; Telegram registers only once it answers getMe. What a
    resumed job shows meanwhile is kept and shown then (bot/core/jobs/events_router.py)."""
    from bot.core.providers.base import GenerationRequest

    chat = tg.private_chat(USER)
    svc = bot.services
    status = tg.send_text(chat, USER, "占位")
    job = await svc.jobs.create(
        request=GenerationRequest("image", "断电时正在提交", {"model": "nano-banana-pro",
                                  "aspect_ratio": "auto", "image_size": "1K"}),
        provider="grsai", user_id=USER, chat_id=chat["id"], thread_id=None,
        reply_to_id=status["message_id"],
    )  # fmt: skip
    await svc.jobs.update(job, state="submitting")
    await bot.stop()
    tg.start_outage("504", methods={"getMe"})  # Telegram unreachable while the bot starts
    starting = asyncio.create_task(bot.start())
    await eventually(lambda: bot.runtime is not None and bot.runtime.services is not None, 15)
    ended = await settled_job(bot.runtime.services, job.id)
    assert ended.state == "interrupted"
    tg.end_outage()
    await starting
    await tg.wait_for(lambda: texts.JOB_INTERRUPTED in last_text(tg, chat["id"]), timeout=15)
    assert grsai.submissions("image") == []


async def test_reference_file_too_big_is_refused(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    huge = make_png(8, 8, "big") + b"\0" * (11 * 1024 * 1024)
    tg.send_document(chat, USER, huge, file_name="big.png", mime_type="image/png",
                     caption="/draw 改成黑白")  # fmt: skip
    await tg.wait_for(
        lambda: last_text(tg, chat["id"]) == texts.DRAW_REFERENCE_TOO_BIG.format(limit_mb=10)
    )
    assert grsai.submissions("image") == []
    assert tg.calls_to("getFile") == [], "refused from the size Telegram reports, not downloaded"
