"""The console's job actions against the running bot and the fakes: cancel a queued job
(nothing reaches the provider), resend a result the chat could not take (it arrives once),
allow/deny/quota with the same effect as the commands, overview numbers from the store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from pathlib import Path

import pytest

from bot.core import texts
from bot.core.store.jobs import Job
from tests.console_harness import RunningConsole, bot_with_console
from tests.fakes.grsai import FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, make_settings

ADMIN = 9001
USER = 1001


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30.0) -> None:
    """Poll `check` until it holds (event-driven enough: it reads what the fakes recorded)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.05)


async def job_in(bot: RunningBot, job_id: int, *states: str) -> Job:
    job: Job | None = None

    async def reached() -> bool:
        nonlocal job
        job = await bot.services.jobs.get(job_id)
        return job is not None and job.state in states

    await eventually(reached)
    assert job is not None
    return job


@pytest.fixture
async def running(tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
                  ) -> AsyncIterator[tuple[RunningBot, RunningConsole]]:  # fmt: skip
    settings = make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[ADMIN],
                                   job_max_running=1, bot_public=False,
                                   bot_allowed_ids=[USER])  # fmt: skip
    async with bot_with_console(settings) as running:
        yield running


async def test_a_queued_job_is_cancelled_without_reaching_the_provider(
    tg: FakeTelegram, grsai: FakeGrsAI, running: tuple[RunningBot, RunningConsole]
) -> None:
    bot, console = running
    grsai.script_task(TaskScript(kind="image", progress=[5] * 100_000))  # holds the one slot
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 第一只猫")
    first = await job_in(bot, 1, "submitted")
    tg.send_text(chat, USER, "/draw 第二只猫")
    second = await job_in(bot, 2, "created")
    await eventually(lambda: _true(bot.services.runner.queue_ahead_of_new() == 1))
    client, csrf = await console.logged_in(ADMIN)
    async with aclosing(client):
        refused = await client.post(f"/jobs/{first.id}/cancel", data={"csrf": csrf})
        assert "not_cancellable" in refused.headers["location"]
        page = await client.get(f"/jobs/{second.id}")
        assert 'id="cancel"' in page.text
        done = await client.post(f"/jobs/{second.id}/cancel", data={"csrf": csrf})
        assert done.status_code == 303 and "done=cancelled" in done.headers["location"]
        cancelled = await bot.services.jobs.get(second.id)
        assert cancelled is not None
        assert (cancelled.state, cancelled.failure) == ("failed", "cancelled")
        page = await client.get(done.headers["location"])
        assert "取消任务" in page.text and "已取消" in page.text  # the audit on the job's page
    assert len(grsai.submissions("image")) == 1  # the second never went upstream
    # The user is told in Chinese that it was cancelled and not charged.
    await tg.wait_for(lambda: any("取消" in (m.get("text") or "")
                                  for m in tg.bot_messages(chat["id"])))  # fmt: skip


async def _true(value: bool) -> bool:
    return value


async def test_an_undeliverable_result_is_resent_once_without_a_new_submit(
    tg: FakeTelegram, grsai: FakeGrsAI, running: tuple[RunningBot, RunningConsole]
) -> None:
    bot, console = running
    tg.fail_next("sendPhoto", 403, "Forbidden: bot was blocked by the user")
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 猫")
    job = await job_in(bot, 1, "failed")
    assert job.failure == "chat_gone"
    client, csrf = await console.logged_in(ADMIN)
    async with aclosing(client):
        page = await client.get(f"/jobs/{job.id}")
        assert 'id="resend"' in page.text
        done = await client.post(f"/jobs/{job.id}/resend", data={"csrf": csrf})
        assert "done=resent" in done.headers["location"]
        finished = await job_in(bot, 1, "done")
        again = await client.post(f"/jobs/{job.id}/resend", data={"csrf": csrf})
        assert "not_resendable" in again.headers["location"]
    photos = [m for m in tg.bot_messages(chat["id"]) if m.get("photo")]
    # The refused send, then the resend, accepted once. The only other answer allowed is a 429
    # (Telegram's flood limit, measured on arrival: a loaded machine can bunch two sends the
    # bot spaced), which the bot waits out and retries as Telegram asks; no timed-out copy.
    sends = tg.calls_to("sendPhoto")
    assert sends[0].error_code == 403, tg.dump_calls()
    assert [c.ok for c in sends[1:] if c.error_code != 429] == [True], tg.dump_calls()
    assert len(photos) == 1 and finished.state == "done"
    assert len(grsai.submissions("image")) == 1  # never submitted again


