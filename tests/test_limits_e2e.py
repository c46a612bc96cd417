"""Quotas and concurrent-job slots hold when requests arrive at the same moment."""

from __future__ import annotations

import pytest

from bot.core import texts
from tests.fakes.grsai import CHAT_PATH, FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, at_rest, updates_handled

ADMIN = 9001
FRIEND = 1001

LIMITED = {
    "bot_public": False,
    "bot_admin_ids": [ADMIN],
    "bot_allowed_ids": [FRIEND],
    "quota_images_per_day": 1,
    "quota_chat_per_day": 2,
    "job_max_per_user": 1,
}


def texts_of(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in tg.bot_messages(chat_id)]


class TestLimitsUnderConcurrency:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return dict(LIMITED)

    async def test_six_simultaneous_draws_start_one_paid_job(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        for _ in range(6):
            grsai.script_task(TaskScript(kind="image"))
        chat = tg.private_chat(FRIEND)
        for n in range(6):
            tg.send_text(chat, FRIEND, f"/draw 第{n}只猫")
        await tg.wait_for(lambda: any(m.get("photo") for m in tg.bot_messages(FRIEND)))
        await at_rest(bot, tg)
        assert len(grsai.submissions("image")) == 1
        refusals = [t for t in texts_of(tg, FRIEND) if t.startswith("⏳") or "额度" in t
                    or "同时" in t]  # fmt: skip
        quota_answers = {
            texts.QUOTA_EXCEEDED_JOBS.format(used=1, limit=1),
            texts.QUOTA_EXCEEDED_DAILY.format(name="绘图", used=1, limit=1, zone="北京时间"),
        }
        assert sum(1 for t in refusals if t in quota_answers) == 5, texts_of(tg, FRIEND)

    async def test_eight_simultaneous_questions_reach_the_provider_only_within_quota(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        chat = tg.private_chat(FRIEND)
        for n in range(8):
            tg.send_text(chat, FRIEND, f"问题{n}")
        await tg.wait_for(lambda: len(tg.bot_messages(FRIEND)) >= 8, timeout=15)
        await updates_handled(bot, tg)
        assert len(grsai.requests_to(CHAT_PATH)) == 2
        refusal = texts.QUOTA_EXCEEDED_DAILY.format(name="对话", used=2, limit=2, zone="北京时间")
        assert texts_of(tg, FRIEND).count(refusal) == 6

    async def test_failed_chat_turn_gives_its_reserved_turn_back(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        chat = tg.private_chat(FRIEND)
        grsai.fail_next(CHAT_PATH, 401, times=2)
        tg.send_text(chat, FRIEND, "会失败的问题")
        await tg.wait_for(lambda: len(tg.bot_messages(FRIEND)) >= 1)
        await updates_handled(bot, tg)
        grsai._failures[CHAT_PATH].clear()
        for n in range(2):
            tg.send_text(chat, FRIEND, f"问题{n}")
            await tg.wait_for(lambda n=n: len(tg.bot_messages(FRIEND)) >= 2 + n)
            await updates_handled(bot, tg)
        refusal = texts.QUOTA_EXCEEDED_DAILY.format(name="对话", used=2, limit=2, zone="北京时间")
        assert refusal not in texts_of(tg, FRIEND)


class TestSpendingButtonsActOnce:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return {**LIMITED, "quota_images_per_day": 10, "job_max_per_user": 5}

    async def test_double_tap_on_again_submits_once_and_removes_the_button(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        for _ in range(3):
            grsai.script_task(TaskScript(kind="image"))
        chat = tg.private_chat(FRIEND)
        tg.send_text(chat, FRIEND, "/draw 一只猫")
        await tg.wait_for(lambda: any(m.get("photo") for m in tg.bot_messages(FRIEND)))
        await at_rest(bot, tg)
        result = next(m for m in tg.bot_messages(FRIEND) if m.get("photo"))
        again = next(
            b["callback_data"]
            for row in result["reply_markup"]["inline_keyboard"]
            for b in row
            if b["callback_data"].startswith("job|again|")
        )
        first = tg.press_button(result, again, FRIEND)
        second = tg.press_button(result, again, FRIEND)
        await tg.wait_for(lambda: first in tg.callback_answers and second in tg.callback_answers)
        await tg.wait_for(lambda: sum(1 for m in tg.bot_messages(FRIEND) if m.get("photo")) >= 2)
        await at_rest(bot, tg)
        assert len(grsai.submissions("image")) == 2  # the first /draw and one "again"
        answers = {tg.callback_answers[first]["text"], tg.callback_answers[second]["text"]}
        assert texts.BUTTON_ALREADY_HANDLED in answers
        # The pressed button is gone from the result; the other one stays.
        shown = next(m for m in tg.bot_messages(FRIEND) if m["message_id"] == result["message_id"])
        datas = [b["callback_data"] for row in shown["reply_markup"]["inline_keyboard"]
                 for b in row]  # fmt: skip
        assert again not in datas and any(d.startswith("job|ref|") for d in datas)
