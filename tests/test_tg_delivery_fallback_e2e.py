"""A paid result Telegram refuses for good in one form (a photo its servers cannot process, a
topic that was deleted) reaches the user another way; when nothing works the user is told in
Chinese and an admin can send it again — the real bot ↔ FakeTelegram ↔ fake GrsAI."""

from __future__ import annotations

import pytest

from bot.core import texts
from tests.fakes.grsai import FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, at_rest

USER = 1001
ADMIN = 9001


def photos(tg: FakeTelegram, chat_id: int) -> list[dict]:
    return [m for m in tg.bot_messages(chat_id) if m.get("photo")]


def documents(tg: FakeTelegram, chat_id: int) -> list[dict]:
    return [m for m in tg.bot_messages(chat_id) if m.get("document")]


async def job_state(bot: RunningBot, job_id: int = 1) -> tuple[str, str | None]:
    job = await bot.services.jobs.get(job_id)
    return job.state, job.failure


async def test_a_photo_telegram_cannot_process_arrives_as_a_document(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="image", width=800, height=600))
    tg.photo_processing_fails()
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    await tg.wait_for(lambda: len(documents(tg, USER)) == 1, timeout=20)
    [document] = documents(tg, USER)
    assert document.get("caption", "").startswith(texts.DRAW_CAPTION.split("{")[0])
    datas = [b["callback_data"] for row in document["reply_markup"]["inline_keyboard"]
             for b in row]  # fmt: skip
    assert any(d.startswith("job|again|") for d in datas)  # the photo's buttons came along
    await at_rest(bot, tg)
    assert photos(tg, USER) == [] and await job_state(bot) == ("done", None)


async def test_a_result_for_a_deleted_topic_goes_to_the_group_without_the_topic(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="image", width=800, height=600, step_delay=0.0))
    group = tg.group_chat(-100555)
    tg.send_text(group, USER, "/draw 一只猫", message_thread_id=77)
    await tg.wait_for(lambda: bool(tg.bot_messages(group["id"])), timeout=15)
    tg.delete_topic(group["id"], 77)  # deleted while the picture is being made
    await tg.wait_for(lambda: len(photos(tg, group["id"])) == 1, timeout=20)
    [photo] = photos(tg, group["id"])
    assert "message_thread_id" not in photo
    await at_rest(bot, tg)
    assert await job_state(bot) == ("done", None)


@pytest.mark.parametrize("settings_overrides", [{"bot_admin_ids": [ADMIN]}])
async def test_a_result_refused_in_every_form_is_explained_and_an_admin_can_resend_it(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="image", width=800, height=600))
    tg.photo_processing_fails()
    tg.fail_next("sendDocument", 400, "Bad Request: IMAGE_PROCESS_FAILED")
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    await tg.wait_for(
        lambda: any(texts.ERR_UNDELIVERABLE in (c.params.get("text") or "")
                    for c in tg.calls_to("editMessageText") + tg.calls_to("sendMessage")),
        timeout=20,
    )  # fmt: skip
    assert await job_state(bot) == ("failed", "undeliverable")
    assert bot.services.jobs and (await bot.services.jobs.get(1)).files  # kept on disk
    admin = tg.private_chat(ADMIN)
    tg.send_text(admin, ADMIN, "/resend 1")
    await tg.wait_for(lambda: len(photos(tg, USER)) == 1, timeout=20)
    await tg.wait_for(
        lambda: any(texts.ADMIN_RESEND_STARTED.format(job_id=1) == m.get("text")
                    for m in tg.bot_messages(ADMIN)),
    )  # fmt: skip
    await at_rest(bot, tg)
    assert await job_state(bot) == ("done", None)
    assert len(grsai.submissions("image")) == 1  # resent, never paid again


async def test_a_video_telegram_refuses_to_play_arrives_as_a_file(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video", progress=[50, 100]))
    tg.fail_next("sendVideo", 400, "Bad Request: VIDEO_FILE_INVALID")
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/video 海边日落")
    await tg.wait_for(lambda: len(documents(tg, USER)) == 1, timeout=30)
    [document] = documents(tg, USER)
    datas = [b["callback_data"] for row in document["reply_markup"]["inline_keyboard"]
             for b in row]  # fmt: skip
    assert any(d.startswith("job|again|") for d in datas)
    await at_rest(bot, tg)
    assert await job_state(bot) == ("done", None)