async def test_access_and_quota_changes_act_like_the_commands(
    tg: FakeTelegram, grsai: FakeGrsAI, running: tuple[RunningBot, RunningConsole]
) -> None:
    _bot, console = running
    stranger = 3003
    client, csrf = await console.logged_in(ADMIN)
    async with aclosing(client):
        answer = await client.post("/users/access",
                                   data={"csrf": csrf, "target": str(stranger), "allowed": "1"})
        assert answer.status_code == 303
        # The stranger may chat on Telegram now (the platforms share this AccessControl).
        stranger_chat = tg.private_chat(stranger)
        tg.send_text(stranger_chat, stranger, "/usage")
        await tg.wait_for(lambda: len(tg.bot_messages(stranger_chat["id"])) >= 1)
        [usage] = tg.bot_messages(stranger_chat["id"])
        assert usage["text"] != texts.ACCESS_DENIED.format(user_id=stranger)
        assert "今日用量" in usage["text"]
        answer = await client.post("/users/quota", data={"csrf": csrf, "target": "qq:123",
                                                          "kind": "video", "value": "2"})
        assert answer.status_code == 303
        control = console.access
        assert (await control.limits(control_ident("qq:123")))["video"] == 2
        answer = await client.post("/users/access",
                                   data={"csrf": csrf, "target": str(ADMIN), "allowed": "0"})
        assert "cannot_deny_admin" in answer.headers["location"]
        assert control.is_allowed(ADMIN, None)
        for bad in ({"target": "nobody", "kind": "video", "value": "1"},
                    {"target": "5", "kind": "money", "value": "1"},
                    {"target": "5", "kind": "chat", "value": "-1"}):  # fmt: skip
            refused = await client.post("/users/quota", data={"csrf": csrf, **bad})
            assert refused.status_code == 400 and "输入有误" in refused.text
        page = await client.get("/users")
        assert "允许使用" in page.text and "修改配额" in page.text  # the audit on the page


def control_ident(text: str) -> int:
    from bot.core import identity

    return identity.parse(text)


DRAW = "/v1/draw/nano-banana"
SECOND_ADMIN = 9002
READER = 9003


