"""QQ as a user meets it: the real adapter ↔ FakeNapCat (reverse WS) ↔ fake GrsAI."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.core import identity, texts
from bot.core.access import AccessControl
from bot.core.config import Settings
from bot.runtime.settings_check import startup_problems
from tests.fakes.grsai import ChatScript, FakeGrsAI
from tests.fakes.onebot import FakeNapCat
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, make_settings
from tests.qq_harness import RunningQQ, connect_when_listening, has_chinese, qq_settings, ws_url
from tests.waiting import eventually

USER = 555
ADMIN = 999
GROUP = 4242


async def test_qq_private_text_is_a_chat_turn_answered_as_plain_text(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_chat(ChatScript(text="**重点**：多喝水。\n\n- 第一步\n- 第二步", chunk_size=5))
    asked = await qq.private_message(USER, "怎么保持健康？")
    sent = await qq.wait_sent(1, within=10)
    answer = sent[0]
    assert answer.chat_key == f"qq:{USER}"
    assert "重点：多喝水。" in answer.text and "**" not in answer.text
    assert "• 第一步" in answer.text
    assert str(answer.of_type("reply")[0]["id"]) == str(asked)
    assert qq_bot.adapter is not None
    control = qq_bot.adapter.access
    for _ in range(100):  # recorded right after the answer went out
        if (await control.used_today(identity.qq_user(USER)))["chat"] == 1:
            break
        await asyncio.sleep(0.05)
    assert (await control.used_today(identity.qq_user(USER)))["chat"] == 1  # against qq:555
    assert (await control.used_today(USER))["chat"] == 0  # not Telegram user 555


async def test_qq_group_answers_only_when_addressed(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_chat(ChatScript(text="群里的回答。"))
    await qq.group_message(GROUP, USER, "大家好，今天吃什么")
    await qq.group_message(GROUP, USER, [{"type": "at", "data": {"qq": str(qq.self_id)}},
                                         {"type": "text", "data": {"text": " 你好"}}])  # fmt: skip
    sent = await qq.wait_sent(1, within=10)
    assert len(sent) == 1 and sent[0].chat_key == f"qqgroup:{GROUP}"
    assert "群里的回答" in sent[0].text


async def test_qq_second_question_waits_its_turn_with_the_note_telegram_gives(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    """One chat queue for both platforms (bot/core/usecases/chat_queue.py): the same note."""
    grsai.script_chat(ChatScript(text="第一个回答", first_delay=1.5))
    grsai.script_chat(ChatScript(text="第二个回答"))
    await qq.private_message(USER, "第一个问题")
    await eventually(lambda: len(grsai.requests_to("/v1/chat/completions")) == 1)
    await qq.private_message(USER, "第二个问题")
    sent = await qq.wait_sent(3, within=15)
    assert [m.text for m in sent] == [texts.CHAT_QUEUED.format(n=1), "第一个回答", "第二个回答"]
    second = grsai.requests_to("/v1/chat/completions")[1].json
    assert [m["content"] for m in second["messages"][1:]] == [
        "第一个问题", "第一个回答", "第二个问题"
    ]  # fmt: skip


async def test_qq_long_answer_goes_as_merged_forward(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_chat(ChatScript(text="很长的一段话。" * 3000, chunk_size=500))
    await qq.private_message(USER, "写一篇长文")
    sent = await qq.wait_sent(1, within=15)
    assert sent[0].action.endswith("forward_msg")


@pytest.mark.parametrize(
    "qq_overrides", [{"bot_public": False, "bot_admin_ids": f"qq:{ADMIN}"}], indirect=True
)
async def test_qq_stranger_is_refused_with_qq_id_until_an_admin_allows(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_chat(ChatScript(text="欢迎使用。"))
    await qq.private_message(USER, "你好")
    refusal = (await qq.wait_sent(1, within=10))[-1]
    assert f"qq:{USER}" in refusal.text and has_chinese(refusal.text)
    await qq.private_message(USER, "/allow qq:1")  # not an admin: silently ignored
    await qq.private_message(ADMIN, f"/allow qq:{USER}")
    done = (await qq.wait_sent(2, within=10))[-1]
    assert done.chat_key == f"qq:{ADMIN}" and f"qq:{USER}" in done.text
    await qq.private_message(USER, "你好")
    answer = (await qq.wait_sent(3, within=10))[-1]
    assert answer.chat_key == f"qq:{USER}" and "欢迎使用" in answer.text


async def test_qq_help_new_and_usage_answer_in_chinese(qq: FakeNapCat, qq_bot: RunningQQ) -> None:
    await qq.private_message(USER, "/帮助")
    await qq.private_message(USER, "/新对话")
    await qq.private_message(USER, "/用量")
    sent = await qq.wait_sent(3, within=10)
    assert all(has_chinese(m.text) for m in sent)
    assert any("/新对话" in m.text for m in sent)


async def test_qq_runs_beside_telegram_in_the_same_process(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    bot = RunningBot(make_settings(tg, grsai, tmp_path / "data", onebot_ws_port=0))
    await bot.start()
    try:
        await _beside(bot, grsai)
    finally:
        await bot.stop()
    assert bot.runtime is None


async def _beside(bot: RunningBot, grsai: FakeGrsAI) -> None:
    assert bot.runtime is not None  # one runtime runs both platforms as peers
    adapter = bot.runtime.platform("qq").adapter
    assert adapter.services is bot.services  # one database, one runner, one access control
    assert adapter.access is bot.app.bot_data.access
    grsai.script_chat(ChatScript(text="两边都能用。"))
    async with FakeNapCat(ws_url(adapter.port)) as fake:
        await fake.connect()
        await fake.private_message(USER, "在吗")
        sent = await fake.wait_sent(1, within=10)
    assert "两边都能用" in sent[0].text


# --- settings and identities --------------------------------------------------------------


def test_startup_needs_telegram_or_qq_and_says_both_ways(tmp_path: Path) -> None:
    base = {"grsai_api_key": SecretStr("k"), "bot_data_dir": tmp_path}
    neither = Settings(_env_file=None, **base)  # type: ignore[call-arg]
    lines = startup_problems(neither)
    assert texts.STARTUP_NO_PLATFORM in lines
    assert "TELEGRAM_BOT_TOKEN" in texts.STARTUP_NO_PLATFORM
    assert "ONEBOT_WS_PORT" in texts.STARTUP_NO_PLATFORM
    qq_only = Settings(_env_file=None, onebot_ws_port=6700, **base)  # type: ignore[call-arg]
    assert startup_problems(qq_only) == []
    exposed = Settings(_env_file=None, onebot_ws_port=6700, onebot_ws_host="0.0.0.0", **base)  # type: ignore[call-arg]
    assert any("ONEBOT_ACCESS_TOKEN" in line for line in startup_problems(exposed))


def test_qq_ids_in_admin_and_allowed_settings(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, bot_data_dir=tmp_path,  # type: ignore[call-arg]
        bot_admin_ids="qq:123, 77", bot_allowed_ids="qqgroup:456;-100200",
    )  # fmt: skip
    assert settings.bot_admin_ids == [identity.qq_user(123), 77]
    assert settings.bot_allowed_ids == [identity.qq_group(456), -100200]


def test_identity_round_trips_and_keeps_platforms_apart() -> None:
    for text in ("123", "-1001234567890", "qq:123", "qqgroup:456", str((1 << 52) - 1)):
        assert identity.display(identity.parse(text)) == text
    assert identity.qq_user(123) != 123
    assert identity.platform_of(identity.qq_user(123)) == "qq"
    assert identity.platform_of(identity.qq_group(456)) == "qq"
    assert identity.platform_of(-1001234567890) == "telegram"
    assert identity.raw_qq(identity.qq_group(456)) == 456
    for bad in ("qq:", "qq:abc", "qqgroup:-1", "hello"):
        with pytest.raises(ValueError):
            identity.parse(bad)


async def test_existing_telegram_rows_still_work_and_qq_123_is_another_user(
    grsai: FakeGrsAI, tmp_path: Path
) -> None:
    settings = qq_settings(grsai, tmp_path / "data", bot_public=False)
    running = RunningQQ(settings)
    await running.start()
    try:
        assert running.services is not None
        control = AccessControl(settings, running.services.db, running.services.jobs)
        await control.load()
        await control.set_allowed(123, True, 1)  # a Telegram user allowed before QQ existed
        await control.set_quota(123, "chat", 5)
        await control.record_chat(123, 123, "grsai", "m")
    finally:
        await running.stop()
    running = RunningQQ(settings)  # the same database, read again
    await running.start()
    try:
        assert running.services is not None
        control = AccessControl(settings, running.services.db, running.services.jobs)
        await control.load()
        assert control.is_allowed(123, None)
        assert not control.is_allowed(identity.qq_user(123), None)
        assert (await control.limits(123))["chat"] == 5
        assert (await control.limits(identity.qq_user(123)))["chat"] != 5
        assert (await control.used_today(123))["chat"] == 1
        assert (await control.used_today(identity.qq_user(123)))["chat"] == 0
    finally:
        await running.stop()


async def test_python_m_bot_serves_qq_alone_without_a_telegram_token_and_stops_on_sigterm(
    grsai: FakeGrsAI, tmp_path: Path
) -> None:
    import signal
    import sys

    from tests.process import REPO, empty_env_file, free_port

    port = free_port()
    env = {
        "BOT_ENV_FILE": str(empty_env_file(tmp_path)), "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO), "GRSAI_API_KEY": grsai.api_key,
        "GRSAI_BASE_URL": grsai.base_url, "GRSAI_FALLBACK_BASE_URL": grsai.base_url,
        "BOT_DATA_DIR": str(tmp_path / "data"), "BOT_PUBLIC": "true",
        "ONEBOT_WS_PORT": str(port), "LOG_LEVEL": "INFO",
    }  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        grsai.script_chat(ChatScript(text="只用 QQ 也行。"))
        async with FakeNapCat(ws_url(port)) as fake:
            await connect_when_listening(fake)  # the process is starting
            await fake.private_message(USER, "你好")
            sent = await fake.wait_sent(1, within=15)
            assert "只用 QQ 也行" in sent[0].text
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0, out.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_qq_model_is_chosen_by_a_numbered_reply_or_argument(
    qq: FakeNapCat, qq_bot: RunningQQ
) -> None:
    from bot.onebot.handlers.choices import model_refs

    assert qq_bot.adapter is not None and qq_bot.services is not None
    refs = await model_refs(qq_bot.adapter)
    assert len(refs) >= 2
    await qq.private_message(USER, "/模型")
    [menu] = await qq.wait_sent(1)
    assert f"2. {refs[1]}" in menu.text and "回复序号" in menu.text
    await qq.private_message(USER, "2")
    chosen = (await qq.wait_sent(2))[-1]
    assert chosen.text == texts.MODEL_SET.format(model=refs[1])
    assert await qq_bot.services.chat.model_for(identity.qq_user(USER)) == refs[1]
    await qq.private_message(USER, "/模型 1")
    await qq.wait_sent(3)
    assert await qq_bot.services.chat.model_for(identity.qq_user(USER)) == refs[0]
    await qq.private_message(USER, "/模型 99")
    refused = (await qq.wait_sent(4))[-1]
    assert refused.text == texts.QQ_CHOICE_OUT_OF_RANGE.format(count=len(refs))


async def test_telegram_admin_allows_and_sets_quota_for_a_qq_user(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    admin = 7001
    bot = RunningBot(make_settings(tg, grsai, tmp_path / "data", bot_public=False,
                                   bot_admin_ids=str(admin)))  # fmt: skip
    await bot.start()
    try:
        chat = tg.private_chat(admin)
        tg.send_text(chat, admin, f"/allow qq:{USER}")
        await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) >= 1)
        tg.send_text(chat, admin, f"/quota qq:{USER} chat 3")
        await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) >= 2)
        replies = [m.get("text") or "" for m in tg.bot_messages(chat["id"])]
        assert f"qq:{USER}" in replies[0] and f"qq:{USER}" in replies[1]
        assert bot.app is not None
        control = bot.app.bot_data.access
        assert control.is_allowed(identity.qq_user(USER), None)
        assert not control.is_allowed(USER, None)  # Telegram user 555 is someone else
        assert (await control.limits(identity.qq_user(USER)))["chat"] == 3
    finally:
        await bot.stop()


async def test_qq_picture_with_a_question_goes_to_the_model(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    import base64

    from tests.media import make_png

    picture = make_png(32, 24, "question")
    grsai.script_chat(ChatScript(text="图里有一个方块。"))
    question = {"type": "text", "data": {"text": "图里有什么？"}}
    await qq.private_message(USER, [qq.image(picture), question])
    [answer] = await qq.wait_sent(1, within=10)
    assert "方块" in answer.text
    body = grsai.requests_to("/v1/chat/completions")[0].json
    parts = body["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": "图里有什么？"}
    assert base64.b64decode(parts[1]["image_url"]["url"].split(",", 1)[1]) == picture
    await qq.private_message(USER, [qq.image(picture)])
    [_, alone] = await qq.wait_sent(2, within=10)
    assert alone.text == texts.QQ_PHOTO_NO_TEXT


@pytest.mark.parametrize("qq_overrides", [{"bot_public": False}], indirect=True)
async def test_qq_group_stranger_is_refused_only_when_addressing_the_bot(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    await qq.group_message(GROUP, USER, "随便聊聊")
    await qq.group_message(GROUP, USER, [{"type": "at", "data": {"qq": str(qq.self_id)}},
                                         {"type": "text", "data": {"text": " 你好"}}])  # fmt: skip
    [refusal] = await qq.wait_sent(1)
    await asyncio.sleep(0.3)
    assert len(qq.sent) == 1
    assert f"qq:{USER}" in refusal.text and f"qqgroup:{GROUP}" in refusal.text
    assert grsai.requests_to("/v1/chat/completions") == []


async def test_qq_group_reply_to_the_bots_message_is_a_chat_turn(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_chat(ChatScript(text="第一次回答。"))
    await qq.group_message(GROUP, USER, "/问 第一个问题")
    [first] = await qq.wait_sent(1, within=10)
    grsai.script_chat(ChatScript(text="接着回答。"))
    follow = [{"type": "reply", "data": {"id": str(first.message_id)}},
              {"type": "text", "data": {"text": "继续说"}}]  # fmt: skip
    await qq.group_message(GROUP, USER, follow)
    second = (await qq.wait_sent(2, within=10))[-1]
    assert "接着回答" in second.text


async def test_check_passes_for_qq_alone_without_telegram(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    from tests.process import bot_env, run_once

    env = bot_env(tg, grsai, tmp_path / "data", ONEBOT_WS_PORT="6700")
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BASE_URL", "TELEGRAM_BASE_FILE_URL"):
        env.pop(name)
    code, out = await run_once(["check"], env, tmp_path / "run")
    assert code == 0, out
    assert out.strip().splitlines()[-1] == texts.CHECK_PASSED
    assert not tg.calls_to("getMe")


async def test_sigterm_with_both_platforms_exits_within_10s_even_when_napcat_hangs(
    tmp_path: Path, tg: FakeTelegram, grsai: FakeGrsAI
) -> None:
    """A hung NapCat never answers the close handshake: the bot must not wait for it."""
    from tests.process import BotProcess, bot_env, free_port

    port = free_port()
    env = bot_env(tg, grsai, tmp_path / "data", ONEBOT_WS_PORT=str(port))
    bot = BotProcess(env, tmp_path / "run")
    await bot.start()
    try:
        grsai.script_chat(ChatScript(text="两边都在。"))
        async with FakeNapCat(ws_url(port)) as fake:
            await connect_when_listening(fake)  # the process is starting
            await fake.private_message(USER, "你好")
            await fake.wait_sent(1, within=20)
            fake.hang()
            code, took = await bot.terminate(timeout=30)
    finally:
        await bot.kill()
    assert took < 10, f"exit took {took:.1f}s"
    assert code == 0
