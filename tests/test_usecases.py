"""The use cases every platform shares (bot/core/usecases), on real services against the fake GrsAI:
launching a job, the access gate and cooldown, the chat queue and the option checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.core import identity, texts
from bot.core.access_texts import quota_text
from bot.core.config import Settings
from bot.core.providers.base import GenerationRequest
from bot.core.services import Services
from bot.core.store.jobs import Job
from bot.core.usecases.chat_queue import ChatQueue, Place
from bot.core.usecases.chat_turn import QueuedTurn, begin_chat_turn
from bot.core.usecases.gate import Gate, Knock
from bot.core.usecases.launch import Origin, Refused, launch_job
from bot.core.usecases.options import option_refusal
from tests.fakes.grsai import FakeGrsAI, TaskScript
from tests.waiting import eventually

USER, ADMIN, STRANGER = 1001, 9, 4004
GROUP = -100555
DRAW = "/v1/draw/nano-banana"


class RecordedEvents:
    """The platform side of the runner: records what it was asked to show and deliver."""

    def __init__(self) -> None:
        self.changes: list[tuple[int, str]] = []
        self.delivered: list[int] = []

    async def on_change(self, job: Job) -> None:
        self.changes.append((job.id, job.state))

    async def deliver(self, job: Job) -> None:
        self.delivered.append(job.id)

    async def close(self) -> None:
        pass


def settings_for(grsai: FakeGrsAI, data: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "grsai_api_key": SecretStr(grsai.api_key),
        "grsai_base_url": grsai.base_url,
        "grsai_fallback_base_url": grsai.base_url,
        "bot_data_dir": data,
        "bot_admin_ids": [ADMIN],
        "bot_allowed_ids": [USER, identity.qq_user(USER)],
        "job_poll_interval_image": 0.05,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def services(
    grsai: FakeGrsAI, tmp_path: Path, overrides: dict[str, Any]
) -> AsyncIterator[tuple[Services, RecordedEvents]]:
    events = RecordedEvents()
    svc = await Services.open(settings_for(grsai, tmp_path, **overrides), events=events)
    try:
        yield svc, events
    finally:
        await svc.close()


def image(prompt: str = "一只猫", **params: Any) -> GenerationRequest:
    return GenerationRequest("image", prompt, {"model": "nano-banana-pro", "image_size": "1K",
                                               "aspect_ratio": "auto", **params})  # fmt: skip


async def job_rows(svc: Services) -> int:
    async with svc.db.conn.execute("SELECT COUNT(*) FROM jobs") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


# -- launching a job ---------------------------------------------------------------------------


async def test_launch_creates_the_row_and_its_usage_then_shows_the_status_then_starts(
    services: tuple[Services, RecordedEvents], grsai: FakeGrsAI
) -> None:
    svc, _ = services
    grsai.script_task(TaskScript(kind="image", progress=[100]))
    seen: list[tuple[str, Any]] = []

    async def show(job: Job, text: str) -> int:
        stored = await svc.jobs.get(job.id)
        used = (await svc.access.used_today(USER))["image"]
        seen.append(("status", (stored is not None, used, len(grsai.requests_to(DRAW)), text)))
        return 777

    origin = Origin(USER, USER, reply_to_id=55)
    job = await launch_job(svc, image(), origin, show, first_line="收到")
    assert isinstance(job, Job)
    # At the status: the row and its usage exist, nothing was sent upstream yet.
    [(what, (row, used, submits, text))] = seen
    assert (what, row, used, submits) == ("status", True, 1, 0)
    assert text.startswith("收到\n") and len(text.splitlines()) > 1  # the line, then the status
    stored = await svc.jobs.get(job.id)
    assert stored is not None and stored.status_message_id == 777 and stored.reply_to_id == 55
    await eventually(lambda: grsai.requests_to(DRAW), what="the runner submitted the job")


@pytest.mark.parametrize("overrides", [{"job_max_per_user": 1}])
async def test_a_failing_create_releases_the_slot_and_starts_nothing(
    services: tuple[Services, RecordedEvents], grsai: FakeGrsAI
) -> None:
    svc, _ = services
    shown: list[int] = []

    async def show(job: Job, text: str) -> int:
        shown.append(job.id)
        return 1

    # A real fault in the store: the jobs table refuses the row (as a full disk would).
    await svc.db.conn.execute("CREATE TRIGGER refuse_jobs BEFORE INSERT ON jobs "
                              "BEGIN SELECT RAISE(ABORT, 'disk full'); END")  # fmt: skip
    with pytest.raises(Exception, match="disk full"):
        await launch_job(svc, image(), Origin(USER, USER), show)
    assert shown == [] and grsai.requests_to(DRAW) == [] and await job_rows(svc) == 0
    # The one concurrent-job slot is free again at once (not after the reservation's expiry).
    await svc.db.conn.execute("DROP TRIGGER refuse_jobs")
    grsai.script_task(TaskScript(kind="image", progress=[100]))
    job = await launch_job(svc, image(), Origin(USER, USER), show)
    assert isinstance(job, Job) and shown == [job.id]


@pytest.mark.parametrize("overrides", [{"quota_images_per_day": 1}])
async def test_a_refused_quota_spends_nothing(
    services: tuple[Services, RecordedEvents], grsai: FakeGrsAI
) -> None:
    svc, _ = services
    grsai.script_task(TaskScript(kind="image", progress=[100]))
    shown: list[int] = []

    async def show(job: Job, text: str) -> int:
        shown.append(job.id)
        return 1

    first = await launch_job(svc, image(), Origin(USER, USER), show)
    assert isinstance(first, Job)
    await eventually(lambda: grsai.requests_to(DRAW), what="the first job submitted")
    refused = await launch_job(svc, image("再来"), Origin(USER, USER), show)
    exceeded = await svc.access.check_job(USER, "image")
    assert exceeded is not None
    assert refused == Refused(quota_text(exceeded, svc.settings.quota_timezone))
    assert shown == [first.id] and await job_rows(svc) == 1
    assert len(grsai.requests_to(DRAW)) == 1
    assert (await svc.access.used_today(USER))["image"] == 1


@pytest.mark.parametrize("failure", ["none", "raises"])
async def test_a_status_that_could_not_be_posted_never_stops_the_job(
    services: tuple[Services, RecordedEvents], grsai: FakeGrsAI, failure: str
) -> None:
    svc, events = services
    grsai.script_task(TaskScript(kind="image", progress=[100]))

    async def show(job: Job, text: str) -> int | None:
        if failure == "raises":
            raise ConnectionError("the platform is down")
        return None

    job = await launch_job(svc, image(), Origin(USER, USER), show)
    assert isinstance(job, Job)
    await eventually(lambda: grsai.requests_to(DRAW), what="the job submitted anyway")
    await eventually(lambda: job.id in events.delivered, what="the result handed to the platform")
    stored = await svc.jobs.get(job.id)
    assert stored is not None and stored.status_message_id is None


# -- option checks -----------------------------------------------------------------------------


async def test_options_a_provider_on_the_route_does_not_take_are_refused_before_anything(
    services: tuple[Services, RecordedEvents], grsai: FakeGrsAI
) -> None:
    svc, _ = services
    vip_4k = option_refusal(svc, image(model="nano-banana-pro-vip", image_size="4K"))
    assert vip_4k == Refused(texts.DRAW_BAD_COMBINATION_VIP)
    four_k_vip_2k = option_refusal(svc, image(model="nano-banana-pro-4k-vip", image_size="2K"))
    assert four_k_vip_2k == Refused(texts.DRAW_BAD_COMBINATION_4KVIP)
    assert option_refusal(svc, image(aspect_ratio="7:3")) == Refused(texts.ERR_BAD_REQUEST)
    assert option_refusal(svc, image(model="nano-banana-pro-4k-vip", image_size="4K")) is None
    assert grsai.requests == []


# -- the access gate and the group cooldown ------------------------------------------------------


@pytest.fixture
def gate(services: tuple[Services, RecordedEvents]) -> Gate:
    return Gate(services[0].access, cooldown_seconds=30.0, refusal_interval=60.0)


def test_admin_commands_pass_for_admins_and_are_silent_for_everyone_else(gate: Gate) -> None:
    assert gate.check(Knock(ADMIN, ADMIN, False, command="stats")).passes
    for who in (USER, STRANGER):
        verdict = gate.check(Knock(who, who, False, command="stats"))
        assert (verdict.passes, verdict.text, verdict.reason) == (False, None, "admin_only")
    # Admin commands skip the group cooldown: the admin's next request in a group still passes.
    assert gate.check(Knock(ADMIN, GROUP, True, command="allow")).passes
    assert gate.check(Knock(ADMIN, GROUP, True, command="allow")).passes


def test_a_stranger_hears_the_refusal_once_per_interval_in_the_words_of_their_platform(
    gate: Gate,
) -> None:
    first = gate.check(Knock(STRANGER, STRANGER, False))
    assert (first.passes, first.reason) == (False, "denied")
    assert first.text == texts.ACCESS_DENIED.format(user_id=STRANGER)
    again = gate.check(Knock(STRANGER, STRANGER, False))
    assert (again.passes, again.text, again.reason) == (False, None, "denied")
    # A button press always hears why; a group message not meant for the bot never does.
    button = gate.check(Knock(STRANGER, STRANGER, False, button=True))
    assert button.text == texts.ACCESS_DENIED_BUTTON.format(user_id=STRANGER)
    assert gate.check(Knock(STRANGER, GROUP, True, addressed=False)).text is None
    in_group = gate.check(Knock(STRANGER, GROUP, True))
    assert in_group.text == texts.ACCESS_DENIED_GROUP.format(user_id=STRANGER, chat_id=GROUP)
    qq_stranger, qq_group = identity.qq_user(STRANGER), identity.qq_group(777)
    qq = gate.check(Knock(qq_stranger, qq_group, True))
    assert qq.text == texts.QQ_ACCESS_DENIED_GROUP.format(user=f"qq:{STRANGER}",
                                                          group="qqgroup:777")  # fmt: skip
    private = gate.check(Knock(qq_stranger, qq_stranger, False))
    assert private.text == texts.QQ_ACCESS_DENIED.format(user=f"qq:{STRANGER}")


def test_the_group_cooldown_answers_once_and_counts_what_is_meant_for_the_bot(gate: Gate) -> None:
    assert gate.check(Knock(USER, USER, False)).passes  # private chats have no cooldown
    assert gate.check(Knock(USER, USER, False)).passes
    assert gate.check(Knock(USER, GROUP, True, addressed=False)).passes  # chatter: not counted
    assert gate.check(Knock(USER, GROUP, True)).passes
    cooling = gate.check(Knock(USER, GROUP, True))
    assert (cooling.passes, cooling.reason, cooling.wait) == (False, "cooldown", 30)
    assert cooling.text == texts.COOLDOWN_NOTICE.format(seconds=30)
    quiet = gate.check(Knock(USER, GROUP, True))
    assert (quiet.passes, quiet.text, quiet.reason) == (False, None, "cooldown")
    assert gate.check(Knock(USER, GROUP, True, button=True)).passes  # buttons are not requests
    assert all(gate.check(Knock(ADMIN, GROUP, True)).passes for _ in range(2))  # admins: none
    # An album counts once: its later parts pass, a new album waits like any request.
    other = identity.qq_user(USER)
    assert gate.check(Knock(other, GROUP, True, addressed=False, album="a1")).passes
    assert gate.check(Knock(other, GROUP, True, addressed=False, album="a1")).passes
    assert not gate.check(Knock(other, GROUP, True, album="a2")).passes


# -- the chat queue ------------------------------------------------------------------------------


async def test_the_chat_queue_answers_in_order_notes_waiting_and_refuses_beyond_its_limit() -> None:
    queue = ChatQueue(most_waiting=1)
    first, second = queue.join("c"), queue.join("c")
    assert isinstance(first, Place) and isinstance(second, Place)
    assert (first.note, second.note) == (None, texts.CHAT_QUEUED.format(n=1))
    assert queue.join("c") == Refused(texts.CHAT_QUEUE_FULL)
    other = queue.join("elsewhere")  # another conversation does not wait
    assert isinstance(other, Place) and other.note is None
    order: list[str] = []
    first_may_end = asyncio.Event()

    async def answer(place: Place, name: str, wait: asyncio.Event | None = None) -> None:
        async with place:
            order.append(f"{name} starts")
            if wait is not None:
                await wait.wait()
            order.append(f"{name} ends")

    tasks = [asyncio.create_task(answer(second, "second")),
             asyncio.create_task(answer(first, "first", first_may_end))]  # fmt: skip
    await eventually(lambda: order == ["first starts"], what="the first answer started")
    first_may_end.set()
    await asyncio.gather(*tasks)
    assert order == ["first starts", "first ends", "second starts", "second ends"]
    assert queue.ahead("c") == 0
    other.leave()
    other.leave()  # twice is harmless
    assert queue.ahead("elsewhere") == 0


async def test_a_turn_cancelled_while_waiting_gives_its_place_back() -> None:
    queue = ChatQueue(most_waiting=3)
    first, second = queue.join("c"), queue.join("c")
    assert isinstance(first, Place) and isinstance(second, Place)
    started = asyncio.Event()

    async def wait_turn() -> None:
        started.set()
        await second.__aenter__()  # waits: the first place is answering

    async with first:
        waiting = asyncio.create_task(wait_turn())
        await started.wait()
        assert queue.ahead("c") == 2
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert queue.ahead("c") == 1
    assert queue.ahead("c") == 0
    third = queue.join("c")
    assert isinstance(third, Place) and third.note is None


@pytest.mark.parametrize("overrides", [{"quota_chat_per_day": 2, "chat_queue_per_conversation": 0}])
async def test_a_chat_turn_holds_its_quota_until_it_ends_and_counts_only_an_answer(
    services: tuple[Services, RecordedEvents],
) -> None:
    """bot/core/usecases/chat_turn.py: a turn in flight holds one of the day's chat turns;
    a refusal (too long, no quota, line full) holds nothing; only an answer is counted,
    against whoever answered."""
    svc, _ = services
    too_long = await begin_chat_turn(svc, USER, USER, True, "字" * 10_000)
    assert isinstance(too_long, Refused) and "10000" in too_long.text
    first = await begin_chat_turn(svc, USER, USER, True, "你好")
    assert isinstance(first, QueuedTurn) and first.note is None
    # The line holds one turn answering and none waiting: a second is refused, holding nothing.
    full = await begin_chat_turn(svc, USER, USER, True, "还在吗")
    assert full == Refused(texts.CHAT_QUEUE_FULL)
    async with first:
        turn = await svc.chat.start_turn(first.key, USER, "你好", [])
        svc.chat.served[USER] = ("unified", "gemini-2.5-pro")  # the router fell back
        await first.answered(turn, "你好！")
    first.end()
    first.end()  # twice is harmless
    # A turn that ends unanswered (its provider failed) counts nothing and frees its hold.
    second = await begin_chat_turn(svc, USER, USER, True, "再问一次")
    assert isinstance(second, QueuedTurn)
    exceeded = await begin_chat_turn(svc, USER, USER, True, "第三次")  # 1 used + 1 in flight
    assert isinstance(exceeded, Refused) and exceeded != Refused(texts.CHAT_QUEUE_FULL)
    second.end()
    assert (await svc.access.used_today(USER))["chat"] == 1
    third = await begin_chat_turn(svc, USER, USER, True, "第三次")
    assert isinstance(third, QueuedTurn)
    third.end()
