"""/画图 on QQ: status, the delivered image, references, durable delivery (restart, late
reconnect) — the real adapter ↔ FakeNapCat ↔ fake GrsAI."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from bot.core import texts
from tests.fakes.grsai import FakeGrsAI, TaskScript
from tests.fakes.onebot import FakeNapCat, SentMessage
from tests.media import make_png
from tests.qq_harness import FAST_RETRY, RunningQQ, qq_settings, ws_url
from tests.waiting import settles

USER = 555


def images(qq: FakeNapCat) -> list[SentMessage]:
    return [m for m in qq.sent if m.of_type("image")]


async def wait_images(qq: FakeNapCat, count: int, within: float = 15.0) -> list[SentMessage]:
    async with asyncio.timeout(within):
        while len(images(qq)) < count:  # noqa: ASYNC110 (the fake has no such event)
            await asyncio.sleep(0.05)
    return images(qq)


def sent_references(grsai: FakeGrsAI) -> list[bytes]:
    urls = grsai.submissions("image")[-1].get("urls") or []
    return [base64.b64decode(u.split(",", 1)[1]) for u in urls]


async def test_qq_draw_says_received_then_replies_with_the_exact_image(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    picture = make_png(64, 48, "result")
    grsai.script_task(TaskScript(kind="image", result_bytes=picture))
    asked = await qq.private_message(USER, "/画图 一只戴墨镜的柴犬")
    [result] = await wait_images(qq, 1)
    status = qq.sent[0]
    assert status.text.startswith(texts.QQ_JOB_RECEIVED)
    assert result.media[0].data == picture
    assert str(result.of_type("reply")[0]["id"]) == str(asked)
    assert grsai.submissions("image")[0]["prompt"] == "一只戴墨镜的柴犬"


async def test_qq_draw_without_prompt_explains_in_chinese(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    await qq.private_message(USER, "/画图")
    [answer] = await qq.wait_sent(1)
    assert answer.text.startswith("请在 /draw 后面写上描述")
    assert grsai.submissions("image") == []


async def test_qq_draw_uses_a_picture_in_the_same_message_as_reference(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    picture = make_png(40, 30, "ref")
    command = {"type": "text", "data": {"text": "/画图 换成油画风格"}}
    await qq.private_message(USER, [qq.image(picture), command])
    await wait_images(qq, 1)
    assert sent_references(grsai) == [picture]
    assert grsai.submissions("image")[0]["prompt"] == "换成油画风格"


async def test_qq_draw_replying_to_the_bots_result_uses_that_result(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    first = make_png(50, 50, "first")
    grsai.script_task(TaskScript(kind="image", result_bytes=first))
    await qq.private_message(USER, "/画图 一座山")
    [result] = await wait_images(qq, 1)
    answer = {"type": "reply", "data": {"id": str(result.message_id)}}
    await qq.private_message(USER, [answer, {"type": "text", "data": {"text": "/画图 改成冬天"}}])
    await wait_images(qq, 2)
    assert sent_references(grsai) == [first]


async def test_qq_draw_result_waits_for_a_connection_that_comes_back_only_later(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    picture = make_png(32, 32, "late")
    grsai.script_task(TaskScript(kind="image", result_bytes=picture, progress=[10, 30, 60, 100]))
    await qq.private_message(USER, "/画图 夜空")
    await qq.wait_sent(1)
    await qq.disconnect()  # NapCat is gone while the picture is made
    assert qq_bot.services is not None
    async with asyncio.timeout(10):
        while not any(j.state == "delivering" for j in await qq_bot.services.jobs.active()):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    # One delivery waited for a connection in vain and is retried later (a delivery failure).
    jobs = qq_bot.services.jobs
    job = await settles(lambda: jobs.get(1), lambda j: j is not None and j.delivery_failures >= 1,
                        timeout=20)  # fmt: skip
    assert job is not None and job.delivery_failures >= 1, job
    assert images(qq) == []
    await qq.connect()
    [result] = await wait_images(qq, 1, within=15)
    assert result.media[0].data == picture
    assert len(grsai.submissions("image")) == 1


async def test_qq_draw_resumes_after_restart_without_resubmitting(
    grsai: FakeGrsAI, tmp_path: Path, port: int
) -> None:
    settings = qq_settings(grsai, tmp_path / "data", onebot_ws_port=port, **FAST_RETRY)
    picture = make_png(30, 20, "restart")
    steps = [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 100]
    grsai.script_task(TaskScript(kind="image", result_bytes=picture, progress=steps))
    running = RunningQQ(settings)
    await running.start()
    async with FakeNapCat(ws_url(port)) as qq:
        await qq.connect()
        qq.keep_connected(0.1)
        try:
            await qq.private_message(USER, "/画图 小船")
            await qq.wait_sent(1)
            # Mid-job means submitted (polling): stopped while the submit is still on its way,
            # the job would rightly wait for the user (it may have been paid), not resume.
            jobs = running.services.jobs if running.services else None
            assert jobs is not None
            job = await settles(lambda: jobs.get(1), lambda j: j is not None and j.state
                                not in ("created", "submitting"), timeout=30)  # fmt: skip
            assert job is not None and job.task_id, job
            await running.stop()  # the bot restarts mid-job
            running = RunningQQ(settings)
            await running.start()
            [result] = await wait_images(qq, 1, within=40)
        finally:
            await running.stop()
    assert result.media[0].data == picture
    assert len(grsai.submissions("image")) == 1


async def test_qq_video_says_received_then_replies_with_the_video(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    from tests.media import make_mp4

    clip = make_mp4(704, 1280, 4.0)
    grsai.script_task(TaskScript(kind="video", result_bytes=clip, progress=[20, 60, 100]))
    asked = await qq.private_message(USER, "/视频 竖屏 海边日落")
    async with asyncio.timeout(20):
        while not [m for m in qq.sent if m.of_type("video")]:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    status = qq.sent[0]
    assert status.text.startswith(texts.QQ_JOB_RECEIVED)
    [result] = [m for m in qq.sent if m.of_type("video")]
    assert result.media[0].data == clip
    assert str(result.of_type("reply")[0]["id"]) == str(asked)
    assert len(grsai.submissions("video")) == 1


async def test_qq_failed_draw_is_told_once_in_chinese(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    script = TaskScript(kind="image", outcome="failed", failure_reason="output_moderation")
    grsai.script_task(script)
    await qq.private_message(USER, "/画图 不该画的东西")
    sent = await qq.wait_sent(2, within=15)
    await asyncio.sleep(0.5)
    assert len(qq.sent) == 2 and images(qq) == []
    failure = sent[1]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in failure.text)
    assert "output_moderation" not in failure.text


@pytest.mark.parametrize("content", [b"not a picture at all", make_png(30, 20, "local")])
async def test_qq_reference_from_napcats_local_copy_is_checked_like_a_download(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, content: bytes,
) -> None:  # fmt: skip
    """NapCat on the same host answers get_image with a local path and no URL: the file is
    read, checked and copied like a download (a non-picture is refused, nothing is paid)."""
    qq.media_dir = tmp_path / "napcat"
    asked = qq._a_get_image

    async def without_url(params: dict) -> dict:
        answer = await asked(params)
        answer.pop("url", None)
        return answer

    monkeypatch.setattr(qq, "_a_get_image", without_url)
    qq.received_media["LOCAL.jpg"] = content
    picture = {"type": "image", "data": {"file": "LOCAL.jpg"}}
    await qq.private_message(USER, [picture, {"type": "text", "data": {"text": "/画图 油画"}}])
    if content.startswith(b"\x89PNG"):
        await wait_images(qq, 1)
        assert sent_references(grsai) == [content]
        return
    async with asyncio.timeout(10):
        while not any(texts.DRAW_REFERENCE_NOT_IMAGE in m.text for m in qq.sent):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    assert grsai.submissions("image") == []
