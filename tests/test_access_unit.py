"""The access domain without Telegram: prices, refunds of failed jobs, the day, cooldowns."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.access import AccessControl, Cooldown, price_of
from bot.core.config import Settings
from bot.core.providers.base import GenerationRequest
from bot.core.store.db import Database
from bot.core.store.jobs import JobStore


@pytest.fixture
async def control(tmp_path: Path) -> AsyncIterator[AccessControl]:
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    settings = Settings(_env_file=None, bot_admin_ids=[1], quota_videos_per_day=2)  # type: ignore[call-arg]
    access = AccessControl(settings, db, JobStore(db))
    await access.load()
    yield access
    await db.close()


async def make_job(control: AccessControl, kind: str, provider: str = "grsai", **params: object):
    job = await control.jobs.create(
        request=GenerationRequest(kind, "提示词", dict(params), []), provider=provider,
        user_id=7, chat_id=7, thread_id=None, reply_to_id=None,
    )  # fmt: skip
    await control.record_job(job)
    return job


async def test_spend_uses_documented_prices_and_skips_failed_jobs(control: AccessControl) -> None:
    await make_job(control, "video")
    failed = await make_job(control, "video")
    await make_job(control, "video", provider="reshi", model="sora-2-pro")
    await make_job(control, "character")
    await make_job(control, "image", model="nano-banana-pro")
    await control.jobs.update(failed, state="failed", failure="error")
    stats = await control.stats()
    assert stats.spend == {"grsai": pytest.approx(0.09), "reshi": 150}
    assert stats.unpriced == 1  # the image: no documented price
    assert stats.by_capability == {"video": 2, "character": 1, "image": 1}
    assert stats.failures_by_reason == {"error": 1}


async def test_video_quota_frees_a_slot_when_a_job_fails(control: AccessControl) -> None:
    first = await make_job(control, "video")
    await make_job(control, "video")
    await control.jobs.update(first, state="done")
    exceeded = await control.check_job(7, "video")
    assert exceeded is not None and exceeded.kind == "video" and exceeded.limit == 2
    second_failed = (await control.jobs.active())[0]
    await control.jobs.update(second_failed, state="failed", failure="output_moderation")
    assert await control.check_job(7, "video") is None
    assert await control.check_job(1, "video") is None  # admins have no quota


def test_prices_come_from_the_docs() -> None:
    assert price_of("grsai", "video", "sora-2").amount == 0.08  # type: ignore[union-attr]
    assert price_of("reshi", "video", "sora-2").amount == 15  # type: ignore[union-attr]
    assert price_of("grsai", "image", "nano-banana-pro") is None


def test_the_quota_day_is_beijing_time(control: AccessControl) -> None:
    # 2025-01-01 16:30 UTC is already 2025-01-02 00:30 in Beijing.
    moment = dt.datetime(2025, 1, 1, 16, 30, tzinfo=dt.UTC).timestamp()
    assert control.today(moment) == "2025-01-02"
    assert control.day_start(moment) == dt.datetime(2025, 1, 1, 16, 0, tzinfo=dt.UTC).timestamp()


def test_cooldown_accepts_one_per_window_and_notices_once() -> None:
    cooldown = Cooldown(5)
    key = (-100, 7)
    assert cooldown.hit(key, now=0) == (True, False)
    assert cooldown.hit(key, now=1) == (False, True)
    assert cooldown.hit(key, now=2) == (False, False)
    assert cooldown.hit((-100, 8), now=2) == (True, False)
    assert cooldown.hit(key, now=5.5) == (True, False)
    assert Cooldown(0).hit(key, now=0) == (True, False)
