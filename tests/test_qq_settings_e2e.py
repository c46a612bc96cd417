"""/设置, retry and "再来一张" by number on QQ, and the all-Chinese check over QQ — the real
adapter ↔ FakeNapCat (reverse WS) ↔ fake GrsAI."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.core import identity, texts
from bot.core.config import Settings
from bot.runtime.settings_check import validation_problems
from tests.fakes.grsai import ChatScript, FakeGrsAI, TaskScript
from tests.fakes.onebot import FakeNapCat, SentMessage
from tests.latin import foreign_words
from tests.media import make_png
from tests.qq_harness import RunningQQ, has_chinese, qq_settings, ws_url

USER = 555
OTHER = 556
GROUP = 4242
DRAW = "/v1/draw/nano-banana"


async def ask(qq: FakeNapCat, message: str | list[dict[str, Any]], *, user: int = USER,
              group: int | None = None) -> SentMessage:  # fmt: skip
    """Send one message and return the bot's next message."""
    before = len(qq.sent)
    if group is None:
        await qq.private_message(user, message)
    else:
        await qq.group_message(group, user, message)
    return (await qq.wait_sent(before + 1, within=10))[before]


async def prefs(qq_bot: RunningQQ, user: int = USER) -> dict:
    assert qq_bot.services is not None
    return await qq_bot.services.prefs.prefs(identity.qq_user(user))


def replying(message_id: int, text: str) -> list[dict[str, Any]]:
    return [{"type": "reply", "data": {"id": str(message_id)}},
            {"type": "text", "data": {"text": text}}]  # fmt: skip


def images(qq: FakeNapCat) -> list[SentMessage]:
    return [m for m in qq.sent if m.of_type("image")]


async def wait_for(condition: Any, within: float = 15.0) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 (the fakes have no such event)
            await asyncio.sleep(0.05)


# --- /设置 ------------------------------------------------------------------------------------


async def test_qq_settings_show_the_defaults_with_chinese_names_and_numbered_items(
    qq: FakeNapCat, qq_bot: RunningQQ
) -> None:
    shown = await ask(qq, "/设置")
    assert shown.text.startswith(texts.QQ_SETTINGS_HEAD.strip())
    for words in ("比例 自动", "清晰度 1K", "专业版", "9:16", "10 秒", "标清"):
        assert words in shown.text, shown.text
    for number, key in enumerate(texts.QQ_SETTING_NAMES, 1):
        assert f"{number}. {texts.QQ_SETTING_NAMES[key]}" in shown.text
    assert texts.QQ_NOT_YET not in shown.text


