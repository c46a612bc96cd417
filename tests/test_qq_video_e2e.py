"""/续写, /角色, /角色列表, /故事 on QQ, and how long or big videos reach a QQ user — the real
adapter ↔ FakeNapCat ↔ fake GrsAI (and the fake unified aggregator for storyboards)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.core import texts
from bot.core.identity import qq_user
from bot.core.store.characters import CharacterStore
from tests.fakes.grsai import FakeGrsAI, TaskScript
from tests.fakes.onebot import FakeNapCat, SentMessage
from tests.fakes.openai_base import VideoScript
from tests.fakes.unified import FakeUnified
from tests.media import make_mp4
from tests.qq_harness import RunningQQ
from tests.waiting import settled_job

USER = 555
GROUP = 4242
MB = 1024 * 1024
CREATE_CHARACTER = "/v1/video/sora-create-character"
UPLOAD_CHARACTER = "/v1/video/sora-upload-character"


def _text(message: list[dict[str, Any]]) -> str:
    return "".join(s["data"].get("text", "") for s in message if s["type"] == "text")


def reply_to(message_id: int, text: str) -> list[dict[str, Any]]:
    return [{"type": "reply", "data": {"id": str(message_id)}},
            {"type": "text", "data": {"text": text}}]  # fmt: skip


def videos(qq: FakeNapCat) -> list[SentMessage]:
    return [m for m in qq.sent if m.of_type("video")]


async def until(check: Callable[[], object], within: float = 15.0) -> None:
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 (the fake has no event for every condition)
            await asyncio.sleep(0.05)


async def ask(qq: FakeNapCat, message: str | list[dict[str, Any]]) -> SentMessage:
    """Send a private message; the bot's next message."""
    before = len(qq.sent)
    await qq.private_message(USER, message)
    sent = await qq.wait_sent(before + 1, within=10)
    return sent[before]


async def user_sends(qq: FakeNapCat, message: list[dict[str, Any]]) -> int:
    """A user's message the bot answers with something (a lone video: a hint); its id."""
    before = len(qq.sent)
    message_id = await qq.private_message(USER, message)
    await qq.wait_sent(before + 1, within=10)
    return message_id


async def make_video(qq: FakeNapCat, message: str | list[dict[str, Any]]) -> SentMessage:
    before = len(videos(qq))
    await qq.private_message(USER, message)
    await until(lambda: len(videos(qq)) > before, within=20)
    return videos(qq)[-1]


async def make_role(qq: FakeNapCat, message: str | list[dict[str, Any]]) -> SentMessage:
    def created() -> list[SentMessage]:
        return [m for m in qq.sent if "角色已创建" in m.text]

    before = len(created())
    await qq.private_message(USER, message)
    # Generous (a busy machine: the clip is fetched through NapCat, sent, then polled).
    await until(lambda: len(created()) > before, within=60)
    return created()[-1]


def bodies(grsai: FakeGrsAI, path: str) -> list[dict]:
    return [r.json for r in grsai.requests_to(path)]


# -- /续写 ----------------------------------------------------------------------------------------


