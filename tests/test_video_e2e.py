"""/video, /remix, /role and /roles as a user meets them, through the fake Telegram and GrsAI."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.core import texts
from tests.fakes.grsai import FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, at_rest, make_settings
from tests.media import make_mp4, make_png

_real_time = time.time
_real_monotonic = time.monotonic

USER = 1001
VIDEO_PATH = "/v1/video/sora-video"


def videos(tg: FakeTelegram, chat_id: int) -> list[dict]:
    return [m for m in tg.bot_messages(chat_id) if m.get("video")]


def texts_of(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.get("text") or "" for m in tg.bot_messages(chat_id)]


def last_text(tg: FakeTelegram, chat_id: int) -> str:
    messages = tg.bot_messages(chat_id)
    return (messages[-1].get("text") or "") if messages else ""


def first_text(tg: FakeTelegram, chat_id: int) -> str:
    messages = tg.bot_messages(chat_id)
    return (messages[0].get("text") or "") if messages else ""


async def video_and_wait(
    bot: RunningBot, tg: FakeTelegram, text: str, chat: dict | None = None, **kw
) -> dict:
    chat = chat or tg.private_chat(USER)
    before = len(videos(tg, chat["id"]))
    tg.send_text(chat, USER, text, **kw)
    await tg.wait_for(lambda: len(videos(tg, chat["id"])) > before, timeout=15)
    await at_rest(bot, tg)
    return chat


def button(message: dict, text: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            if b["text"] == text:
                return b["callback_data"]
    raise AssertionError(f"no button {text!r} in {message['reply_markup']}")


async def test_text_to_video_is_delivered_as_a_playable_video_with_buttons(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video", progress=[5, 30, 60, 100], result_size=300_000))
    chat = await video_and_wait(bot, tg, "/video 海边日落，镜头缓慢推进")
    [sent] = grsai.submissions("video")
    assert sent["prompt"] == "海边日落，镜头缓慢推进"
    assert (sent["aspectRatio"], sent["duration"], sent["size"]) == ("9:16", 10, "small")
    assert "url" not in sent and "remixTargetId" not in sent
    [video] = videos(tg, chat["id"])
    [task_id] = grsai.task_ids("video")
    data = tg.uploaded_file(video["video"]["file_id"])
    assert hashlib.sha256(data).hexdigest() == grsai.result_sha256(task_id)
    assert video["video"]["duration"] == 10  # asked length: the fake file has no moov
    assert "海边日落" in video["caption"]
    labels = [b["text"] for row in video["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == [texts.BUTTON_REMIX, texts.BUTTON_MAKE_CHARACTER, texts.BUTTON_VIDEO_AGAIN]
    [upload] = [c for c in tg.calls_to("sendVideo") if c.ok]
    assert upload.params["supports_streaming"] is True
    assert first_text(tg, chat["id"]).splitlines()[-1].startswith("✅")


async def test_options_before_the_prompt_reach_the_provider_and_the_status(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = await video_and_wait(bot, tg, "/video 16:9 15s 高清 城市夜景延时摄影")
    [sent] = grsai.submissions("video")
    assert (sent["aspectRatio"], sent["duration"], sent["size"]) == ("16:9", 15, "large")
    assert sent["prompt"] == "城市夜景延时摄影"
    assert "16:9 · 15 秒 · 高清" in first_text(tg, chat["id"])


async def test_empty_video_prompt_gets_usage_help(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/video 16:9 15s")
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) == 1)
    assert last_text(tg, chat["id"]) == texts.VIDEO_EMPTY
    assert grsai.submissions("video") == []


async def test_width_height_and_duration_come_from_the_file(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video", result_bytes=make_mp4(704, 1280, 14.6)))
    chat = await video_and_wait(bot, tg, "/video 15s 森林")
    [video] = videos(tg, chat["id"])
    assert (video["video"]["width"], video["video"]["height"]) == (704, 1280)
    assert video["video"]["duration"] == 15


def _sent_image(grsai: FakeGrsAI) -> bytes:
    url = grsai.submissions("video")[-1]["url"]
    return base64.b64decode(url.split(",", 1)[1])


async def test_image_to_video_from_a_caption_a_replied_photo_and_a_bot_image(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    picture = make_png(64, 48, "cat")
    tg.send_photo(chat, USER, picture, caption="/video 16:9 让猫咪眨眼")
    await tg.wait_for(lambda: len(videos(tg, chat["id"])) == 1, timeout=15)
    assert _sent_image(grsai) == picture
    assert grsai.submissions("video")[-1]["prompt"] == "让猫咪眨眼"

    other = make_png(40, 40, "dog")
    sent = tg.send_photo(chat, USER, other)
    await at_rest(bot, tg)
    await video_and_wait(bot, tg, "/video 小狗摇尾巴", chat, reply_to=sent["message_id"])
    assert _sent_image(grsai) == other

    tg.send_text(chat, USER, "/draw 一只橘猫")
    await tg.wait_for(lambda: any(m.get("photo") for m in tg.bot_messages(chat["id"])), timeout=15)
    await at_rest(bot, tg)
    result = next(m for m in tg.bot_messages(chat["id"]) if m.get("photo"))
    await video_and_wait(bot, tg, "/video 橘猫跳起来", chat, reply_to=result["message_id"])
    assert _sent_image(grsai) == tg.uploaded_file(result["photo"][-1]["file_id"])


async def test_real_person_reference_rejection_is_explained(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video", outcome="failed", failure_reason="input_moderation"))
    chat = tg.private_chat(USER)
    tg.send_photo(chat, USER, make_png(30, 30, "face"), caption="/video 让他微笑")
    await tg.wait_for(lambda: texts.VIDEO_REAL_PERSON_REJECTED in first_text(tg, chat["id"]))
    assert videos(tg, chat["id"]) == []
    assert len(grsai.submissions("video")) == 1


async def test_video_sent_with_a_video_caption_is_refused_with_a_hint(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    tg.send_video(chat, USER, b"\0\0\0\x20ftypisom" + bytes(100), caption="/video 继续")
    await tg.wait_for(lambda: last_text(tg, chat["id"]) == texts.VIDEO_NEEDS_IMAGE)
    assert grsai.submissions("video") == []


async def test_again_button_repeats_the_same_video_request(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = await video_and_wait(bot, tg, "/video 16:9 星空")
    [video] = videos(tg, chat["id"])
    tg.press_button(video, button(video, texts.BUTTON_VIDEO_AGAIN), USER)
    await tg.wait_for(lambda: len(videos(tg, chat["id"])) == 2, timeout=15)
    first, second = grsai.submissions("video")
    assert first == second


# -- /remix ------------------------------------------------------------------------------------


async def test_remix_reply_to_a_bot_video_continues_it_by_pid(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video", pid="s_first"))
    chat = await video_and_wait(bot, tg, "/video 16:9 小船出海")
    [video] = videos(tg, chat["id"])
    await video_and_wait(bot, tg, "/remix 暴风雨来了", chat, reply_to=video["message_id"])
    remix = grsai.submissions("video")[-1]
    assert remix["remixTargetId"] == "s_first"
    assert remix["prompt"] == "暴风雨来了"
    assert remix["aspectRatio"] == "16:9"  # the source's shape is kept


async def test_remix_button_asks_for_the_continuation_and_the_reply_starts_it(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video", pid="s_button"))
    chat = await video_and_wait(bot, tg, "/video 雪地里的狐狸")
    [video] = videos(tg, chat["id"])
    tg.press_button(video, button(video, texts.BUTTON_REMIX), USER)
    await tg.wait_for(lambda: last_text(tg, chat["id"]) == texts.REMIX_PROMPT)
    prompt = tg.bot_messages(chat["id"])[-1]
    await video_and_wait(bot, tg, "狐狸跳进雪堆", chat, reply_to=prompt["message_id"])
    assert grsai.submissions("video")[-1]["remixTargetId"] == "s_button"
    assert grsai.requests_to("/v1/chat/completions") == []  # not taken as a chat message


async def test_remix_of_something_that_is_not_a_bot_video_gets_a_hint(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/remix 继续")
    await tg.wait_for(lambda: last_text(tg, chat["id"]) == texts.REMIX_USAGE)
    own = tg.send_video(chat, USER, b"\0\0\0\x20ftypisom" + bytes(100))
    await at_rest(bot, tg)
    tg.send_text(chat, USER, "/remix 继续", reply_to=own["message_id"])
    await tg.wait_for(lambda: texts_of(tg, chat["id"]).count(texts.REMIX_USAGE) == 2, timeout=5)
    assert grsai.submissions("video") == []


async def test_remix_of_an_unknown_pid_says_the_video_is_unavailable(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = await video_and_wait(bot, tg, "/video 城堡")
    [video] = videos(tg, chat["id"])
    svc = bot.services
    link = await svc.jobs.result_message(chat["id"], video["message_id"])
    link.pid = "s_private_or_gone"
    await svc.jobs.add_result_message(link)
    tg.send_text(chat, USER, "/remix 城堡倒塌", reply_to=video["message_id"])
    await tg.wait_for(
        lambda: any(texts.REMIX_TARGET_UNAVAILABLE in t for t in texts_of(tg, chat["id"])),
        timeout=15,
    )
    assert grsai.submissions("video")[-1]["remixTargetId"] == "s_private_or_gone"
    assert len(videos(tg, chat["id"])) == 1


# -- /role and /roles --------------------------------------------------------------------------

CREATE_CHARACTER = "/v1/video/sora-create-character"
UPLOAD_CHARACTER = "/v1/video/sora-upload-character"


def character_bodies(grsai: FakeGrsAI, path: str) -> list[dict]:
    return [r.json for r in grsai.requests_to(path)]


async def role_and_wait(bot: RunningBot, tg: FakeTelegram, chat: dict, text: str, **kw) -> str:
    before = sum("角色已创建" in t for t in texts_of(tg, chat["id"]))
    tg.send_text(chat, USER, text, **kw)
    await tg.wait_for(
        lambda: sum("角色已创建" in t for t in texts_of(tg, chat["id"])) > before, timeout=15
    )
    await at_rest(bot, tg)
    return next(t for t in reversed(texts_of(tg, chat["id"])) if "角色已创建" in t)


async def test_role_from_a_bot_video_uses_its_pid_and_can_be_named_and_used(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video", pid="s_hero"))
    grsai.script_task(TaskScript(kind="character", character_id="char.hero01"))
    chat = await video_and_wait(bot, tg, "/video 一只卡通小熊挥手")
    [video] = videos(tg, chat["id"])
    answer = await role_and_wait(bot, tg, chat, "/role 1,3", reply_to=video["message_id"])
    [body] = character_bodies(grsai, CREATE_CHARACTER)
    assert (body["pid"], body["timestamps"]) == ("s_hero", "1,3")
    assert "char.hero01" in answer and "@角色1" in answer

    created = next(m for m in tg.bot_messages(chat["id"]) if "角色已创建" in (m.get("text") or ""))
    tg.send_text(chat, USER, "/role 小熊", reply_to=created["message_id"])
    await tg.wait_for(lambda: last_text(tg, chat["id"]) == texts.ROLE_RENAMED.format(name="小熊"))

    await video_and_wait(bot, tg, "/video 16:9 @小熊在森林里跳舞", chat)
    assert grsai.submissions("video")[-1]["prompt"] == "@char.hero01 在森林里跳舞"


async def test_role_button_asks_for_the_range_and_the_reply_creates_it(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video", pid="s_btn"))
    chat = await video_and_wait(bot, tg, "/video 会飞的鲸鱼")
    [video] = videos(tg, chat["id"])
    tg.press_button(video, button(video, texts.BUTTON_MAKE_CHARACTER), USER)
    await tg.wait_for(lambda: last_text(tg, chat["id"]) == texts.ROLE_PROMPT.format(duration=10))
    prompt = tg.bot_messages(chat["id"])[-1]
    await role_and_wait(bot, tg, chat, "0,2.5", reply_to=prompt["message_id"])
    [body] = character_bodies(grsai, CREATE_CHARACTER)
    assert (body["pid"], body["timestamps"]) == ("s_btn", "0,2.5")


async def test_invalid_role_ranges_are_refused_before_anything_is_sent(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = await video_and_wait(bot, tg, "/video 跳舞的机器人")
    [video] = videos(tg, chat["id"])
    cases = [
        ("/role 3,1", texts.ROLE_RANGE_ORDER.format(command="/role")),
        ("/role 0,4", texts.ROLE_RANGE_TOO_LONG.format(length="4", command="/role")),
        ("/role 9,12", texts.ROLE_RANGE_OUTSIDE.format(duration="10")),
        ("/role 8,11", texts.ROLE_RANGE_OUTSIDE.format(duration="10")),
        ("/role 一到三", texts.ROLE_BAD_RANGE.format(command="/role")),
        ("/role", texts.ROLE_USAGE),
    ]  # fmt: skip
    for command, expected in cases:
        tg.send_text(chat, USER, command, reply_to=video["message_id"])
        await tg.wait_for(lambda e=expected: last_text(tg, chat["id"]) == e, timeout=5)
    tg.send_text(chat, USER, "/role 1,3")  # not a reply to any video
    await tg.wait_for(lambda: last_text(tg, chat["id"]) == texts.ROLE_USAGE, timeout=5)
    assert grsai.requests_to(CREATE_CHARACTER) == []
    assert grsai.requests_to(UPLOAD_CHARACTER) == []


async def test_role_from_a_users_video_uploads_the_clip(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    clip = b"\0\0\0\x20ftypisom" + bytes(range(256)) * 40
    tg.send_video(chat, USER, clip, duration=6, caption="/role 0,2")
    await tg.wait_for(lambda: any("角色已创建" in t for t in texts_of(tg, chat["id"])), timeout=15)
    [body] = character_bodies(grsai, UPLOAD_CHARACTER)
    assert body["timestamps"] == "0,2"
    assert base64.b64decode(body["url"].split(",", 1)[1]) == clip

    sent = tg.send_video(chat, USER, clip, duration=6)
    await at_rest(bot, tg)
    tg.send_text(chat, USER, "/role 4,7", reply_to=sent["message_id"])
    await tg.wait_for(
        lambda: last_text(tg, chat["id"]) == texts.ROLE_RANGE_OUTSIDE.format(duration="6")
    )
    await role_and_wait(bot, tg, chat, "/role 4,6", reply_to=sent["message_id"])
    assert character_bodies(grsai, UPLOAD_CHARACTER)[-1]["timestamps"] == "4,6"


async def test_role_from_a_video_the_bot_cannot_download_is_explained(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    big = tg.send_video(chat, USER, b"\0\0\0\x20ftypisom" + bytes(21 * 1024 * 1024), duration=8)
    await at_rest(bot, tg)
    tg.send_text(chat, USER, "/role 0,3", reply_to=big["message_id"])
    await tg.wait_for(
        lambda: last_text(tg, chat["id"]) == texts.ROLE_VIDEO_TOO_BIG.format(limit_mb=20)
    )
    small = tg.send_video(chat, USER, b"\0\0\0\x20ftypisom" + bytes(1000), duration=8)
    await at_rest(bot, tg)
    tg.fail_next("getFile", 400, "Bad Request: wrong file_id or the file is temporarily gone")
    tg.send_text(chat, USER, "/role 0,3", reply_to=small["message_id"])
    await tg.wait_for(lambda: last_text(tg, chat["id"]) == texts.ROLE_VIDEO_DOWNLOAD_FAILED)
    assert grsai.requests_to(UPLOAD_CHARACTER) == []


async def test_uploaded_real_person_clip_rejection_is_explained(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(
        TaskScript(kind="character", outcome="failed", failure_reason="input_moderation")
    )
    chat = tg.private_chat(USER)
    tg.send_video(chat, USER, b"\0\0\0\x20ftypisom" + bytes(500), duration=5, caption="/role 0,3")
    await tg.wait_for(lambda: texts.ROLE_REJECTED in first_text(tg, chat["id"]), timeout=15)


async def test_roles_lists_characters_and_inserts_and_deletes_them(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video", pid="s_roles"))
    grsai.script_task(TaskScript(kind="character", character_id="char.aaa"))
    grsai.script_task(TaskScript(kind="character", character_id="char.bbb"))
    chat = await video_and_wait(bot, tg, "/video 两只卡通兔子")
    [video] = videos(tg, chat["id"])
    await role_and_wait(bot, tg, chat, "/role 0,2", reply_to=video["message_id"])
    await role_and_wait(bot, tg, chat, "/role 3,5", reply_to=video["message_id"])

    tg.send_text(chat, USER, "/roles")
    await tg.wait_for(lambda: last_text(tg, chat["id"]).startswith(texts.ROLES_TITLE))
    listing = tg.bot_messages(chat["id"])[-1]
    assert "@角色1 — char.aaa" in listing["text"] and "@角色2 — char.bbb" in listing["text"]

    tg.press_button(listing, button(listing, texts.BUTTON_ROLE_INSERT.format(name="角色2")), 2002)
    await tg.wait_for(lambda: any(c.ok for c in tg.calls_to("answerCallbackQuery")))
    assert tg.calls_to("answerCallbackQuery")[-1].params["text"] == texts.BUTTON_FORBIDDEN

    tg.press_button(listing, button(listing, texts.BUTTON_ROLE_INSERT.format(name="角色2")), USER)
    insert = texts.ROLE_INSERT_PROMPT.format(name="角色2")
    await tg.wait_for(lambda: last_text(tg, chat["id"]) == insert)
    prompt = tg.bot_messages(chat["id"])[-1]
    await video_and_wait(bot, tg, "在草地上赛跑", chat, reply_to=prompt["message_id"])
    assert grsai.submissions("video")[-1]["prompt"] == "@char.bbb 在草地上赛跑"

    tg.press_button(listing, button(listing, texts.BUTTON_ROLE_DELETE), USER)  # the first row
    await tg.wait_for(
        lambda: "char.aaa" not in _message(tg, chat["id"], listing["message_id"])["text"]
    )
    assert "@角色2 — char.bbb" in _message(tg, chat["id"], listing["message_id"])["text"]
    tg.send_text(chat, USER, "/video @角色1 跑步")
    await tg.wait_for(
        lambda: last_text(tg, chat["id"]) == texts.VIDEO_UNKNOWN_CHARACTER.format(name="角色1")
    )


def _message(tg: FakeTelegram, chat_id: int, message_id: int) -> dict:
    return next(m for m in tg.chat_messages(chat_id) if m["message_id"] == message_id)


# -- long jobs, big files, restarts ------------------------------------------------------------

MB = 1024 * 1024


class FakeClock:
    """Wall and monotonic time that jump forward when the runner "sleeps"."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return _real_time() + self.offset

    def monotonic(self) -> float:
        return _real_monotonic() + self.offset

    async def sleep(self, seconds: float) -> None:
        # 80× faster than real time: status edits still run at Telegram's real per-chat pace
        # in the background, so the fake minutes must leave them some real time.
        self.offset += seconds
        await asyncio.sleep(seconds / 80)


