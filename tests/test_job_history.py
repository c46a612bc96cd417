"""A job's state history (job_transitions, migration 12): every change the store makes is
recorded once with its time, reason and operator; an ambiguous submit is claimed for a knowing
"submit again" by one caller, once, and then no retry button launches it a second time."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.providers.base import GenerationRequest
from bot.core.store.db import Database
from bot.core.store.jobs import Job, JobStore

OPERATOR = 9001


async def _job(jobs: JobStore) -> Job:
    return await jobs.create(
        request=GenerationRequest("image", "猫"), provider="grsai", user_id=7, chat_id=7,
        thread_id=None, reply_to_id=None,
    )  # fmt: skip


def _steps(found: list) -> list[tuple[str | None, str, str | None, int | None]]:
    return [(t.from_state, t.to_state, t.reason, t.actor) for t in found]


async def test_every_state_change_is_recorded_once_in_order(db: Database) -> None:
    jobs = JobStore(db)
    job = await _job(jobs)
    await jobs.update(job, state="submitting", attempts=1)
    await jobs.update(job, state="submitted", task_id="T-1")
    await jobs.update(job, progress=40)  # no state change: nothing recorded
    await jobs.update(job, state="submitted", progress=50)  # the same state: nothing either
    await jobs.update(job, state="failed", failure="upstream", failure_detail="x")
    found = await jobs.transitions(job.id)
    assert _steps(found) == [
        (None, "created", None, None),
        ("created", "submitting", None, None),
        ("submitting", "submitted", None, None),
        ("submitted", "failed", "upstream", None),
    ]
    assert found[0].at == pytest.approx(job.created_at)
    assert found[-1].at == job.finished_at
    assert [t.at for t in found] == sorted(t.at for t in found)


async def test_an_operator_action_records_who(db: Database) -> None:
    jobs = JobStore(db)
    job = await _job(jobs)
    await jobs.update(job, state="failed", failure="cancelled", actor=OPERATOR)
    assert _steps(await jobs.transitions(job.id))[-1] == ("created", "failed", "cancelled",
                                                          OPERATOR)  # fmt: skip


async def test_a_write_retried_after_a_full_disk_is_recorded_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(SQLite also rolls the pending transaction back on SQLITE_FULL; the store's NOT EXISTS
    guard keeps this true where it would not.)"""
    jobs = JobStore(db)
    job = await _job(jobs)
    monkeypatch.setattr(JobStore, "disk_full_retry", 0.05, raising=False)
    alerts: list[int] = []
    monkeypatch.setattr(JobStore, "on_disk_full", lambda self: alerts.append(1), raising=False)
    async with db.conn.execute("PRAGMA page_count") as cur:
        row = await cur.fetchone()
    assert row is not None
    await db.conn.execute(f"PRAGMA max_page_count = {row[0] + 4}")  # room for little
    big = "a" * 60_000
    writing = asyncio.create_task(jobs.update(job, state="submitted", task_id="T-9",
                                              failure_detail=big))  # fmt: skip
    deadline = asyncio.get_running_loop().time() + 30
    while not alerts:  # the write met the full disk at least once
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)
    await db.conn.execute("PRAGMA max_page_count = 1073741823")
    await asyncio.wait_for(writing, 30)
    assert _steps(await jobs.transitions(job.id)) == [(None, "created", None, None),
                                                      ("created", "submitted", None, None)]


async def _ambiguous(jobs: JobStore, failure: str = "submit_unclear") -> Job:
    job = await _job(jobs)
    await jobs.update(job, state="submitting", attempts=1)
    return await jobs.update(job, state="interrupted", failure=failure, failure_detail="504")


async def test_submit_again_is_claimed_once_and_recorded(db: Database) -> None:
    jobs = JobStore(db)
    job = await _ambiguous(jobs)
    claims = await asyncio.gather(*(jobs.claim_submit_again(job.id, OPERATOR + n)
                                    for n in range(5)))  # fmt: skip
    won = [c for c in claims if c is not None]
    assert len(won) == 1
    again = won[0]
    assert (again.state, again.failure, again.failure_detail, again.finished_at,
            again.task_id) == ("created", None, None, None, None)  # fmt: skip
    assert await jobs.claim_submit_again(job.id, OPERATOR) is None
    # The user's own 重新生成 button finds the job taken too: no second launch.
    assert not await jobs.claim_relaunch(job.id)
    winner = OPERATOR + claims.index(again)
    assert _steps(await jobs.transitions(job.id))[-1] == ("interrupted", "created",
                                                          "submit_again", winner)  # fmt: skip


async def test_submit_again_only_for_an_ambiguous_submit(db: Database) -> None:
    jobs = JobStore(db)
    failed = await _job(jobs)
    await jobs.update(failed, state="failed", failure="upstream")
    running = await _job(jobs)
    await jobs.update(running, state="submitted", task_id="T")
    relaunched = await _ambiguous(jobs)
    assert await jobs.claim_relaunch(relaunched.id)  # the user pressed 重新生成 first
    for job in (failed, running, relaunched):
        assert await jobs.claim_submit_again(job.id, OPERATOR) is None
        stored = await jobs.get(job.id)
        assert stored is not None and stored.state == job.state
    restarted = await _ambiguous(jobs, failure="interrupted")  # a restart while submitting
    assert await jobs.claim_submit_again(restarted.id, OPERATOR) is not None
