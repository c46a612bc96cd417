"""Media retention: old files go, files of active jobs stay, replies to old results still work;
a full disk alerts the admins and the job waits instead of failing."""

from __future__ import annotations

import base64
import errno
import os
import time
from pathlib import Path

import pytest

from bot.core import texts
from bot.core.jobs.runner import JobRunner
from bot.core.media import download
from bot.core.providers.base import GenerationRequest
from tests.fakes.grsai import FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, at_rest
from tests.waiting import settled_job

ADMIN = 9001
USER = 1001
DAY = 86400


def photos(tg: FakeTelegram, chat_id: int) -> list[dict]:
    return [m for m in tg.bot_messages(chat_id) if m.get("photo")]


def sent_references(grsai: FakeGrsAI) -> list[bytes]:
    urls = grsai.submissions("image")[-1].get("urls") or []
    return [base64.b64decode(u.split(",", 1)[1]) for u in urls]


def age(path: Path, days: float) -> None:
    then = time.time() - days * DAY
    os.utime(path, (then, then))


def age_everything(root: Path, days: float) -> list[Path]:
    files = [p for p in root.rglob("*") if p.is_file() and p.name != "bot.sqlite3"
             and not p.name.startswith("bot.sqlite3")]  # fmt: skip
    for path in files:
        age(path, days)
    return files


async def draw(bot: RunningBot, tg: FakeTelegram, text: str, **kw) -> None:
    before = len(photos(tg, USER))
    tg.send_text(tg.private_chat(USER), USER, text, **kw)
    await tg.wait_for(lambda: len(photos(tg, USER)) > before, timeout=15)
    await at_rest(bot, tg)


class TestRetention:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return {"media_retention_days": 1}

    async def test_old_results_are_deleted_and_replies_still_work_through_telegrams_copy(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, tmp_path: Path
    ) -> None:
        await draw(bot, tg, "/draw 一座城堡")
        result = photos(tg, USER)[-1]
        result_bytes = tg.uploaded_file(result["photo"][-1]["file_id"])
        data = next(b["callback_data"] for row in result["reply_markup"]["inline_keyboard"]
                    for b in row if b["callback_data"].startswith("job|ref|"))  # fmt: skip
        tg.press_button(result, data, USER)
        await tg.wait_for(
            lambda: tg.bot_messages(USER)[-1].get("text") == texts.DRAW_REFERENCE_PROMPT
        )
        prompt = tg.bot_messages(USER)[-1]
        job = await bot.services.jobs.get(1)
        assert job is not None and Path(job.files[0].path).exists()

        aged = age_everything(tmp_path / "data", days=2)
        assert aged
        removed = await bot.runtime.upkeep.retention.sweep()
        assert removed >= 1 and not Path(job.files[0].path).exists()

        await draw(bot, tg, "/draw 背景换成海边", reply_to=result["message_id"])
        assert sent_references(grsai) == [result_bytes]
        await draw(bot, tg, "加上烟花", reply_to=prompt["message_id"])
        assert sent_references(grsai) == [result_bytes]

    async def test_files_of_active_jobs_and_recent_files_are_kept(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, tmp_path: Path
    ) -> None:
        media = tmp_path / "data" / "media"
        staged = tmp_path / "data" / "staged"
        for folder in (media / "refs", media / "clips", staged):
            folder.mkdir(parents=True, exist_ok=True)
        in_use = media / "refs" / "in-use.png"
        in_use_clip = media / "clips" / "in-use.mp4"
        old = media / "refs" / "old.png"
        old_clip = media / "clips" / "old.mp4"
        fresh = media / "refs" / "fresh.png"
        staged_active = staged / "sync-reshi-abc-0.bin"
        staged_state = staged / "sync-reshi-abc.json"
        staged_old = staged / "sync-reshi-zzz-0.bin"
        for path in (in_use, in_use_clip, old, old_clip, fresh, staged_active, staged_state,
                     staged_old):  # fmt: skip
            path.write_bytes(b"x")
        for path in (in_use, in_use_clip, old, old_clip, staged_active, staged_state, staged_old):
            age(path, 3)
        jobs = bot.services.jobs
        job = await jobs.create(
            request=GenerationRequest("image", "猫", {}, [str(in_use)]), provider="grsai",
            user_id=USER, chat_id=USER, thread_id=None, reply_to_id=None,
        )  # fmt: skip
        await jobs.update(job, state="submitted", task_id="sync-reshi-abc")
        other = await jobs.create(
            request=GenerationRequest("character", "", {}, [str(in_use_clip)]),
            provider="grsai", user_id=USER, chat_id=USER, thread_id=None, reply_to_id=None,
        )  # fmt: skip
        await jobs.update(other, state="submitted", task_id="t-1")

        await bot.runtime.upkeep.retention.sweep()
        kept = {p.name for p in (media / "refs").iterdir()} | {
            p.name for p in (media / "clips").iterdir()} | {p.name for p in staged.iterdir()}
        assert kept == {"in-use.png", "in-use.mp4", "fresh.png", "sync-reshi-abc-0.bin",
                        "sync-reshi-abc.json"}  # fmt: skip


class TestKeepForever:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return {"media_retention_days": 0}

    async def test_zero_days_keeps_every_file(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, tmp_path: Path
    ) -> None:
        old = tmp_path / "data" / "media" / "refs" / "old.png"
        old.parent.mkdir(parents=True, exist_ok=True)
        old.write_bytes(b"x")
        age(old, 400)
        assert await bot.runtime.upkeep.retention.sweep() == 0
        assert old.exists()


class TestDiskFull:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return {"bot_admin_ids": [ADMIN]}

    async def test_full_disk_alerts_admins_once_and_the_job_waits_then_delivers(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        real_commit = download._commit
        failures = {"left": 3}

        def full_disk(part: Path, dest: Path) -> None:
            if failures["left"] > 0:
                failures["left"] -= 1
                raise OSError(errno.ENOSPC, "No space left on device")
            real_commit(part, dest)

        monkeypatch.setattr(download, "_commit", full_disk)
        monkeypatch.setattr(JobRunner, "disk_full_retry", 0.2, raising=False)
        tg.private_chat(ADMIN)  # the admin has started the bot
        grsai.script_task(TaskScript(kind="image"))
        await draw(bot, tg, "/draw 一只猫")
        job = await settled_job(bot.services, 1)
        assert job is not None and job.state == "done"
        assert failures["left"] == 0
        alerts = [m for m in tg.bot_messages(ADMIN) if m.get("text") == texts.ADMIN_DISK_FULL]
        assert len(alerts) == 1, tg.dump_calls(30)
        assert len(grsai.submissions("image")) == 1