async def test_an_ambiguous_submit_is_submitted_again_once_knowingly(
    tg: FakeTelegram, grsai: FakeGrsAI, running: tuple[RunningBot, RunningConsole]
) -> None:
    bot, console = running
    grsai.fail_next(DRAW, 504)  # the submit may have reached the provider
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    job = await job_in(bot, 1, "interrupted")
    assert job.failure == "submit_unclear" and posts(grsai) == 1
    tg.send_text(chat, USER, "/draw 一只狗")  # an ordinary job, for contrast
    other = await job_in(bot, 2, "done")
    await console.auth.set_role(SECOND_ADMIN, "admin", ADMIN)
    await console.auth.set_role(READER, "readonly", ADMIN)
    first, csrf = await console.logged_in(ADMIN)
    second, csrf2 = await console.logged_in(SECOND_ADMIN)
    reader, reader_csrf = await console.logged_in(READER)
    async with aclosing(first), aclosing(second), aclosing(reader):
        # The button is there for the ambiguous job only, and only for who may change things.
        page = (await first.get(f"/jobs/{job.id}")).text
        assert 'id="submit-again"' in page and "提交结果不明" in page
        assert 'id="submit-again"' not in (await first.get(f"/jobs/{other.id}")).text
        assert 'id="submit-again"' not in (await reader.get(f"/jobs/{job.id}")).text
        refused = await reader.post(f"/jobs/{job.id}/submit-again",
                                    data={"csrf": reader_csrf, "confirm": "yes"})  # fmt: skip
        assert refused.status_code == 403
        assert (await reader.get(f"/jobs/{job.id}/submit-again")).status_code == 403
        no_token = await first.post(f"/jobs/{job.id}/submit-again", data={"confirm": "yes"})
        assert no_token.status_code == 403
        # The confirmation says plainly that the provider may charge twice.
        confirm = await first.get(f"/jobs/{job.id}/submit-again")
        assert confirm.status_code == 200
        assert texts.CONSOLE_UI["submit_again_warning"] in confirm.text
        assert "可能会收取两次费用" in confirm.text and 'id="confirm-submit-again"' in confirm.text
        # A press that skipped the confirmation only leads to it.
        bare = await first.post(f"/jobs/{job.id}/submit-again", data={"csrf": csrf})
        assert bare.status_code == 303 and bare.headers["location"].endswith("/submit-again")
        for other_job in (other.id, 99):
            nope = await first.post(f"/jobs/{other_job}/submit-again",
                                    data={"csrf": csrf, "confirm": "yes"})  # fmt: skip
            assert "not_resubmittable" in nope.headers["location"]
        assert posts(grsai) == 2  # nothing new so far (the cat's unclear one, the dog)
        # Two operators confirm at the same moment: one conditional UPDATE lets one through.
        answers = await asyncio.gather(
            first.post(f"/jobs/{job.id}/submit-again", data={"csrf": csrf, "confirm": "yes"}),
            second.post(f"/jobs/{job.id}/submit-again", data={"csrf": csrf2, "confirm": "yes"}),
        )
        outcomes = sorted(a.headers["location"].split("done=")[1].split("&")[0]
                          for a in answers)  # fmt: skip
        assert outcomes == ["not_resubmittable", "submitted_again"]
        winner = ADMIN if "submitted_again" in answers[0].headers["location"] else SECOND_ADMIN
        finished = await job_in(bot, job.id, "done")
        again = await first.post(f"/jobs/{job.id}/submit-again",
                                 data={"csrf": csrf, "confirm": "yes"})  # fmt: skip
        assert "not_resubmittable" in again.headers["location"]
        page = (await first.get(f"/jobs/{job.id}")).text
        assert 'id="submit-again"' not in page
        steps = await bot.services.jobs.transitions(job.id)
        assert [(t.from_state, t.to_state, t.reason, t.actor) for t in steps
                if t.actor is not None] == [("interrupted", "created", "submit_again", winner)]
        assert steps[-1].to_state == "done"
        assert "确认重新提交（可能重复扣费）" in page  # in the history and the audit
        audit = await console.auth.audit_of(f"job:{job.id}")
        assert [(a.actor, a.action) for a in audit] == [(winner, "submit_again")]
    # Exactly one new submit reached the provider, and the user got the picture once.
    assert posts(grsai) == 3
    cats = [s for s in grsai.submissions("image") if "猫" in str(s)]
    assert len(cats) == 1, grsai.submissions("image")
    assert finished.attempts == 2
    await tg.wait_for(lambda: len([m for m in tg.bot_messages(chat["id"])
                                   if m.get("photo")]) == 2)  # the cat and the dog  # fmt: skip
    assert len([c for c in tg.calls_to("sendPhoto") if c.ok]) == 2, tg.dump_calls()


def posts(grsai: FakeGrsAI) -> int:
    """Submits that reached the provider (refused or answered unclearly included)."""
    return sum(1 for r in grsai.requests_to(DRAW) if r.method == "POST")