async def test_qq_settings_change_by_arguments_with_chinese_names_or_codes(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    for command in ("/设置 比例 16:9", "/设置 清晰度 2k", "/设置 模型 极速版",
                    "/设置 视频比例 16:9", "/设置 时长 15秒", "/设置 视频清晰度 hd"):  # fmt: skip
        answer = await ask(qq, command)
        assert answer.text.startswith("✅"), (command, answer.text)
    saved = await prefs(qq_bot)
    assert saved["image"] == {"aspect_ratio": "16:9", "image_size": "2K",
                              "model": "nano-banana-fast"}  # fmt: skip
    assert saved["video"]["aspect_ratio"] == "16:9"
    assert saved["video"]["duration"] == 15 and saved["video"]["size"] == "large"
    answer = await ask(qq, "/设置 模型 4K 会员版")  # a name with a space; the size follows
    assert "4K" in answer.text
    assert (await prefs(qq_bot))["image"]["model"] == "nano-banana-pro-4k-vip"
    assert (await prefs(qq_bot))["image"]["image_size"] == "4K"
    await ask(qq, "/设置 ratio auto")  # the short codes work too
    assert (await prefs(qq_bot))["image"]["aspect_ratio"] == "auto"
    # The next /画图 uses the saved defaults.
    grsai.script_task(TaskScript(kind="image", result_bytes=make_png(20, 20, "x")))
    await ask(qq, "/画图 一只猫")
    await wait_for(lambda: grsai.submissions("image"))
    submitted = grsai.submissions("image")[0]
    assert submitted["model"] == "nano-banana-pro-4k-vip" and submitted["imageSize"] == "4K"


async def test_qq_settings_change_by_numbered_replies(qq: FakeNapCat, qq_bot: RunningQQ) -> None:
    await ask(qq, "/设置")
    options = await ask(qq, "1")  # 1 = 绘图比例: its options, numbered
    assert texts.QQ_SETTING_NAMES["image_ratio"] in options.text
    assert "1. ✅ 自动" in options.text and "3. 16:9" in options.text
    saved = await ask(qq, "3")
    assert saved.text.startswith("✅") and "16:9" in saved.text
    assert (await prefs(qq_bot))["image"]["aspect_ratio"] == "16:9"
    options = await ask(qq, "/设置 视频清晰度")  # a setting by name, without a value
    assert "标清" in options.text and "高清" in options.text
    await ask(qq, "2")
    assert (await prefs(qq_bot))["video"]["size"] == "large"
    await ask(qq, "/设置 5 2")  # item 5 (视频时长), option 2 (15 秒)
    assert (await prefs(qq_bot))["video"]["duration"] == 15


async def test_qq_model_list_still_answers_numbers_after_settings(
    qq: FakeNapCat, qq_bot: RunningQQ
) -> None:
    from bot.onebot.handlers.choices import model_refs

    assert qq_bot.adapter is not None and qq_bot.services is not None
    refs = await model_refs(qq_bot.adapter)
    await ask(qq, "/设置")
    await ask(qq, "/模型")
    chosen = await ask(qq, "2")  # the latest list is the model list
    assert chosen.text == texts.MODEL_SET.format(model=refs[1])
    assert (await prefs(qq_bot)).get("image") is None


@pytest.mark.parametrize(
    "command",
    ["/设置 比例 7:3", "/设置 清晰度 8K", "/设置 模型 超级版", "/设置 时长 12", "/设置 颜色 红色",
     "/设置 99", "/设置 1 99", "/设置 视频清晰度 蓝光"],
)  # fmt: skip
async def test_qq_settings_bad_values_get_a_clear_chinese_answer_and_change_nothing(
    qq: FakeNapCat, qq_bot: RunningQQ, command: str
) -> None:
    answer = await ask(qq, command)
    assert answer.text.startswith("⚠️") and has_chinese(answer.text), answer.text
    assert (await prefs(qq_bot)) == {}
    if "比例" in command:
        assert "16:9" in answer.text  # what is allowed


async def test_qq_settings_bad_number_reply_is_explained(qq: FakeNapCat, qq_bot: RunningQQ) -> None:
    await ask(qq, "/设置")
    answer = await ask(qq, "9")
    assert answer.text == texts.QQ_CHOICE_OUT_OF_RANGE.format(count=len(texts.QQ_SETTING_NAMES))


@pytest.mark.parametrize("qq_overrides", [{"video_providers": ""}], indirect=True)
async def test_qq_settings_show_only_what_a_configured_provider_can_do(
    qq: FakeNapCat, qq_bot: RunningQQ
) -> None:
    shown = await ask(qq, "/设置")
    assert texts.QQ_SETTING_NAMES["image_ratio"] in shown.text
    assert texts.QQ_SETTING_NAMES["video_duration"] not in shown.text
    refused = await ask(qq, "/设置 时长 15")
    assert refused.text.startswith("⚠️") and has_chinese(refused.text)
    assert (await prefs(qq_bot)) == {}


def failing() -> TaskScript:
    """A failure the user may submit again (not one the runner resubmits by itself)."""
    return TaskScript(kind="image", outcome="failed", failure_reason="output_moderation")


# --- retry and "再来一张" by number --------------------------------------------------------------


async def test_qq_unclear_submit_is_resubmitted_once_by_replying_1(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.fail_next(DRAW, 502)  # the provider may or may not have the task: never re-sent
    await qq.private_message(USER, "/画图 一只猫")
    await wait_for(lambda: len(qq.sent) >= 2)
    await asyncio.sleep(0.3)
    failure = qq.sent[1]
    assert texts.QQ_JOB_SUBMIT_UNCLEAR in failure.text and "回复 1" in failure.text
    assert "点击" not in failure.text  # no buttons on QQ
    assert len(grsai.requests_to(DRAW)) == 1
    grsai.script_task(TaskScript(kind="image", result_bytes=make_png(30, 30, "again")))
    # A double answer (the bare number and a reply to the offer, at once) acts once.
    await asyncio.gather(qq.private_message(USER, "1"),
                         qq.private_message(USER, replying(failure.message_id, "1")))  # fmt: skip
    await wait_for(lambda: len(images(qq)) == 1)
    # Both answers handled (one ran, one was told so): only then count the submits.
    await wait_for(lambda: any(m.text == texts.QQ_ALREADY_HANDLED for m in qq.sent))
    assert len(grsai.requests_to(DRAW)) == 2
    assert any(m.text == texts.QQ_ALREADY_HANDLED for m in qq.sent)
    late = await ask(qq, replying(failure.message_id, "1"))
    assert late.text == texts.QQ_ALREADY_HANDLED
    assert len(grsai.requests_to(DRAW)) == 2


async def test_qq_failed_job_offers_retry_that_respects_the_quota(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    assert qq_bot.adapter is not None
    await qq_bot.adapter.access.set_quota(identity.qq_user(USER), "image", 1)
    grsai.script_task(failing())
    await qq.private_message(USER, "/画图 一座桥")
    await wait_for(lambda: len(qq.sent) >= 2)
    failure = qq.sent[1]
    assert texts.QQ_RETRY_OFFER in failure.text
    grsai.script_task(TaskScript(kind="image", result_bytes=make_png(16, 16, "bridge")))
    await ask(qq, "1")  # the failed job does not count: the retry is within the quota
    await wait_for(lambda: len(images(qq)) == 1)
    grsai.script_task(failing())
    await qq.private_message(USER, "/画图 又一座桥")  # over the quota now
    refusal = (await qq.wait_sent(len(qq.sent) + 1))[-1]
    assert has_chinese(refusal.text) and texts.QQ_JOB_RECEIVED not in refusal.text
    assert len(grsai.submissions("image")) == 2


async def test_qq_image_result_again_by_replying_1_acts_once(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_task(TaskScript(kind="image", result_bytes=make_png(40, 40, "first")))
    await qq.private_message(USER, "/画图 16:9 一只柴犬")
    await wait_for(lambda: len(images(qq)) == 1)
    [result] = images(qq)
    assert texts.QQ_RESULT_ACTIONS in result.text
    grsai.script_task(TaskScript(kind="image", result_bytes=make_png(40, 40, "second")))
    again = await ask(qq, replying(result.message_id, "1"))
    assert again.text.startswith(texts.QQ_JOB_RECEIVED)
    await wait_for(lambda: len(images(qq)) == 2)
    first, second = grsai.submissions("image")
    assert second["prompt"] == first["prompt"] == "一只柴犬"
    assert second["aspectRatio"] == "16:9"
    twice = await ask(qq, replying(result.message_id, "1"))
    assert twice.text == texts.QQ_ALREADY_HANDLED
    assert len(grsai.submissions("image")) == 2


async def test_qq_group_member_cannot_retry_someone_elses_job(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_task(failing())
    await qq.group_message(GROUP, USER, "/画图 一棵树")
    await wait_for(lambda: len(qq.sent) >= 2)
    failure = qq.sent[1]
    refused = await ask(qq, replying(failure.message_id, "1"), user=OTHER, group=GROUP)
    assert refused.text == texts.QQ_CHOICE_NOT_YOURS
    await qq.group_message(GROUP, USER, "1")  # a bare number in a group is not for the bot
    await asyncio.sleep(0.5)
    assert len(qq.sent) == 3
    assert len(grsai.submissions("image")) == 1
    grsai.script_task(TaskScript(kind="image", result_bytes=make_png(16, 16, "tree")))
    await ask(qq, replying(failure.message_id, "1"), user=USER, group=GROUP)
    await wait_for(lambda: len(images(qq)) == 1)
    assert len(grsai.submissions("image")) == 2


# --- every text on QQ is Chinese ------------------------------------------------------------


async def test_latin_check_catches_an_english_text_sent_on_qq(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(texts, "QQ_HELP", "Help: send /draw with a prompt")
    await ask(qq, "/帮助")
    grsai.script_chat(ChatScript(text="很长的一段话。" * 3000, chunk_size=500))
    monkeypatch.setattr(texts, "QQ_ANSWER_TITLE", "Answer")
    await ask(qq, "写一篇 very long 长文")
    found = {word for _, word, _ in foreign_words(qq)}
    # English in a text segment and in a merged forward's node; what the user typed is allowed.
    assert found == {"Help", "send", "with", "a", "prompt", "Answer"}
    qq.sent.clear()  # seen; the check after every test would fail this one otherwise


def test_settings_check_names_the_qq_forms_of_admin_and_allowed_ids(tmp_path: Path) -> None:
    for name in ("bot_admin_ids", "bot_allowed_ids"):
        with pytest.raises(ValidationError) as bad:
            Settings(_env_file=None, bot_data_dir=tmp_path, **{name: "me"})  # type: ignore[call-arg]
        [line] = validation_problems(bad.value)
        assert "qq:<QQ号>" in line and "qqgroup:<群号>" in line, line


async def test_qq_retry_offer_works_after_a_restart_and_stays_used_after_the_next(
    grsai: FakeGrsAI, tmp_path: Path
) -> None:
    from tests.process import free_port

    port = free_port()
    settings = qq_settings(grsai, tmp_path / "data", onebot_ws_port=port)
    grsai.script_task(failing())
    running = RunningQQ(settings)
    await running.start()
    async with FakeNapCat(ws_url(port)) as qq:
        qq.keep_connected(0.1)
        try:
            await wait_for(lambda: qq.connected)
            await qq.private_message(USER, "/画图 一只猫")
            await wait_for(lambda: len(qq.sent) >= 2)
            failure = qq.sent[1]
            for attempt in range(2):  # the bot restarts; the offer is still known, then used once
                await running.stop()
                running = RunningQQ(settings)
                await running.start()
                await qq.disconnect()
                await wait_for(lambda: qq.connected)
                grsai.script_task(TaskScript(kind="image", result_bytes=make_png(8, 8, "c")))
                await qq.private_message(USER, replying(failure.message_id, "1"))
                if attempt == 0:  # the retry's picture arrives before the bot stops again
                    await wait_for(lambda: len(images(qq)) == 1)
                    await wait_for(lambda: qq.sent[-1].text == texts.QQ_RESULT_ACTIONS)
                else:
                    await wait_for(lambda: qq.sent[-1].text == texts.QQ_ALREADY_HANDLED)
        finally:
            await running.stop()
    assert len(grsai.submissions("image")) == 2
    assert qq.sent[-1].text == texts.QQ_ALREADY_HANDLED


async def test_qq_bare_draw_replying_to_the_own_result_makes_it_again(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_task(TaskScript(kind="image", result_bytes=make_png(24, 24, "one")))
    await qq.private_message(USER, "/画图 4:3 一只狐狸")
    await wait_for(lambda: len(images(qq)) == 1)
    [result] = images(qq)
    again = await ask(qq, replying(result.message_id, "/画图"))
    assert again.text.startswith(texts.QQ_JOB_RECEIVED)
    await wait_for(lambda: len(images(qq)) == 2)
    _, second = grsai.submissions("image")
    assert second["prompt"] == "一只狐狸" and second["aspectRatio"] == "4:3"
    assert not second.get("urls")  # the same request again, not the result as a reference


async def test_qq_again_refused_by_the_quota_spends_nothing_and_stays_usable(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    assert qq_bot.adapter is not None
    control, user = qq_bot.adapter.access, identity.qq_user(USER)
    await control.set_quota(user, "image", 1)
    grsai.script_task(TaskScript(kind="image", result_bytes=make_png(12, 12, "q")))
    await qq.private_message(USER, "/画图 一朵花")
    await wait_for(lambda: len(images(qq)) == 1)
    [result] = images(qq)
    refused = await ask(qq, replying(result.message_id, "1"))
    assert has_chinese(refused.text) and not refused.text.startswith(texts.QQ_JOB_RECEIVED)
    assert refused.text != texts.QQ_ALREADY_HANDLED
    assert len(grsai.submissions("image")) == 1
    await control.set_quota(user, "image", 2)
    grsai.script_task(TaskScript(kind="image", result_bytes=make_png(12, 12, "r")))
    again = await ask(qq, replying(result.message_id, "1"))
    assert again.text.startswith(texts.QQ_JOB_RECEIVED)
    await wait_for(lambda: len(images(qq)) == 2)


async def test_qq_retry_is_marked_used_before_its_slow_status_message(
    grsai: FakeGrsAI, tmp_path: Path
) -> None:
    """The durable "used" mark is written before the launch, not after its status message
    (which can take a minute): a crash while that message hangs does not re-arm the offer.
    The crash is a copy of what is on disk at that moment, started as a bot of its own."""
    import sqlite3

    from tests.process import free_port

    port = free_port()
    settings = qq_settings(grsai, tmp_path / "data", onebot_ws_port=port)
    grsai.script_task(failing())
    for _ in range(3):
        grsai.script_task(TaskScript(kind="image", result_bytes=make_png(8, 8, "c")))
    running = RunningQQ(settings)
    await running.start()
    crashed_port = free_port()
    crashed = qq_settings(grsai, tmp_path / "crashed", onebot_ws_port=crashed_port)
    try:
        async with FakeNapCat(ws_url(port)) as qq:
            await qq.connect()
            await qq.private_message(USER, "/画图 一只猫")
            await wait_for(lambda: len(qq.sent) >= 2)
            failure = qq.sent[1]
            qq.hang_next("send_private_msg")  # the retry's "收到" status gets no answer
            await qq.private_message(USER, replying(failure.message_id, "1"))
            assert running.services is not None
            jobs = running.services.jobs
            async with asyncio.timeout(15):
                while await jobs.get(2) is None:  # noqa: ASYNC110 (the retry's job row …
                    await asyncio.sleep(0.05)
            # … and its status message still hangs: the bot dies now (what is on disk stays).
            crashed.db_path.parent.mkdir(parents=True)
            with sqlite3.connect(settings.db_path) as src, \
                    sqlite3.connect(crashed.db_path) as dst:  # fmt: skip
                src.backup(dst)
        after = RunningQQ(crashed)
        await after.start()
        try:
            async with FakeNapCat(ws_url(crashed_port)) as qq2:
                await qq2.connect()
                await qq2.private_message(USER, replying(failure.message_id, "1"))
                await wait_for(lambda: any(m.text for m in qq2.sent
                                           if m.text == texts.QQ_ALREADY_HANDLED))  # fmt: skip
        finally:
            await after.stop()
    finally:
        await running.stop()
