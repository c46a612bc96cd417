"""The shared SQLite connection: no rollback of other coroutines' writes, durable, indexed."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from bot.core.providers.base import GenerationRequest
from bot.core.store.characters import CharacterStore
from bot.core.store.db import Database
from bot.core.store.jobs import JobStore

STORE_DIR = Path(__file__).resolve().parent.parent / "bot" / "store"


async def _job(jobs: JobStore) -> int:
    job = await jobs.create(
        request=GenerationRequest("video", "猫"), provider="grsai", user_id=7, chat_id=7,
        thread_id=None, reply_to_id=None,
    )  # fmt: skip
    return job.id


async def test_renaming_to_a_taken_name_keeps_another_coroutines_pending_write(
    db: Database, tmp_path: Path
) -> None:
    jobs = JobStore(db)
    job_id = await _job(jobs)
    characters = CharacterStore(db)
    first = await characters.add(7, "char-a", job_id)
    second = await characters.add(7, "char-b", None)
    # Another coroutine has written its task id but not reached its commit yet.
    await db.conn.execute("UPDATE jobs SET task_id = 'T-1', state = 'submitted' WHERE id = ?",
                          (job_id,))  # fmt: skip
    assert await characters.rename(second.id, first.name) is False
    await db.conn.commit()  # that coroutine's commit
    await db.close()
    reopened = Database(tmp_path / "bot.sqlite3")
    await reopened.open()
    try:
        job = await JobStore(reopened).get(job_id)
        assert job is not None and job.task_id == "T-1" and job.state == "submitted"
        names = {c.name for c in await CharacterStore(reopened).of_user(7)}
        assert names == {first.name, second.name}
    finally:
        await reopened.close()


async def test_renaming_to_a_free_name_or_its_own_name_works(db: Database) -> None:
    characters = CharacterStore(db)
    one = await characters.add(7, "char-a", None)
    assert await characters.rename(one.id, "小猫") is True
    assert await characters.rename(one.id, "小猫") is True
    assert (await characters.get(one.id)).name == "小猫"  # type: ignore[union-attr]


def test_no_store_rolls_back_the_shared_connection() -> None:
    for path in STORE_DIR.glob("*.py"):
        assert not re.search(r"\.rollback\(", path.read_text()), path.name


async def test_job_state_survives_power_loss_synchronous_full(db: Database) -> None:
    async with db.conn.execute("PRAGMA synchronous") as cur:
        row = await cur.fetchone()
    assert row is not None and int(row[0]) == 2  # FULL: each commit is fsynced in WAL mode


@pytest.mark.parametrize(
    "query, args",
    [
        ("SELECT * FROM result_messages WHERE job_id = ? ORDER BY message_id", (1,)),
        ("SELECT j.provider FROM result_messages r JOIN jobs j ON j.id = r.job_id "
         "WHERE r.pid = ? ORDER BY r.message_id DESC LIMIT 1", ("p",)),
        ("SELECT * FROM characters WHERE source_job_id = ? ORDER BY id DESC LIMIT 1", (1,)),
    ],
)  # fmt: skip
async def test_lookups_done_per_delivery_use_an_index(
    db: Database, query: str, args: tuple
) -> None:
    async with db.conn.execute(f"EXPLAIN QUERY PLAN {query}", args) as cur:
        plan = " ".join(str(row[3]) for row in await cur.fetchall())
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
    first_table_scan = re.search(r"SCAN (result_messages|r|characters)\b", plan)
    assert first_table_scan is None, plan


async def test_staging_a_paid_answer_waits_for_disk_space_instead_of_losing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from bot.core.providers import staging as staging_module
    from bot.core.providers.base import ResultItem, TaskState

    real_write = staging_module._write_atomic
    left = {"n": 3}
    alerts: list[int] = []

    def full_then_free(path: Path, data: bytes) -> None:
        if left["n"] > 0:
            left["n"] -= 1
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(staging_module, "_write_atomic", full_then_free)
    monkeypatch.setattr(staging_module.Staging, "disk_full_retry", 0.01, raising=False)
    monkeypatch.setattr(staging_module.Staging, "on_disk_full",
                        staticmethod(lambda: alerts.append(1)), raising=False)  # fmt: skip
    staging = staging_module.Staging(tmp_path / "staged")
    url = await staging.save_bytes("sync-x-1", 0, b"paid bytes")
    await staging.save_state("sync-x-1", TaskState("succeeded", 100, (ResultItem(url=url),)))
    assert (await staging.state_of("sync-x-1")).results[0].url == url
    assert staging_module.local_path(url).read_bytes() == b"paid bytes"  # type: ignore[union-attr]
    assert len(alerts) == 3


async def test_a_job_write_on_a_full_database_waits_for_space_and_keeps_the_state(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLITE_FULL while recording a submitted task id must not lose it (the task is paid)."""
    jobs = JobStore(db)
    job_id = await _job(jobs)
    job = await jobs.get(job_id)
    assert job is not None
    alerts: list[int] = []
    monkeypatch.setattr(JobStore, "disk_full_retry", 0.05, raising=False)
    monkeypatch.setattr(JobStore, "on_disk_full", lambda self: alerts.append(1), raising=False)
    async with db.conn.execute("PRAGMA page_count") as cur:
        row = await cur.fetchone()
    assert row is not None
    await db.conn.execute(f"PRAGMA max_page_count = {row[0]}")  # the disk is full now
    big = [{"url": "https://x.example/" + "a" * 60_000}]
    writing = asyncio.create_task(
        jobs.update(job, state="submitted", task_id="T-9", failure_detail=str(big))
    )
    await asyncio.sleep(0.3)
    assert not writing.done(), "the write gave up instead of waiting for space"
    assert alerts, "the admins were not told"
    await db.conn.execute("PRAGMA max_page_count = 1073741823")  # space again
    await asyncio.wait_for(writing, 5)
    await db.close()
    reopened = Database(tmp_path / "bot.sqlite3")
    await reopened.open()
    try:
        stored = await JobStore(reopened).get(job_id)
        assert stored is not None and stored.task_id == "T-9" and stored.state == "submitted"
    finally:
        await reopened.close()
