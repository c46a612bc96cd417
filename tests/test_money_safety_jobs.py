"""Paid jobs under real faults: nothing lost, nothing paid twice (issue 9, "Jobs").

Telegram outages during delivery, ambiguous submits, a pool that never sent the request, a
resume after long downtime, a status message that could not be sent, oversized JSON answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.core import texts
from bot.core.providers import errors
from bot.core.providers.base import GenerationRequest
from bot.core.providers.grsai_tasks import GrsAITasks
from bot.core.providers.http import FailoverHosts, JsonApi, translate_transport_error
from tests.fakes.grsai import FakeGrsAI, TaskScript
from tests.fakes.juhe import FakeJuhe
from tests.fakes.reshi import FakeReshi
from tests.fakes.telegram import FakeTelegram
from tests.fakes.unified import FakeUnified
from tests.harness import RunningBot, at_rest, updates_handled
from tests.waiting import job_in_state, settled_job

USER = 1001
DRAW = "/v1/draw/nano-banana"
RESULT = "/v1/draw/result"
FAST_RETRY = {"job_delivery_retry_min": 0.2, "job_delivery_retry_max": 0.5}


@pytest.fixture
async def backup() -> AsyncIterator[FakeGrsAI]:
    """GrsAI's second host (the overseas one), a separate server with the same key."""
    async with FakeGrsAI() as fake:
        yield fake


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest, backup: FakeGrsAI) -> dict:
    return {"grsai_fallback_base_url": backup.base_url, **FAST_RETRY,
            **getattr(request, "param", {})}  # fmt: skip


def media(tg: FakeTelegram, chat_id: int, kind: str) -> list[dict]:
    return [m for m in tg.bot_messages(chat_id) if m.get(kind)]


def first_text(tg: FakeTelegram, chat_id: int) -> str:
    messages = tg.bot_messages(chat_id)
    return (messages[0].get("text") or "") if messages else ""


def status_done(tg: FakeTelegram, chat_id: int) -> bool:
    """The job's status message (wherever it is in the chat) says it is done."""
    return any((m.get("text") or "").startswith(texts.JOB_KIND_NAMES["image"])
               and m["text"].splitlines()[-1].startswith("✅")
               for m in tg.bot_messages(chat_id))  # fmt: skip


def posts(fake: FakeGrsAI, path: str) -> int:
    return sum(1 for r in fake.requests_to(path) if r.method == "POST")


# -- A. delivery -----------------------------------------------------------------------------


