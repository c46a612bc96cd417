"""How paid results reach QQ when QQ is slow, refuses, or several accounts are connected — the
real adapter ↔ FakeNapCat ↔ fake GrsAI (issue: QQ as safe as Telegram)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core import texts
from bot.core.store.jobs import Job
from bot.onebot.outbound import job_events as qq_jobs
from tests.fakes.grsai import FakeGrsAI, TaskScript
from tests.fakes.onebot import FAILED, FakeNapCat
from tests.media import make_mp4
from tests.qq_harness import FAST_RETRY, RunningQQ, qq_settings, ws_url

USER = 555
GROUP = 4242
ADMIN = 777
MB = 1024 * 1024
BIG = {"qq_video_segment_max_mb": 1, "bot_admin_ids": f"qq:{ADMIN}"}


async def until(check: Callable[[], object], within: float = 20.0) -> None:
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 (the fake has no event for every condition)
            await asyncio.sleep(0.05)


async def job_in(bot: RunningQQ, job_id: int, *states: str, within: float = 20.0) -> Job:
    assert bot.services is not None
    async with asyncio.timeout(within):
        while True:
            job = await bot.services.jobs.get(job_id)
            if job is not None and job.state in states:
                return job
            await asyncio.sleep(0.05)


def uploads(qq: FakeNapCat) -> list[tuple[str, dict]]:
    return [a for a in qq.actions if a[0] == "upload_private_file"]


@pytest.fixture
def quick_media(monkeypatch: pytest.MonkeyPatch) -> None:
    """Media timeouts a test can outlast: 0.5 s for any size."""
    monkeypatch.setattr(qq_jobs, "MEDIA_TIMEOUT_BASE", 0.5, raising=False)
    monkeypatch.setattr(qq_jobs, "MEDIA_SECONDS_PER_MB", 0.0, raising=False)


def test_media_timeout_grows_with_the_file() -> None:
    assert qq_jobs.media_timeout(0) == qq_jobs.MEDIA_TIMEOUT_BASE
    assert qq_jobs.media_timeout(100 * MB) == pytest.approx(260.0)
    assert qq_jobs.media_timeout(100 * MB) > qq_jobs.media_timeout(10 * MB) > 30.0


@pytest.mark.parametrize("qq_overrides", [BIG], indirect=True)
async def test_a_slow_upload_gets_a_timeout_for_its_size_not_the_fixed_action_timeout(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    assert qq_bot.adapter is not None
    qq_bot.adapter.server.action_timeout = 0.5  # the fixed timeout, short: the upload outlasts it
    clip = make_mp4(704, 1280, 10.0, payload=2 * MB)
    grsai.script_task(TaskScript(kind="video", result_bytes=clip))
    qq.slow_next("upload_private_file", 2.0, times=5)
    await qq.private_message(USER, "/视频 大文件")
    job = await job_in(qq_bot, 1, "done", within=30)
    assert len(uploads(qq)) == 1 and job.maybe_sent_at is None


@pytest.mark.parametrize("qq_overrides", [BIG], indirect=True)
async def test_a_slow_upload_answered_late_is_sent_once_and_the_job_ends(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ, quick_media: None
) -> None:
    clip = make_mp4(704, 1280, 10.0, payload=2 * MB)
    grsai.script_task(TaskScript(kind="video", result_bytes=clip))
    qq.slow_next("upload_private_file", 2.0, times=5)  # every try would be slow
    await qq.private_message(USER, "/视频 大文件")
    job = await job_in(qq_bot, 1, "done", within=30)
    assert len(uploads(qq)) == 1
    assert job.maybe_sent_at is None
    await until(lambda: any("已作为文件发送" in m.text for m in qq.sent))


@pytest.mark.parametrize("qq_overrides", [BIG], indirect=True)
async def test_an_upload_never_answered_is_parked_not_repeated_and_an_admin_resends_it(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ, quick_media: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(qq_jobs, "LATE_ANSWER_WAIT", 0.5, raising=False)
    clip = make_mp4(704, 1280, 10.0, payload=2 * MB)
    grsai.script_task(TaskScript(kind="video", result_bytes=clip))
    qq.hang_next("upload_private_file")
    await qq.private_message(USER, "/视频 大文件")
    job = await job_in(qq_bot, 1, "failed", within=30)
    assert job.failure == "undeliverable" and job.maybe_sent_at is not None
    assert "/resend 1" in (job.failure_detail or "")
    assert len(uploads(qq)) == 1
    await until(lambda: any(texts.QQ_MAYBE_SENT in m.text for m in qq.sent))
    await qq.private_message(ADMIN, "/resend 1")
    await job_in(qq_bot, 1, "done")
    await until(lambda: len([m for m in qq.sent if m.action == "upload_private_file"]) == 1)
    assert len(uploads(qq)) == 2


async def test_a_maybe_sent_job_is_not_resent_after_a_restart(
    grsai: FakeGrsAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qq_jobs, "MEDIA_TIMEOUT_BASE", 0.5, raising=False)
    monkeypatch.setattr(qq_jobs, "MEDIA_SECONDS_PER_MB", 0.0, raising=False)
    from tests.process import free_port

    port = free_port()
    settings = qq_settings(grsai, tmp_path / "data", onebot_ws_port=port,
                           **{**FAST_RETRY, **BIG})  # fmt: skip
    clip = make_mp4(704, 1280, 10.0, payload=2 * MB)
    grsai.script_task(TaskScript(kind="video", result_bytes=clip))
    first = RunningQQ(settings)
    await first.start()
    async with FakeNapCat(ws_url(port)) as qq:
        await qq.connect()
        qq.hang_next("upload_private_file")
        try:
            await qq.private_message(USER, "/视频 大文件")
            job = await _maybe_sent(first, 1)
        finally:
            await first.stop()
        assert job.state == "delivering"
        second = RunningQQ(settings)
        await second.start()
        await qq.disconnect()
        await qq.connect()  # NapCat reconnects to the restarted bot
        try:
            job = await job_in(second, 1, "failed")
            assert job.failure == "undeliverable" and job.maybe_sent_at is not None
            assert len(uploads(qq)) == 1
        finally:
            await second.stop()


async def _maybe_sent(bot: RunningQQ, job_id: int) -> Job:
    assert bot.services is not None
    async with asyncio.timeout(30):
        while True:
            job = await bot.services.jobs.get(job_id)
            if job is not None and job.maybe_sent_at is not None:
                return job
            await asyncio.sleep(0.05)


# -- permanent and transient refusals ---------------------------------------------------------


@pytest.mark.parametrize("wording", ["群组不存在", "user not friend"])
async def test_a_chat_the_account_cannot_reach_ends_delivery_like_a_chat_that_is_gone(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ, wording: str
) -> None:
    grsai.script_task(TaskScript(kind="image"))
    qq.fail_next("send_private_msg", message=wording, times=1000)
    await qq.private_message(USER, "/画图 一只猫")
    job = await job_in(qq_bot, 1, "failed")
    assert job.failure == "chat_gone"


async def test_a_malformed_request_retcode_1400_ends_delivery(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_task(TaskScript(kind="image"))
    qq.fail_next("send_private_msg", retcode=1400, message="参数错误", times=1000)
    await qq.private_message(USER, "/画图 一只猫")
    job = await job_in(qq_bot, 1, "failed")
    assert job.failure == "chat_gone"


@pytest.mark.parametrize(
    "qq_overrides", [{"job_delivery_max_failures": 3, "bot_admin_ids": f"qq:{ADMIN}"}],
    indirect=True,
)  # fmt: skip
async def test_a_transient_refusal_retries_a_bounded_number_of_times_then_parks(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_task(TaskScript(kind="image"))
    qq.fail_next("send_private_msg", retcode=FAILED, message="发送失败", times=1000)
    await qq.private_message(USER, "/画图 一只猫")
    job = await job_in(qq_bot, 1, "failed")
    assert job.failure == "undeliverable" and job.delivery_failures == 3
    assert Path(job.files[0].path).exists()
    qq._rules.clear()  # QQ works again: the admin sees the parked job in /stats
    before = len(qq.sent)
    await qq.private_message(ADMIN, "/stats")
    await until(lambda: any(m.chat_key == f"qq:{ADMIN}" for m in qq.sent[before:]))
    stats = next(m for m in qq.sent[before:] if m.chat_key == f"qq:{ADMIN}")
    assert texts.STATS_UNDELIVERABLE.format(ids="1") in stats.text


@pytest.mark.parametrize("qq_overrides", [{"job_max_per_user": 1}], indirect=True)
async def test_a_job_waiting_for_qq_holds_no_generation_slot_of_its_user(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_task(TaskScript(kind="image"))
    qq.fail_next("send_private_msg", retcode=FAILED, message="发送失败", times=1000)
    await qq.private_message(USER, "/画图 一只猫")
    await job_in(qq_bot, 1, "delivering")
    grsai.script_task(TaskScript(kind="image"))
    await qq.private_message(USER, "/画图 一只狗")
    await job_in(qq_bot, 2, "delivering", "done")


# -- several accounts -----------------------------------------------------------------------------


async def test_results_go_through_the_account_that_took_the_request_and_wait_for_it(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ, port: int
) -> None:
    async with FakeNapCat(ws_url(port), self_id=20002) as other:
        await other.connect()  # newer than `qq`: the old code sent everything through it
        grsai.script_task(TaskScript(kind="image", progress=[10] * 10 + [100]))
        await qq.private_message(USER, "/画图 一只猫")
        await until(lambda: any(m.text.startswith(texts.QQ_JOB_RECEIVED) for m in qq.sent))
        await qq.disconnect()  # account A goes offline before the result is ready
        job = await job_in(qq_bot, 1, "delivering")
        assert job.account_id == qq.self_id
        await qq.connect()
        await job_in(qq_bot, 1, "done", within=30)
        assert any(m.of_type("image") for m in qq.sent)
        assert not other.sent


# -- strangers and floods -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "qq_overrides", [{"bot_public": False, "bot_allowed_ids": f"qq:{USER}"}], indirect=True
)
async def test_strangers_refusals_are_dropped_when_their_budget_is_spent_answers_go_first(
    qq: FakeNapCat, qq_bot: RunningQQ
) -> None:
    for number in range(30):
        await qq.private_message(90000 + number, "你好")
    await until(lambda: len(qq.sent) >= 1, within=10)
    asked = await qq.private_message(USER, "/帮助")
    async with asyncio.timeout(8):  # was ~25 s: 30 refusals queued at 20 a minute before it
        while not any(m.chat_key == f"qq:{USER}" for m in qq.sent):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    answer = next(m for m in qq.sent if m.chat_key == f"qq:{USER}")
    assert str(answer.of_type("reply")[0]["id"]) == str(asked)
    refusals = [m for m in qq.sent if m.chat_key != f"qq:{USER}"]
    assert 1 <= len(refusals) <= 3


@pytest.mark.parametrize(
    "qq_overrides", [{"bot_public": False, "bot_allowed_ids": f"qq:{USER}"}], indirect=True
)
async def test_replies_in_a_group_that_is_not_allowed_cost_no_get_msg(
    qq: FakeNapCat, qq_bot: RunningQQ
) -> None:
    qq.hang_next("get_msg", times=1000)  # NapCat slow: each would hold a task
    for number in range(40):
        await qq.group_message(GROUP, 90000 + number, [
            {"type": "reply", "data": {"id": "1"}}, {"type": "text", "data": {"text": "哈哈"}}])
    asked = await qq.private_message(USER, "/帮助")  # handled after the 40 group events
    await until(lambda: any(m.chat_key == f"qq:{USER}" for m in qq.sent))
    assert asked and not [a for a in qq.actions if a[0] == "get_msg"]


async def test_events_in_flight_are_bounded_and_the_excess_dropped_with_a_warning(
    qq: FakeNapCat, qq_bot: RunningQQ, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from bot.onebot.protocol import transport

    monkeypatch.setattr(transport, "MAX_EVENTS_IN_FLIGHT", 10, raising=False)
    qq.hang_next("get_msg", times=1000)
    for number in range(30):  # allowed (public) group replies: each asks get_msg, which hangs
        await qq.group_message(GROUP, 90000 + number, [
            {"type": "reply", "data": {"id": "1"}}, {"type": "text", "data": {"text": "哈哈"}}])
    await until(lambda: "已丢弃" in caplog.text)
    assert len([a for a in qq.actions if a[0] == "get_msg"]) <= 10