async def test_long_video_status_shows_elapsed_progress_and_estimate_and_is_edited_sparingly(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    fake_time = SimpleNamespace(time=clock.time, monotonic=clock.monotonic)
    for module in ("bot.core.store.jobs", "bot.core.jobs.runner", "bot.tg.outbound.job_events"):
        monkeypatch.setattr(f"{module}.time", fake_time)
    runner = bot.services.runner
    runner._sleep = clock.sleep
    runner.config.poll_interval = {**runner.config.poll_interval, "video": 6.0}  # production
    # 40 polls stuck at 5 % (4 minutes), then 2 % per poll: about 8 fake minutes in all (polls
    # come faster past 50 %, see bot/core/jobs/polling.py).
    grsai.script_task(TaskScript(kind="video", progress=[5] * 40 + list(range(6, 101, 2))))
    # The fake refuses only sends arriving together (< 50 ms): arrival gaps on a loaded machine
    # hold the time the OS did not run the bot; the exact gap is pinned in tests/test_budget.py
    # (docs/testing.md, "Timing measured where Telegram measures it").
    tg.flood_private_interval = 0.05
    chat = await video_and_wait(bot, tg, "/video 15s 高清 长镜头：穿过整座城市")
    fake_seconds = clock.offset
    assert fake_seconds > 7 * 60
    status_id = tg.bot_messages(chat["id"])[0]["message_id"]
    edits = [
        c.params["text"]
        for c in tg.calls_to("editMessageText")
        if c.ok and c.params["message_id"] == status_id
    ]
    running = [e for e in edits if "%" in e]
    # Sparingly: at most one edit per video_status_interval (15 s) of fake time, plus the ends.
    assert 10 <= len(edits) <= fake_seconds / 15 + 4, len(edits)
    assert all(("已用时" in e and "预计还需" in e) or "马上就好" in e for e in running)
    # While the provider is stuck at 5 %, the elapsed time keeps moving (heartbeat edits).
    stuck = [e for e in running if e.splitlines()[2].endswith(" 5%")]
    assert len(stuck) >= 4 and len(set(stuck)) == len(stuck)
    assert any("已用时 3 分" in e for e in running)
    assert edits[-1].splitlines()[-1].startswith("✅")
    assert tg.flood_events == []


async def test_60_mb_video_without_a_local_server_arrives_as_a_link_and_stays_saved(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video", result_size=60 * MB, pid="s_big"))
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/video 16:9 一段很长的航拍")
    await tg.wait_for(lambda: "60 MB" in last_text(tg, chat["id"]), timeout=30)
    await at_rest(bot, tg)
    link = tg.bot_messages(chat["id"])[-1]
    [task_id] = grsai.task_ids("video")
    assert f"{grsai.base_url}/files/" in link["text"] and "分钟内有效" in link["text"]
    assert "50 MB" in link["text"]
    assert [c for c in tg.calls_to("sendVideo") if c.ok] == []
    saved = list((bot.settings.media_dir).glob("*.mp4"))
    assert len(saved) == 1 and saved[0].stat().st_size == 60 * MB
    assert hashlib.sha256(saved[0].read_bytes()).hexdigest() == grsai.result_sha256(task_id)
    # The link message is a bot video like any other: /remix and the buttons work from it.
    labels = [b["text"] for row in link["reply_markup"]["inline_keyboard"] for b in row]
    assert texts.BUTTON_REMIX in labels
    await video_and_wait(bot, tg, "/remix 继续飞", chat, reply_to=link["message_id"])
    assert grsai.submissions("video")[-1]["remixTargetId"] == "s_big"


async def test_60_mb_video_goes_through_a_local_bot_api_server(
    grsai: FakeGrsAI, tmp_path: Path
) -> None:
    async with FakeTelegram(local_mode=True) as tg:
        running = RunningBot(make_settings(tg, grsai, tmp_path / "data", telegram_local_mode=True))
        await running.start()
        try:
            grsai.script_task(TaskScript(kind="video", result_size=60 * MB))
            chat = await video_and_wait(running, tg, "/video 一段很长的航拍")
            [video] = videos(tg, chat["id"])
            [task_id] = grsai.task_ids("video")
            data = tg.uploaded_file(video["video"]["file_id"])
            assert hashlib.sha256(data).hexdigest() == grsai.result_sha256(task_id)
            [upload] = [c for c in tg.calls_to("sendVideo") if c.ok]
            assert upload.params["video"].startswith("file://")  # the server reads the file
        finally:
            await running.stop()


async def test_restart_mid_video_delivers_once_and_submits_once(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video", progress=[*range(2, 100, 2), 100]))
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/video 慢慢生成")
    await tg.wait_for(lambda: grsai.task_ids("video") != [])
    [task_id] = grsai.task_ids("video")
    await tg.wait_for(lambda: grsai.poll_count(task_id) >= 3)
    await bot.stop()
    polls_before = grsai.poll_count(task_id)
    assert videos(tg, chat["id"]) == []
    await bot.start()
    await tg.wait_for(lambda: len(videos(tg, chat["id"])) == 1, timeout=20)
    await at_rest(bot, tg)
    assert len(grsai.submissions("video")) == 1
    assert grsai.poll_count(task_id) > polls_before
    assert len(videos(tg, chat["id"])) == 1
    # After the restart the reply still finds the video (message id and pid are stored).
    [video] = videos(tg, chat["id"])
    await bot.restart()
    await video_and_wait(bot, tg, "/remix 再来一段", chat, reply_to=video["message_id"])
    assert grsai.submissions("video")[-1]["remixTargetId"].startswith("s_")