async def test_telegram_outage_right_after_draw_delays_the_image_but_delivers_it_once(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    grsai.script_task(TaskScript(kind="image", progress=[50, 100]))
    tg.send_text(chat, USER, "/draw 一只戴墨镜的柴犬")
    await tg.wait_for(lambda: first_text(tg, chat["id"]) != "")
    tg.start_outage("502", "reset", "504")  # everything but the user's own updates
    # The job finishes upstream and tries to deliver meanwhile.
    job = await job_in_state(bot.services.jobs, 1, "delivering", timeout=20)
    assert job is not None and job.state == "delivering", job
    tg.end_outage()
    await tg.wait_for(lambda: len(media(tg, chat["id"], "photo")) == 1, timeout=15)
    await tg.wait_for(lambda: first_text(tg, chat["id"]).splitlines()[-1].startswith("✅"))
    await at_rest(bot, tg)
    assert len(media(tg, chat["id"], "photo")) == 1
    assert len(grsai.submissions("image")) == 1
    job = await settled_job(bot.services, 1)
    assert job is not None and job.state == "done"


@pytest.mark.parametrize(
    "settings_overrides", [{"job_poll_interval_image": 0.05, "job_max_running": 1}],
    indirect=True,
)  # fmt: skip
async def test_a_delivery_waiting_for_telegram_holds_no_running_slot(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    """With one running slot, A's original file cannot be uploaded (it waits and retries):
    B's draw is still submitted and delivered meanwhile, and A's file arrives later."""
    grsai.script_task(TaskScript(kind="image", width=2048, height=2048))
    tg.start_outage("502", methods={"sendDocument"})
    first = tg.private_chat(USER)
    tg.send_text(first, USER, "/draw 2K 雪山")
    await tg.wait_for(lambda: len(media(tg, first["id"], "photo")) == 1, timeout=15)
    await tg.wait_for(lambda: len([c for c in tg.calls_to("sendDocument") if not c.ok]) >= 1)
    grsai.script_task(TaskScript(kind="image"))
    second = tg.private_chat(USER + 1)
    tg.send_text(second, USER + 1, "/draw 一只猫")
    await tg.wait_for(lambda: status_done(tg, second["id"]), timeout=15)
    job = await bot.services.jobs.get(1)
    assert job is not None and job.state == "delivering"
    tg.end_outage()
    await tg.wait_for(lambda: len(media(tg, first["id"], "document")) == 1, timeout=15)
    await tg.wait_for(lambda: status_done(tg, first["id"]))


@pytest.mark.parametrize(
    "settings_overrides", [{"job_poll_interval_image": 0.05}], indirect=True
)
async def test_partly_delivered_image_resumes_after_restart_with_the_original_file_only(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    # 2K: a photo plus the original as a file. The file upload fails until after a restart.
    grsai.script_task(TaskScript(kind="image", width=2048, height=2048))
    tg.start_outage("502", methods={"sendDocument"})
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 2K 雪山")
    await tg.wait_for(lambda: len(media(tg, chat["id"], "photo")) == 1, timeout=15)
    await tg.wait_for(lambda: len([c for c in tg.calls_to("sendDocument") if not c.ok]) >= 2)
    # The status says what is happening (edits still work, only uploads of files fail).
    await tg.wait_for(lambda: texts.JOB_STATE_DELIVERY_RETRY in first_text(tg, chat["id"]))
    job = await bot.services.jobs.get(1)
    assert job is not None and job.state == "delivering"
    await bot.stop()
    tg.end_outage()
    await bot.start()
    await tg.wait_for(lambda: len(media(tg, chat["id"], "document")) == 1, timeout=15)
    await at_rest(bot, tg)
    assert len(media(tg, chat["id"], "photo")) == 1, "the photo is not sent again"
    assert len(media(tg, chat["id"], "document")) == 1
    [document] = media(tg, chat["id"], "document")
    [photo] = media(tg, chat["id"], "photo")
    assert document["reply_to_message"]["message_id"] == photo["message_id"]
    job = await settled_job(bot.services, 1)
    assert job is not None and job.state == "done"
    assert first_text(tg, chat["id"]).splitlines()[-1].startswith("✅")
    assert len(grsai.submissions("image")) == 1


async def test_rate_limit_beyond_the_limiters_retries_delays_delivery_only(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    # The limiter retries a 429 five times, then gives up: the job waits and tries again.
    tg.fail_next("sendPhoto", 429, "Too Many Requests: retry after 1", retry_after=1, times=6)
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 猫")
    await tg.wait_for(lambda: len(media(tg, chat["id"], "photo")) == 1, timeout=25)
    await tg.wait_for(lambda: status_done(tg, chat["id"]))
    job = await settled_job(bot.services, 1)
    assert job is not None and job.state == "done" and job.delivery_failures == 1
    assert len(media(tg, chat["id"], "photo")) == 1


async def test_video_delivery_waits_out_a_telegram_outage(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="video", progress=[50, 100], result_size=40_000))
    tg.start_outage("reset", "502", methods={"sendVideo"})
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/video 海边日落")
    await tg.wait_for(lambda: len(tg.calls_to("sendVideo")) >= 3, timeout=20)
    job = await bot.services.jobs.get(1)
    assert job is not None and job.state == "delivering"
    tg.end_outage()
    await tg.wait_for(lambda: len(media(tg, chat["id"], "video")) == 1, timeout=20)
    await at_rest(bot, tg)
    [video] = media(tg, chat["id"], "video")
    [task_id] = grsai.task_ids("video")
    assert len(tg.uploaded_file(video["video"]["file_id"])) == grsai.result_size(task_id)
    job = await settled_job(bot.services, 1)
    assert job is not None and job.state == "done"


async def test_user_who_blocked_the_bot_ends_delivery_without_retrying(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    tg.fail_next("sendPhoto", 403, "Forbidden: bot was blocked by the user")
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 猫")
    await tg.wait_for(lambda: len(tg.calls_to("sendPhoto")) == 1, timeout=15)
    for _ in range(100):
        job = await bot.services.jobs.get(1)
        assert job is not None
        if job.state == "failed":
            break
        await asyncio.sleep(0.05)
    assert job.state == "failed" and job.failure == "chat_gone", job
    await asyncio.sleep(1.0)  # several retry intervals
    assert len(tg.calls_to("sendPhoto")) == 1


async def test_group_upgraded_to_a_supergroup_gets_the_result_in_the_new_chat(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    group = tg.group_chat(-4001, "小组")
    grsai.script_task(TaskScript(kind="image", progress=[*range(5, 100, 5), 100]))
    tg.send_text(group, USER, "/draw 一只猫")
    await tg.wait_for(lambda: first_text(tg, group["id"]) != "")
    tg.migrate_chat(-4001, -1004001)
    await tg.wait_for(lambda: len(media(tg, -1004001, "photo")) == 1, timeout=15)
    await tg.wait_for(lambda: status_done(tg, -1004001))
    job = await settled_job(bot.services, 1)
    assert job is not None and job.state == "done" and job.chat_id == -1004001


def test_telegram_failures_are_sorted_into_wait_and_retry_or_give_up() -> None:
    from bot.core.jobs.runner import DeliveryDelayed, RecipientGone
    from bot.tg.outbound.job_events import delivery_problem

    assert isinstance(delivery_problem(TimedOut()), DeliveryDelayed)
    assert isinstance(delivery_problem(NetworkError("httpx.ConnectError: proxy")), DeliveryDelayed)
    assert isinstance(delivery_problem(NetworkError("Bad Gateway")), DeliveryDelayed)
    delayed = delivery_problem(RetryAfter(7))
    assert isinstance(delayed, DeliveryDelayed) and delayed.retry_after == 7
    assert isinstance(delivery_problem(Forbidden("bot was blocked by the user")), RecipientGone)
    assert isinstance(delivery_problem(BadRequest("Chat not found")), RecipientGone)
    assert delivery_problem(BadRequest("Photo_invalid_dimensions")) is None
    assert delivery_problem(ChatMigrated(5)) is None  # followed by the adapter itself


# -- B. submitting: ambiguous answers are never re-sent ---------------------------------------


@pytest.mark.parametrize(
    ("settings_overrides", "fault"),
    [
        ({}, 500),
        ({}, 504),
        ({}, "html_502"),
        ({}, "html_200"),
        ({}, "reset"),
        ({"provider_read_timeout": 1.0}, "hang"),
    ],
    indirect=["settings_overrides"],
)
async def test_ambiguous_submit_is_not_sent_to_the_other_host_and_the_user_decides(
    tg: FakeTelegram, grsai: FakeGrsAI, backup: FakeGrsAI, bot: RunningBot, fault: int | str
) -> None:
    if isinstance(fault, int):
        grsai.fail_next(DRAW, fault)
    else:
        grsai.fault_next(DRAW, fault)
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    await tg.wait_for(lambda: texts.JOB_SUBMIT_UNCLEAR in first_text(tg, chat["id"]), timeout=15)
    await at_rest(bot, tg)
    assert posts(grsai, DRAW) == 1 and posts(backup, DRAW) == 0
    status = tg.bot_messages(chat["id"])[0]
    [[button]] = status["reply_markup"]["inline_keyboard"]
    assert button["text"] == texts.BUTTON_RETRY
    job = await settled_job(bot.services, 1)
    assert job is not None and job.state == "interrupted"
    # Knowingly submitted again: one more POST, and the result arrives.
    tg.press_button(status, button["callback_data"], USER)
    await tg.wait_for(lambda: len(media(tg, chat["id"], "photo")) == 1, timeout=15)
    assert posts(grsai, DRAW) + posts(backup, DRAW) == 2


@pytest.mark.parametrize(
    "settings_overrides",
    [{"image_providers": ["grsai", "reshi"]}],
    indirect=True,
)
@pytest.mark.parametrize("status", [502, 503])
async def test_5xx_submit_is_not_moved_to_the_next_provider(
    tg: FakeTelegram, grsai: FakeGrsAI, reshi: FakeReshi, settings_overrides: dict,
    status: int, tmp_path: Path,
) -> None:  # fmt: skip
    settings_overrides.update(reshi_api_key=SecretStr(reshi.api_key), reshi_base_url=reshi.base_url)
    from tests.harness import make_settings

    running = RunningBot(make_settings(tg, grsai, tmp_path / "data", **settings_overrides))
    await running.start()
    try:
        grsai.fail_next(DRAW, status)
        chat = tg.private_chat(USER)
        tg.send_text(chat, USER, "/draw 一只橘猫")
        await tg.wait_for(lambda: texts.JOB_SUBMIT_UNCLEAR in first_text(tg, chat["id"]))
        assert reshi.images == [] and posts(grsai, DRAW) == 1
    finally:
        await running.stop()


@pytest.mark.parametrize(
    "settings_overrides",
    [{"image_providers": ["grsai", "reshi"]}],
    indirect=True,
)
@pytest.mark.parametrize("status", [401, 402, 403, 429])
async def test_refused_submit_moves_to_the_next_provider(
    tg: FakeTelegram, grsai: FakeGrsAI, reshi: FakeReshi, settings_overrides: dict,
    status: int, tmp_path: Path,
) -> None:  # fmt: skip
    settings_overrides.update(reshi_api_key=SecretStr(reshi.api_key), reshi_base_url=reshi.base_url)
    from tests.harness import make_settings

    running = RunningBot(make_settings(tg, grsai, tmp_path / "data", **settings_overrides))
    await running.start()
    try:
        grsai.fail_next(DRAW, status, times=2)
        chat = tg.private_chat(USER)
        tg.send_text(chat, USER, "/draw 一只橘猫")
        await tg.wait_for(lambda: len(media(tg, chat["id"], "photo")) == 1, timeout=15)
        assert len(reshi.images) == 1
    finally:
        await running.stop()


@pytest.mark.parametrize(
    ("name", "path"),
    [("reshi", "/videos/generations"), ("unified", "/v2/videos/generations"),
     ("juhe", "/v1/chat/completions")],
)  # fmt: skip
async def test_every_providers_video_submit_with_a_5xx_is_left_to_the_user(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, name: str, path: str
) -> None:
    from tests.harness import make_settings

    fakes = {"reshi": FakeReshi, "unified": FakeUnified, "juhe": FakeJuhe}
    async with fakes[name]() as fake:
        settings = make_settings(
            tg, grsai, tmp_path / "data", video_providers=[name, "grsai"],
            **{f"{name}_api_key": SecretStr(fake.api_key), f"{name}_base_url": fake.base_url},
        )  # fmt: skip
        running = RunningBot(settings)
        await running.start()
        try:
            fake.fail_next(path, 502)
            chat = tg.private_chat(USER)
            tg.send_text(chat, USER, "/video 海边日落")
            await tg.wait_for(lambda: texts.JOB_SUBMIT_UNCLEAR in first_text(tg, chat["id"]))
            assert len(fake.requests_to(path, "POST")) == 1
            assert grsai.submissions("video") == []  # not moved to the next provider
        finally:
            await running.stop()


async def test_submit_that_never_left_moves_to_the_other_host(
    http: httpx.AsyncClient, grsai: FakeGrsAI, backup: FakeGrsAI
) -> None:
    grsai.go_down()
    tasks = GrsAITasks(JsonApi(http, grsai.api_key, FailoverHosts([grsai.base_url,
                                                                   backup.base_url])))
    task_id = await tasks.submit(GenerationRequest("image", "x"))
    assert task_id in backup.task_ids("image")


async def test_polls_may_repeat_on_the_other_host_but_submits_may_not(
    http: httpx.AsyncClient, grsai: FakeGrsAI, backup: FakeGrsAI
) -> None:
    hosts = FailoverHosts([grsai.base_url, backup.base_url])
    tasks = GrsAITasks(JsonApi(http, grsai.api_key, hosts))
    backup.script_task(TaskScript(kind="image"))
    task_id = await GrsAITasks(JsonApi(http, backup.api_key, FailoverHosts([backup.base_url]))
                               ).submit(GenerationRequest("image", "x"))  # fmt: skip
    grsai.fault_next(RESULT, "html_502")
    state = await tasks.poll(task_id)  # asked again on the second host: harmless
    assert state.status in ("running", "succeeded")
    hosts.mark_ok(backup.base_url)
    hosts.mark_ok(grsai.base_url)
    grsai.fail_next(DRAW, 502)
    with pytest.raises(errors.ServerError):
        await tasks.submit(GenerationRequest("image", "y"))
    assert posts(backup, DRAW) == 1  # only the direct submit above


# -- C. a pool wait is "not sent" ------------------------------------------------------------


async def test_pool_timeout_counts_as_not_sent_and_may_go_to_the_other_host(
    grsai: FakeGrsAI, backup: FakeGrsAI
) -> None:
    assert isinstance(translate_transport_error(httpx.PoolTimeout("full")), errors.NotSent)
    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=1),
                               timeout=httpx.Timeout(5.0, pool=0.3))  # fmt: skip
    try:
        grsai.fault_next("/v1/models", "hang")
        busy = asyncio.create_task(client.get(grsai.base_url + "/v1/models"))
        await asyncio.sleep(0.2)  # the pool's only connection is taken
        hosts = FailoverHosts([grsai.base_url, backup.base_url])
        tasks = GrsAITasks(JsonApi(client, grsai.api_key, hosts))
        with pytest.raises(errors.NotSent):
            await tasks.submit(GenerationRequest("image", "x"))
        assert posts(grsai, DRAW) == 0 and posts(backup, DRAW) == 0
        busy.cancel()
        with pytest.raises((asyncio.CancelledError, httpx.HTTPError)):
            await busy
    finally:
        await client.aclose()


async def test_submit_that_never_left_is_tried_again_instead_of_failing_the_job(
    tg: FakeTelegram, grsai: FakeGrsAI, backup: FakeGrsAI, bot: RunningBot
) -> None:
    grsai.go_down()
    backup.go_down()
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    await tg.wait_for(lambda: first_text(tg, chat["id"]) != "")
    await asyncio.sleep(0.3)
    backup.come_back()
    await tg.wait_for(lambda: len(media(tg, chat["id"], "photo")) == 1, timeout=15)
    assert len(backup.submissions("image")) == 1
    job = await settled_job(bot.services, 1)
    assert job is not None and job.state == "done"


# -- D. resumed after long downtime ----------------------------------------------------------


async def test_job_resumed_after_downtime_longer_than_its_max_wait_is_polled_and_delivered(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    svc = bot.services
    chat = tg.private_chat(USER)
    request = GenerationRequest("image", "停机前提交的猫", {"model": "nano-banana-pro",
                                "aspect_ratio": "auto", "image_size": "1K"})  # fmt: skip
    task_id = await svc.providers.tasks["grsai"].submit(request)
    job = await svc.jobs.create(request=request, provider="grsai", user_id=USER,
                                chat_id=chat["id"], thread_id=None, reply_to_id=None)  # fmt: skip
    await svc.jobs.update(job, state="submitted", task_id=task_id)
    await bot.stop()
    three_hours_ago = time.time() - 3 * 3600
    import aiosqlite

    async with aiosqlite.connect(bot.settings.db_path) as db:
        await db.execute("UPDATE jobs SET updated_at = ?, created_at = ?",
                         (three_hours_ago, three_hours_ago))  # fmt: skip
        await db.commit()
    await bot.start()
    await tg.wait_for(lambda: len(media(tg, chat["id"], "photo")) == 1, timeout=15)
    assert grsai.poll_count(task_id) >= 1
    job = await settled_job(bot.services, job.id)
    assert job is not None and job.state == "done"


# -- E. the status message could not be sent -------------------------------------------------


async def test_draw_runs_even_when_its_status_message_cannot_be_sent(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
) -> None:
    tg.start_outage("502", methods={"sendMessage"})
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    await tg.wait_for(lambda: len(grsai.submissions("image")) == 1, timeout=10)
    await tg.wait_for(lambda: len(media(tg, chat["id"], "photo")) == 1, timeout=15)
    tg.end_outage()
    # The status appears once Telegram takes messages again, and tells the end.
    await tg.wait_for(lambda: status_done(tg, chat["id"]), timeout=10)
    job = await settled_job(bot.services, 1)
    assert job is not None and job.state == "done"
    assert texts.ERR_INTERNAL not in [m.get("text") for m in tg.bot_messages(chat["id"])]


# -- F. JSON answers have a size cap ---------------------------------------------------------


async def test_oversized_json_answer_is_refused_without_reading_it_whole(
    http: httpx.AsyncClient, grsai: FakeGrsAI
) -> None:
    tasks = GrsAITasks(JsonApi(http, grsai.api_key, FailoverHosts([grsai.base_url])))
    task_id = await tasks.submit(GenerationRequest("image", "x"))
    huge = {"code": 0, "msg": "success",
            "data": {"id": task_id, "status": "running", "pad": "x" * (6 << 20)}}  # fmt: skip
    grsai.fail_next(RESULT, 200, body=huge)
    with pytest.raises(errors.ServerError, match="too large"):
        await tasks.poll(task_id)
    grsai.fail_next(DRAW, 200, body={"code": 0, "data": {"id": "t", "pad": "x" * (6 << 20)}})
    with pytest.raises(errors.AmbiguousSubmit):  # a paid request: never repeated elsewhere
        await tasks.submit(GenerationRequest("image", "y"))


async def test_a_retry_button_pays_once_even_after_a_restart_when_it_could_not_be_removed(
    tg: FakeTelegram, grsai: FakeGrsAI, backup: FakeGrsAI, bot: RunningBot
) -> None:
    """The "handled" mark is on the job row, taken before anything is submitted: the same
    🔁 button pressed again after a restart (it stayed visible because Telegram refused to
    remove it) does not pay again."""
    grsai.fail_next(DRAW, 500)
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    await tg.wait_for(lambda: texts.JOB_SUBMIT_UNCLEAR in first_text(tg, chat["id"]), timeout=15)
    await at_rest(bot, tg)
    status = tg.bot_messages(chat["id"])[0]
    [[button]] = status["reply_markup"]["inline_keyboard"]
    tg.fail_next("editMessageReplyMarkup", 500, "Internal Server Error", times=5)
    first = tg.press_button(status, button["callback_data"], USER)
    await tg.wait_for(lambda: len(media(tg, chat["id"], "photo")) == 1, timeout=15)
    assert first in tg.callback_answers and posts(grsai, DRAW) + posts(backup, DRAW) == 2
    await bot.restart()
    shown = next(m for m in tg.bot_messages(chat["id"]) if m["message_id"] == status["message_id"])
    assert shown.get("reply_markup")  # the button is still there
    second = tg.press_button(shown, button["callback_data"], USER)
    await tg.wait_for(lambda: second in tg.callback_answers, timeout=15)
    assert tg.callback_answers[second]["text"] == texts.BUTTON_ALREADY_HANDLED
    await updates_handled(bot, tg)  # the press's handler, which would submit, has returned
    assert posts(grsai, DRAW) + posts(backup, DRAW) == 2
