"""Access control, quotas, /usage, admin commands and group etiquette, as users meet them."""

from __future__ import annotations

import pytest

from bot.core import texts
from tests.fakes.grsai import CHAT_PATH, FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, jobs_shown, updates_handled

ADMIN = 9001
FRIEND = 1001  # on BOT_ALLOWED_IDS
STRANGER = 3003
GROUP = -100777

CLOSED = {
    "bot_public": False,
    "bot_admin_ids": [ADMIN],
    "bot_allowed_ids": [FRIEND],
}


def texts_of(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in tg.bot_messages(chat_id)]


async def say(
    bot: RunningBot, tg: FakeTelegram, chat: dict, user: int, text: str, expect: int = 1
) -> list[str]:
    """Send `text`, wait for `expect` new bot messages and until the bot has handled it (a chat
    answer finished too), return what it sent."""
    before = len(tg.bot_messages(chat["id"]))
    tg.send_text(chat, user, text)
    if expect:
        await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) >= before + expect)
    await updates_handled(bot, tg)
    return texts_of(tg, chat["id"])[before:]


def provider_requests(grsai: FakeGrsAI) -> int:
    return len(grsai.requests)


class TestClosedBot:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return dict(CLOSED)

    async def test_stranger_is_refused_with_their_id_and_nothing_reaches_the_provider(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        chat = tg.private_chat(STRANGER)
        [refusal] = await say(bot, tg, chat, STRANGER, "你好")
        assert refusal == texts.ACCESS_DENIED.format(user_id=STRANGER)
        assert str(STRANGER) in refusal
        # Repeats within the refusal window stay quiet instead of spamming.
        assert await say(bot, tg, chat, STRANGER, "/draw 一只猫", expect=0) == []
        assert await say(bot, tg, chat, STRANGER, "/usage", expect=0) == []
        group = tg.group_chat(GROUP)
        [group_refusal] = await say(bot, tg, group, 4004, "/ask 你是谁")
        assert str(4004) in group_refusal and str(GROUP) in group_refusal
        assert provider_requests(grsai) == 0

    async def test_allowed_user_and_admin_are_served(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        for user in (FRIEND, ADMIN):
            [answer] = await say(bot, tg, tg.private_chat(user), user, "你好")
            assert answer and texts.ACCESS_DENIED.split("，")[0] not in answer
        assert len(grsai.requests_to(CHAT_PATH)) == 2

    async def test_admin_commands_are_silently_ignored_for_others(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        for user in (FRIEND, STRANGER):
            chat = tg.private_chat(user)
            for command in ("/allow 3003", "/deny 1001", "/quota 1001 chat 5", "/stats"):
                assert await say(bot, tg, chat, user, command, expect=0) == []
        assert tg.bot_messages(STRANGER) == []
        # Nothing changed: the stranger is still a stranger.
        [refusal] = await say(bot, tg, tg.private_chat(STRANGER), STRANGER, "你好")
        assert refusal == texts.ACCESS_DENIED.format(user_id=STRANGER)

    async def test_allow_and_deny_by_admin_persist_across_restart(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        admin_chat = tg.private_chat(ADMIN)
        [reply] = await say(bot, tg, admin_chat, ADMIN, f"/allow {STRANGER}")
        assert reply == texts.ADMIN_ALLOWED.format(
            target=texts.ADMIN_TARGET_USER.format(id=STRANGER)
        )
        await bot.restart()
        [answer] = await say(bot, tg, tg.private_chat(STRANGER), STRANGER, "你好")
        assert str(STRANGER) not in answer and len(grsai.requests_to(CHAT_PATH)) == 1
        # /deny wins over BOT_ALLOWED_IDS too.
        for target in (STRANGER, FRIEND):
            [reply] = await say(bot, tg, admin_chat, ADMIN, f"/deny {target}")
            assert reply.startswith("⛔")
        await bot.restart()
        for user in (STRANGER, FRIEND):
            [refusal] = await say(bot, tg, tg.private_chat(user), user, "再问一次")
            assert refusal == texts.ACCESS_DENIED.format(user_id=user)
        assert len(grsai.requests_to(CHAT_PATH)) == 1
        [reply] = await say(bot, tg, admin_chat, ADMIN, f"/deny {ADMIN}")
        assert reply == texts.ADMIN_CANNOT_DENY_ADMIN.format(target=ADMIN)
        [reply] = await say(bot, tg, admin_chat, ADMIN, "/allow abc")
        assert reply == texts.ADMIN_USAGE_ALLOW

    async def test_allow_without_id_in_a_group_opens_that_group(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        group = tg.group_chat(GROUP)
        [refusal] = await say(bot, tg, group, 4004, "/ask 你好")
        assert str(GROUP) in refusal
        [reply] = await say(bot, tg, group, ADMIN, "/allow")
        assert reply == texts.ADMIN_ALLOWED.format(target=texts.ADMIN_TARGET_GROUP.format(id=GROUP))
        [answer] = await say(bot, tg, group, 4004, "/ask 你好")
        assert str(GROUP) not in answer
        assert len(grsai.requests_to(CHAT_PATH)) == 1
        # Being allowed in that group does not open private chats for its members.
        [refusal] = await say(bot, tg, tg.private_chat(4004), 4004, "你好")
        assert refusal == texts.ACCESS_DENIED.format(user_id=4004)

    async def test_stranger_cannot_press_buttons(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        group = tg.group_chat(GROUP)
        await say(bot, tg, group, ADMIN, "/model")
        menu = tg.bot_messages(GROUP)[-1]
        data = menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        query_id = tg.press_button(menu, data, STRANGER)
        await tg.wait_for(lambda: query_id in tg.callback_answers)
        answer = tg.callback_answers[query_id]
        assert answer["show_alert"] and str(STRANGER) in answer["text"]


class TestQuotas:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return {**CLOSED, "quota_chat_per_day": 2, "quota_images_per_day": 5}

    async def test_chat_quota_runs_out_mid_day_and_usage_says_so(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        chat = tg.private_chat(FRIEND)
        for question in ("第一个问题", "第二个问题"):
            await say(bot, tg, chat, FRIEND, question)
        [refusal] = await say(bot, tg, chat, FRIEND, "第三个问题")
        assert refusal == texts.QUOTA_EXCEEDED_DAILY.format(
            name="对话", used=2, limit=2, zone="北京时间"
        )
        assert len(grsai.requests_to(CHAT_PATH)) == 2
        [usage] = await say(bot, tg, chat, FRIEND, "/usage")
        assert texts.USAGE_LINE.format(name="对话", used=2, limit=2, left=0) in usage
        assert texts.USAGE_LINE.format(name="绘图", used=0, limit=5, left=5) in usage
        # The admin raises this user's limit: the next question goes through.
        [reply] = await say(bot, tg, tg.private_chat(ADMIN), ADMIN, f"/quota {FRIEND} chat 3")
        assert reply == texts.ADMIN_QUOTA_SET.format(user_id=FRIEND, name="对话", value=3)
        await say(bot, tg, chat, FRIEND, "第三个问题")
        assert len(grsai.requests_to(CHAT_PATH)) == 3
        [usage] = await say(bot, tg, chat, FRIEND, "/usage")
        assert texts.USAGE_LINE.format(name="对话", used=3, limit=3, left=0) in usage

    async def test_image_quota_counts_only_jobs_that_did_not_fail(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        await say(bot, tg, tg.private_chat(ADMIN), ADMIN, f"/quota {FRIEND} image 1")
        chat = tg.private_chat(FRIEND)
        grsai.script_task(TaskScript(kind="image", outcome="failed", failure_reason="error"))
        grsai.script_task(TaskScript(kind="image", outcome="failed", failure_reason="error"))
        await say(bot, tg, chat, FRIEND, "/draw 会失败的图")
        await tg.wait_for(lambda: texts_of(tg, FRIEND)[-1].splitlines()[-1].startswith("❌"))
        grsai.script_task(TaskScript(kind="image"))
        await say(bot, tg, chat, FRIEND, "/draw 一只猫")
        await tg.wait_for(lambda: any(m.get("photo") for m in tg.bot_messages(FRIEND)))
        submitted = len(grsai.submissions("image"))
        [refusal] = await say(bot, tg, chat, FRIEND, "/draw 再来一只")
        assert refusal == texts.QUOTA_EXCEEDED_DAILY.format(
            name="绘图", used=1, limit=1, zone="北京时间"
        )
        assert len(grsai.submissions("image")) == submitted
        [usage] = await say(bot, tg, chat, FRIEND, "/usage")
        assert texts.USAGE_LINE.format(name="绘图", used=1, limit=1, left=0) in usage

    async def test_quota_command_rejects_bad_input_and_resets_to_default(
        self, tg: FakeTelegram, bot: RunningBot
    ) -> None:
        admin = tg.private_chat(ADMIN)
        for bad in ("/quota", "/quota abc chat 1", "/quota 1001 coins 1", "/quota 1001 chat -1"):
            assert await say(bot, tg, admin, ADMIN, bad) == [texts.ADMIN_USAGE_QUOTA]
        await say(bot, tg, admin, ADMIN, f"/quota {FRIEND} jobs 7")
        [shown] = await say(bot, tg, admin, ADMIN, f"/quota {FRIEND}")
        assert "（jobs）：7" in shown
        [reply] = await say(bot, tg, admin, ADMIN, f"/quota {FRIEND} jobs default")
        assert reply == texts.ADMIN_QUOTA_RESET.format(user_id=FRIEND, name="同时进行的任务",
                                                       value=3)  # fmt: skip


class TestQueue:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return {"job_max_running": 1}

    async def test_global_cap_queues_jobs_and_shows_the_place(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        # The first job stays upstream long enough for the third to be seen waiting (a job
        # leaves its slot once downloaded, so a short first job would hide the queue).
        grsai.script_task(TaskScript(kind="image", progress=list(range(2, 101, 2))))
        for _ in range(2):
            grsai.script_task(TaskScript(kind="image", progress=list(range(10, 101, 10))))
        chat = tg.private_chat(FRIEND)
        for prompt in ("第一张", "第二张", "第三张"):
            tg.send_text(chat, FRIEND, f"/draw {prompt}")
        await tg.wait_for(lambda: len(tg.bot_messages(FRIEND)) >= 3)
        statuses = [m for m in tg.bot_messages(FRIEND) if m.get("text")][:3]
        third = next(m for m in statuses if "第三张" in m["text"])

        def shown() -> list[str]:
            return [third["text"]] + [
                c.params["text"]
                for c in tg.calls_to("editMessageText")
                if c.params.get("message_id") == third["message_id"]
            ]

        queued = texts.JOB_STATE_QUEUED_AT.format(ahead=1)
        await tg.wait_for(lambda: any(t.splitlines()[-1] == queued for t in shown()))
        await tg.wait_for(
            lambda: sum(1 for m in tg.bot_messages(FRIEND) if m.get("photo")) == 3, timeout=30
        )
        await jobs_shown(bot, tg)
        edits = [
            c.params["text"]
            for c in tg.calls_to("editMessageText")
            if c.params.get("message_id") == third["message_id"]
        ]
        # It ended done. (Whether "next" showed before it ran depends on timing: a place that
        # is already overtaken by the start is not shown, only the newest state is.)
        assert edits[-1].splitlines()[-1].startswith("✅")


class TestStatsAndProviders:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return dict(CLOSED)

    async def test_usage_and_stats_numbers_match_what_happened(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        chat = tg.private_chat(FRIEND)
        await say(bot, tg, chat, FRIEND, "你好")
        await say(bot, tg, chat, FRIEND, "再见")
        grsai.script_task(TaskScript(kind="image"))
        await say(bot, tg, chat, FRIEND, "/draw 一只猫")
        await tg.wait_for(lambda: any(m.get("photo") for m in tg.bot_messages(FRIEND)))
        grsai.script_task(
            TaskScript(kind="image", outcome="failed", failure_reason="input_moderation")
        )
        await say(bot, tg, chat, FRIEND, "/draw 不合规的图")
        await tg.wait_for(lambda: "未通过审核" in texts_of(tg, FRIEND)[-1])
        await jobs_shown(bot, tg)
        [usage] = await say(bot, tg, chat, FRIEND, "/usage")
        assert "对话：已用 2 /" in usage and "绘图：已用 1 /" in usage
        [stats] = await say(bot, tg, tg.private_chat(ADMIN), ADMIN, "/stats")
        assert "今日活跃 1" in stats
        assert "用量：对话 2，绘图 1" in stats
        assert "完成 1" in stats and "失败 1" in stats
        assert "失败原因：描述未过审核 1" in stats
        assert texts.STATS_UNPRICED.format(count=3) in stats
        assert "白名单 1" in stats

    async def test_provider_check_reports_a_valid_key_without_spending(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        [report] = await say(bot, tg, tg.private_chat(ADMIN), ADMIN, "/providers")
        assert report.startswith(texts.PROVIDERS_TITLE)
        assert "GrsAI：" + texts.PROVIDER_STATE_NAMES["ok"] in report
        assert texts.PROVIDER_NO_BALANCE in report
        assert grsai.submissions("image") == [] and grsai.submissions("video") == []


class TestWrongKey:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        from pydantic import SecretStr

        return {**CLOSED, "grsai_api_key": SecretStr("sk-wrong-key-123")}

    async def test_provider_check_reports_a_bad_key(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        [report] = await say(bot, tg, tg.private_chat(ADMIN), ADMIN, "/providers")
        assert "GrsAI：" + texts.PROVIDER_STATE_NAMES["bad_key"] in report
        assert "sk-wrong-key-123" not in report


class TestGroupCooldown:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return {"group_user_cooldown": 30.0}

    async def test_one_request_per_user_per_window_with_a_single_notice(
        self, tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot
    ) -> None:
        group = tg.group_chat(GROUP)
        for question in ("/ask 一", "/ask 二", "/ask 三"):
            tg.send_text(group, FRIEND, question)
        await updates_handled(bot, tg)
        notices = [t for t in texts_of(tg, GROUP) if t.startswith("🐢")]
        assert notices == [texts.COOLDOWN_NOTICE.format(seconds=30)]
        assert len(grsai.requests_to(CHAT_PATH)) == 1
        # Another member is not affected by FRIEND's window.
        await say(bot, tg, group, 2002, "/ask 四")
        assert len(grsai.requests_to(CHAT_PATH)) == 2