async def test_qq_remix_replying_to_a_bot_video_continues_it_by_pid(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_task(TaskScript(kind="video", pid="s_first"))
    first = await make_video(qq, "/视频 16:9 小船出海")
    await settled_job(qq_bot.services, 1)  # the video's record is written after QQ's answer
    second = await make_video(qq, reply_to(first.message_id, "/续写 暴风雨来了"))
    remix = grsai.submissions("video")[-1]
    assert remix["remixTargetId"] == "s_first"
    assert remix["prompt"] == "暴风雨来了"
    assert remix["aspectRatio"] == "16:9"  # the source's shape is kept
    assert second.media[0].data


async def test_qq_remix_of_something_that_is_not_a_bot_video_explains_in_chinese(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    assert (await ask(qq, "/续写 继续")).text == texts.QQ_REMIX_USAGE
    own = await user_sends(qq, [qq.video(make_mp4(320, 240, 5.0))])
    assert (await ask(qq, reply_to(own, "/续写 继续"))).text == texts.QQ_REMIX_USAGE
    grsai.script_task(TaskScript(kind="video", pid="s_empty"))
    video = await make_video(qq, "/视频 城堡")
    assert (await ask(qq, reply_to(video.message_id, "/续写"))).text == texts.QQ_REMIX_EMPTY
    assert len(grsai.submissions("video")) == 1


async def test_qq_remix_in_a_group_replies_to_the_bot_video_of_that_group(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_task(TaskScript(kind="video", pid="s_group"))
    await qq.group_message(GROUP, USER, "/视频 群里的小船")
    await until(lambda: videos(qq), within=20)
    [video] = videos(qq)
    assert video.chat_key == f"qqgroup:{GROUP}"
    await qq.group_message(GROUP, USER, reply_to(video.message_id, "/续写 靠岸了"))
    await until(lambda: len(videos(qq)) == 2, within=20)
    assert grsai.submissions("video")[-1]["remixTargetId"] == "s_group"
    assert videos(qq)[-1].chat_key == f"qqgroup:{GROUP}"


# -- /角色 ----------------------------------------------------------------------------------------


async def test_qq_role_from_a_bot_video_uses_its_pid_and_can_be_renamed_and_used(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_task(TaskScript(kind="video", pid="s_hero"))
    grsai.script_task(TaskScript(kind="character", character_id="char.hero01"))
    video = await make_video(qq, "/视频 一只卡通小熊挥手")
    created = await make_role(qq, reply_to(video.message_id, "/角色 1,3"))
    [body] = bodies(grsai, CREATE_CHARACTER)
    assert (body["pid"], body["timestamps"]) == ("s_hero", "1,3")
    assert "char.hero01" in created.text and "@角色1" in created.text
    assert created.text == texts.QQ_ROLE_CREATED.format(character_id="char.hero01", name="角色1")

    renamed = await ask(qq, reply_to(created.message_id, "/角色 小熊"))
    assert renamed.text == texts.QQ_ROLE_RENAMED.format(name="小熊")
    await make_video(qq, "/视频 16:9 @小熊在森林里跳舞")
    assert grsai.submissions("video")[-1]["prompt"] == "@char.hero01 在森林里跳舞"


async def test_qq_invalid_role_ranges_are_refused_before_anything_is_sent(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    video = await make_video(qq, "/视频 跳舞的机器人")
    cases = [
        ("/角色 3,1", texts.ROLE_RANGE_ORDER.format(command="/角色")),
        ("/角色 0,4", texts.ROLE_RANGE_TOO_LONG.format(length="4", command="/角色")),
        ("/角色 9,12", texts.ROLE_RANGE_OUTSIDE.format(duration="10")),
        ("/角色 一到三", texts.ROLE_BAD_RANGE.format(command="/角色")),
        ("/角色", texts.QQ_ROLE_USAGE),
    ]  # fmt: skip
    for command, expected in cases:
        assert (await ask(qq, reply_to(video.message_id, command))).text == expected, command
    assert (await ask(qq, "/角色 1,3")).text == texts.QQ_ROLE_USAGE  # replying to nothing
    assert grsai.requests_to(CREATE_CHARACTER) == []
    assert grsai.requests_to(UPLOAD_CHARACTER) == []


async def test_qq_role_from_a_users_clip_in_the_message_or_replied(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    clip = make_mp4(320, 240, 6.0, payload=20_000)
    await make_role(qq, [qq.video(clip), {"type": "text", "data": {"text": "/角色 0,2"}}])
    [body] = bodies(grsai, UPLOAD_CHARACTER)
    assert body["timestamps"] == "0,2"
    assert base64.b64decode(body["url"].split(",", 1)[1]) == clip

    sent = await user_sends(qq, [qq.video(clip, name="clip.mp4")])
    outside = await ask(qq, reply_to(sent, "/角色 4,7"))  # the clip is 6 s long: seen in the file
    assert outside.text == texts.ROLE_RANGE_OUTSIDE.format(duration="6")
    assert len(grsai.requests_to(UPLOAD_CHARACTER)) == 1
    await make_role(qq, reply_to(sent, "/角色 4,6"))
    assert bodies(grsai, UPLOAD_CHARACTER)[-1]["timestamps"] == "4,6"


@pytest.mark.parametrize("qq_overrides", [{"job_poll_interval_character": 0.05}], indirect=True)
async def test_qq_new_character_waits_for_a_connection_that_comes_back_later(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_task(TaskScript(kind="video", pid="s_late"))
    grsai.script_task(TaskScript(kind="character", character_id="char.late", progress=[10] * 20
                                 + [100]))  # fmt: skip
    video = await make_video(qq, "/视频 一只卡通企鹅")
    before = len(qq.sent)
    await qq.private_message(USER, reply_to(video.message_id, "/角色 0,2"))
    await qq.wait_sent(before + 1)  # "收到，正在生成…"
    # The clip is fetched through NapCat before the character is asked for: gone only after.
    await until(lambda: grsai.requests_to(CREATE_CHARACTER), within=30)
    await qq.disconnect()  # NapCat is gone while the character is made
    assert qq_bot.services is not None
    services = qq_bot.services

    async def delivering() -> bool:
        return any(j.state == "delivering" for j in await services.jobs.active())

    async with asyncio.timeout(30):
        while not await delivering():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    await qq.connect()
    await until(lambda: any("角色已创建" in m.text for m in qq.sent), within=20)
    assert len(grsai.requests_to(CREATE_CHARACTER)) == 1
    assert [c.name for c in await CharacterStore(services.db).of_user(qq_user(USER))] == ["角色1"]


@pytest.mark.parametrize("qq_overrides", [{"role_max_video_mb": 1}], indirect=True)
async def test_qq_role_from_a_clip_too_big_is_refused_in_chinese(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    big = await user_sends(qq, [qq.video(make_mp4(320, 240, 8.0, payload=2 * MB))])
    answer = await ask(qq, reply_to(big, "/角色 0,3"))
    assert answer.text == texts.ROLE_VIDEO_TOO_BIG.format(limit_mb=1)
    assert grsai.requests_to(UPLOAD_CHARACTER) == []


# -- /角色列表 ------------------------------------------------------------------------------------


async def test_qq_roles_are_used_and_deleted_by_number(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    assert (await ask(qq, "/角色列表")).text == texts.QQ_ROLES_EMPTY
    grsai.script_task(TaskScript(kind="video", pid="s_roles"))
    grsai.script_task(TaskScript(kind="character", character_id="char.aaa"))
    grsai.script_task(TaskScript(kind="character", character_id="char.bbb"))
    video = await make_video(qq, "/视频 两只卡通兔子")
    await make_role(qq, reply_to(video.message_id, "/角色 0,2"))
    await make_role(qq, reply_to(video.message_id, "/角色 3,5"))

    listing = await ask(qq, "/角色列表")
    assert listing.text.startswith(texts.QQ_ROLES_TITLE)
    assert "1. @角色1 — char.aaa" in listing.text and "2. @角色2 — char.bbb" in listing.text

    prompt = await ask(qq, "2")  # a numbered reply: use that character
    assert prompt.text == texts.QQ_ROLE_INSERT_PROMPT.format(name="角色2")
    await make_video(qq, reply_to(prompt.message_id, "在草地上赛跑"))
    assert grsai.submissions("video")[-1]["prompt"] == "@char.bbb 在草地上赛跑"

    await make_video(qq, "/角色列表 使用 1 在海边散步")  # use with a description: at once
    assert grsai.submissions("video")[-1]["prompt"] == "@char.aaa 在海边散步"

    assert (await ask(qq, "/角色列表 删除 9")).text == texts.QQ_CHOICE_OUT_OF_RANGE.format(count=2)
    assert (await ask(qq, "/角色列表 改名 1")).text == texts.QQ_ROLES_BAD_ARGUMENT
    deleted = await ask(qq, "/角色列表 删除 1")
    assert deleted.text.startswith(texts.ROLE_DELETED.format(name="角色1"))
    assert "1. @角色2 — char.bbb" in deleted.text and "char.aaa" not in deleted.text
    answer = await ask(qq, "/视频 @角色1 跑步")
    assert answer.text == texts.VIDEO_UNKNOWN_CHARACTER.format(name="角色1")

    await ask(qq, "/角色列表")
    gone = await ask(qq, "删除 1")  # a numbered reply can delete too
    assert gone.text.startswith(texts.ROLE_DELETED.format(name="角色2"))
    assert texts.QQ_ROLES_EMPTY in gone.text


# -- /故事 ----------------------------------------------------------------------------------------

STORY = "/故事 16:9\n7.5秒 清晨的城市街道\n7.5秒 主角推门走进咖啡馆"


@pytest.fixture
async def unified() -> AsyncIterator[FakeUnified]:
    async with FakeUnified() as fake:
        yield fake


def with_unified(unified: FakeUnified) -> dict:
    return {"unified_api_key": SecretStr(unified.api_key), "unified_base_url": unified.base_url,
            "video_providers": ["grsai", "unified"]}  # fmt: skip


class TestStory:
    """The storyboard provider (the unified aggregator) beside GrsAI."""

    @pytest.fixture
    def qq_overrides(self, unified: FakeUnified) -> dict:
        return with_unified(unified)

    async def test_qq_story_runs_on_the_provider_that_knows_storyboards(
        self, qq: FakeNapCat, grsai: FakeGrsAI, unified: FakeUnified
    ) -> None:
        unified.script_video(VideoScript(polls=1))
        await make_video(qq, STORY)
        [task] = unified.tasks.values()
        assert task.body["prompt"] == (
            "Shot 1:\nduration: 7.5sec\nScene: 清晨的城市街道\n\n"
            "Shot 2:\nduration: 7.5sec\nScene: 主角推门走进咖啡馆"
        )
        assert task.body["duration"] == "15" and task.body["aspect_ratio"] == "16:9"
        assert grsai.submissions("video") == []
        status = qq.sent[0]
        assert "镜头 1（7.5 秒）：清晨的城市街道" in status.text

        answer = await ask(qq, "/故事 16:9\n5秒 街道\n主角走进咖啡馆")
        assert answer.text == texts.STORY_BAD_LINE.format(number=2, line="主角走进咖啡馆")
        assert (await ask(qq, "/故事")).text == texts.STORY_HELP
        helping = await ask(qq, "/帮助")
        assert "/故事" in helping.text and "/续写" in helping.text


async def test_qq_story_without_a_storyboard_provider_says_so_and_is_not_offered(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    assert (await ask(qq, "/故事\n5秒 a\n5秒 b")).text == texts.STORY_UNAVAILABLE
    helping = await ask(qq, "/帮助")
    assert "/故事" not in helping.text
    assert "/续写" in helping.text and "/角色列表" in helping.text
    assert grsai.submissions("video") == []


# -- long and big videos --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "qq_overrides",
    [{"qq_progress_milestone_seconds": 1, "qq_progress_milestones": 2}],
    indirect=True,
)
async def test_qq_long_video_gets_at_most_two_milestone_updates(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    steps = [5] * 40 + [20] * 40 + [100]  # about 4 s of "running" at 0.05 s per poll
    grsai.script_task(TaskScript(kind="video", progress=steps))
    asked = await qq.private_message(USER, "/视频 一座城市从白天到黑夜")
    await until(lambda: videos(qq), within=30)
    texts_sent = [m.text for m in qq.sent if not m.of_type("video")]
    milestones = [t for t in texts_sent if t.startswith(texts.QQ_JOB_STILL_RUNNING)]
    assert len(milestones) == 2, texts_sent
    assert all("已用时" in t or "%" in t for t in milestones), milestones
    assert texts_sent[0].startswith(texts.QQ_JOB_RECEIVED)
    later = [m for m in qq.sent if m.text.startswith(texts.QQ_JOB_STILL_RUNNING)]
    assert all(str(m.of_type("reply")[0]["id"]) == str(asked) for m in later)


@pytest.mark.parametrize("qq_overrides", [{"qq_video_segment_max_mb": 1}], indirect=True)
async def test_qq_video_too_big_for_a_video_segment_goes_as_a_file_upload(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    clip = make_mp4(704, 1280, 10.0, payload=2 * MB)
    grsai.script_task(TaskScript(kind="video", result_bytes=clip, pid="s_big"))
    await qq.private_message(USER, "/视频 大文件")
    await until(lambda: any(m.action == "upload_private_file" for m in qq.sent), within=20)
    [upload] = [m for m in qq.sent if m.action == "upload_private_file"]
    assert upload.media[0].data == clip and videos(qq) == []
    await until(lambda: any("已作为文件发送" in m.text for m in qq.sent))
    notice = next(m for m in qq.sent if "已作为文件发送" in m.text)
    grsai.script_task(TaskScript(kind="video"))
    await make_video(qq, reply_to(notice.message_id, "/续写 继续航行"))  # it stands for the video
    assert grsai.submissions("video")[-1]["remixTargetId"] == "s_big"


@pytest.mark.parametrize("qq_overrides", [{"qq_video_segment_max_mb": 1}], indirect=True)
async def test_qq_big_video_whose_upload_is_refused_arrives_as_a_link_with_its_expiry(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    clip = make_mp4(704, 1280, 10.0, payload=2 * MB)
    grsai.script_task(TaskScript(kind="video", result_bytes=clip))
    qq.fail_next("upload_private_file", message="文件过大")
    await qq.private_message(USER, "/视频 大文件")
    await until(lambda: any("下载链接" in m.text for m in qq.sent), within=20)
    link = next(m for m in qq.sent if "下载链接" in m.text)
    assert f"{grsai.base_url}/files/" in link.text
    assert texts.VIDEO_LINK_EXPIRES.format(minutes=119) in link.text
    assert not any(m.action == "upload_private_file" for m in qq.sent)
    assert qq_bot.services is not None
    [job] = [j for j in [await qq_bot.services.jobs.get(1)] if j is not None]
    assert job.state == "done" and Path(job.files[0].path).read_bytes() == clip


@pytest.mark.parametrize("qq_overrides", [{"qq_video_segment_max_mb": 1}], indirect=True)
async def test_qq_big_video_upload_cut_by_a_lost_connection_is_retried_not_turned_into_a_link(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    clip = make_mp4(704, 1280, 10.0, payload=2 * MB)
    grsai.script_task(TaskScript(kind="video", result_bytes=clip))
    qq.drop_on_next("upload_private_file", perform=False)
    qq.keep_connected(0.1)
    await qq.private_message(USER, "/视频 大文件")
    await until(lambda: any(m.action == "upload_private_file" for m in qq.sent), within=30)
    [upload] = [m for m in qq.sent if m.action == "upload_private_file"]
    assert upload.media[0].data == clip
    assert not any("下载链接" in m.text for m in qq.sent)
    assert len(grsai.submissions("video")) == 1


async def test_qq_milestones_passed_before_a_restart_are_not_caught_up() -> None:
    import time
    from types import SimpleNamespace

    from bot.core.providers.base import GenerationRequest
    from bot.core.store.jobs import Job
    from bot.onebot.outbound.job_events import QQJobEvents

    sent: list[str] = []

    async def send(chat: object, message: list[dict[str, Any]], **kw: object) -> int:
        sent.append(_text(message))
        return len(sent)

    async def wait(key: str) -> None:
        return None

    settings = SimpleNamespace(qq_progress_milestone_seconds=1, qq_progress_milestones=2,
                               qq_video_segment_max_mb=100)
    adapter = SimpleNamespace(settings=settings, server=SimpleNamespace(send=send),
                              pacer=SimpleNamespace(wait=wait))  # fmt: skip
    events = QQJobEvents(adapter, store=None)  # type: ignore[arg-type]
    # Resumed after a restart, 1.5 s old: the first milestone (at 1 s) is behind it.
    job = Job(id=7, kind="video", state="submitted", provider="grsai", task_id="t",
              user_id=qq_user(1), chat_id=qq_user(1), thread_id=None, reply_to_id=None,
              status_message_id=None, request=GenerationRequest("video", "海浪", {}),
              progress=30, created_at=time.time() - 1.5)  # fmt: skip
    try:
        await events.on_change(job)
        await events.on_change(job)  # a second change starts no second timer
        await asyncio.sleep(1.2)  # past the second milestone (2 s)
        job.state = "done"
        await asyncio.sleep(1.0)
    finally:
        await events.close()
    assert len(sent) == 1 and sent[0].startswith(texts.QQ_JOB_STILL_RUNNING)
