"""What users read is Chinese and reads like one product: failures, options, time zones,
and only the commands this setup can run. (Every e2e test also checks for Latin words:
tests/conftest.py.)"""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.core import texts
from bot.core.error_text import describe_failure
from bot.core.jobs.status import status_text
from bot.core.providers.base import GenerationRequest
from bot.core.store.jobs import Job
from bot.core.zone_names import zone_label
from tests.fakes.grsai import ChatScript, FakeGrsAI, TaskScript
from tests.fakes.telegram import Call, FakeTelegram
from tests.fakes.unified import FakeUnified
from tests.harness import RunningBot, at_rest, make_settings
from tests.latin import foreign_in, foreign_words

USER = 1001
ROOT = Path(__file__).resolve().parent.parent


async def ask(bot: RunningBot, tg: FakeTelegram, text: str) -> list[dict]:
    chat = tg.private_chat(USER)
    before = len(tg.bot_messages(chat["id"]))
    tg.send_text(chat, USER, text)
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) > before)
    await at_rest(bot, tg)
    return tg.bot_messages(chat["id"])[before:]


def first_text(tg: FakeTelegram) -> str:
    messages = tg.bot_messages(USER)
    return (messages[0].get("text") or "") if messages else ""


def buttons(message: dict) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_provider_failure_is_one_chinese_sentence_and_its_wording_only_logged(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    wording = "Internal server error, please try again"
    for _ in range(2):  # one automatic resubmission, then the failure is final
        grsai.script_task(
            TaskScript(kind="image", outcome="failed", failure_reason="error", error=wording)
        )
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只猫")
    await tg.wait_for(lambda: "❌" in first_text(tg))
    status = tg.bot_messages(chat["id"])[0]["text"]
    last_line = status.splitlines()[-1]
    assert last_line.count("❌") == 1 and "未完成：❌" not in status
    assert not foreign_in(last_line), last_line
    assert "积分" not in status and "服务商退回" not in status  # no billing talk to users
    assert wording in caplog.text  # the admin finds the provider's words in the log


async def test_chat_refusal_hides_the_providers_words_from_the_user(
    tg: FakeTelegram, grsai: FakeGrsAI, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = {"error": {"message": "Invalid value for temperature", "type": "invalid_request"}}
    grsai.script_chat(ChatScript(status=400, error_body=body))
    [answer] = await ask(bot, tg, "你好")
    assert answer["text"] == texts.ERR_BAD_REQUEST
    assert "Invalid value for temperature" in caplog.text


@pytest.mark.parametrize(
    ("reason", "detail"),
    [
        ("bad_request", "reference file unreadable"),
        ("bad_request", "unsupported reference image"),
        ("bad_request", "bad_duration"),
        ("error", "no result"),
        ("error", "result without file"),
        ("error", "no image in answer"),
        ("bad_request", "upload refused"),
        ("error", "Internal server error, please try again"),
        ("bad_request", "Invalid parameter: aspectRatio"),
        ("upstream", "Bad Gateway"),
    ],
)
def test_every_failure_detail_reads_as_chinese(reason: str, detail: str) -> None:
    sentence = describe_failure(reason, detail, status=502)
    assert not foreign_in(sentence), sentence
    assert not re.search(r"\d{3}", sentence)  # no HTTP codes
    job = Job(id=1, user_id=USER, chat_id=USER, kind="image", provider="grsai", task_id=None,
              thread_id=None, reply_to_id=None, status_message_id=None,
              request=GenerationRequest("image", "猫", {}), state="failed",
              failure=reason, failure_detail=detail)  # fmt: skip
    assert not foreign_in(status_text(job)), status_text(job)


def test_user_texts_never_name_http_codes_billing_or_jargon() -> None:
    from bot.core import texts

    for name, value in vars(texts).items():
        if name.startswith(("ERR_", "JOB_", "DRAW_", "VIDEO_", "ROLE_", "REMIX_")):
            for text in value.values() if isinstance(value, dict) else [value]:
                if isinstance(text, str):
                    assert not re.search(r"[（(]\d{3}[)）]", text), name
                    assert not re.search("上游|网关|该参数|积分会|充值", text), name


async def test_stats_names_failure_reasons_in_chinese(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    running = RunningBot(make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[USER]))
    await running.start()
    try:
        grsai.script_task(
            TaskScript(kind="image", outcome="failed", failure_reason="output_moderation")
        )
        await ask(running, tg, "/draw 一只猫")
        await tg.wait_for(lambda: "🚫" in first_text(tg))
        [stats] = await ask(running, tg, "/stats")
    finally:
        await running.stop()
    assert "output_moderation" not in stats["text"]
    assert "失败原因：结果未过审核 1" in stats["text"]


async def test_draw_help_gives_every_option_a_chinese_name(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    [help_text] = await ask(bot, tg, "/draw")
    for expected in ("自动（auto）", "专业版（pro）", "极速版（fast）", "会员版（vip）",
                     "4K 会员版（4kvip）", "（vt）", "（cl）"):  # fmt: skip
        assert expected in help_text["text"]


async def test_settings_label_each_row_and_name_options_in_chinese(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    [menu] = await ask(bot, tg, "/settings")
    labels = buttons(menu)
    for section in ("— 绘图比例 —", "— 绘图清晰度 —", "— 绘图模型 —", "— 视频比例与时长 —",
                    "— 视频清晰度 —"):  # fmt: skip
        assert section in labels
    assert "✅ 自动" in labels and "✅ 专业版" in labels and "极速版" in labels
    assert "10 秒" in labels or "✅ 10 秒" in labels
    for code in ("auto", "fast", "4kvip", "vip", "cl", "vt", "pro"):
        assert not any(code in label for label in labels), code
    assert "比例 自动" in menu["text"] and "模型 专业版" in menu["text"]
    assert "nano-banana" not in menu["text"]
    # A label button only explains itself; an option button still works.
    label = next(b for row in menu["reply_markup"]["inline_keyboard"] for b in row
                 if b["text"] == "— 绘图模型 —")  # fmt: skip
    query = tg.press_button(menu, label["callback_data"], USER)
    await tg.wait_for(lambda: query in tg.callback_answers)
    assert tg.callback_answers[query]["text"] == "点击这一栏下面的按钮修改"


def test_time_zone_names() -> None:
    assert zone_label("Asia/Shanghai") == "北京时间"
    assert zone_label("Asia/Tokyo") == "东京时间"
    assert zone_label("America/Sao_Paulo") == "UTC-3"
    assert zone_label("Asia/Kolkata") == "UTC+5:30"


async def test_usage_names_the_configured_time_zone(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    running = RunningBot(make_settings(tg, grsai, tmp_path / "data",
                                       quota_timezone="Europe/Berlin"))  # fmt: skip
    await running.start()
    try:
        [usage] = await ask(running, tg, "/usage")
    finally:
        await running.stop()
    assert "北京时间" not in usage["text"]
    assert "UTC+1" in usage["text"] or "UTC+2" in usage["text"]


async def test_story_is_offered_only_with_a_storyboard_provider(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    running = RunningBot(make_settings(tg, grsai, tmp_path / "a"))
    await running.start()
    try:
        await tg.wait_for(lambda: tg.commands)
        [help_text] = await ask(running, tg, "/help")
    finally:
        await running.stop()
    menus = list(tg.commands.values())
    assert menus and all("story" not in {c["command"] for c in menu} for menu in menus)
    assert all("draw" in {c["command"] for c in menu} for menu in menus)
    assert "/story" not in help_text["text"] and "/draw" in help_text["text"]

    tg.commands.clear()
    async with FakeUnified() as unified:
        running = RunningBot(make_settings(
            tg, grsai, tmp_path / "b", unified_api_key=SecretStr(unified.api_key),
            unified_base_url=unified.base_url, video_providers=["grsai", "unified"]))  # fmt: skip
        await running.start()
        try:
            await tg.wait_for(lambda: tg.commands)
            [help_text] = await ask(running, tg, "/help")
        finally:
            await running.stop()
    assert all("story" in {c["command"] for c in menu} for menu in tg.commands.values())
    assert "/story" in help_text["text"]


async def test_selected_marks_have_one_style(tg: FakeTelegram, bot: RunningBot) -> None:
    [menu] = await ask(bot, tg, "/model")
    [settings] = await ask(bot, tg, "/settings")
    marked = [b for b in buttons(menu) + buttons(settings) if b.startswith("✅")]
    assert marked and all(b.startswith("✅ ") for b in marked)


# Modules that build what users read: every Chinese word they show comes from bot/core/texts.py.
OUTPUT_MODULES = [
    *sorted((ROOT / "bot" / "tg").rglob("*.py")),
    # QQ: segments.py only recognises the Chinese command names users type.
    *sorted(p for p in (ROOT / "bot" / "onebot").rglob("*.py") if p.name != "segments.py"),
    *(ROOT / "bot" / "core" / name for name in ("error_text.py", "zone_names.py",
                                                "jobs/status.py", "jobs/characters.py")),
]  # fmt: skip
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_chinese_words_live_in_texts_only() -> None:
    found = []
    for path in OUTPUT_MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node.body and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }  # fmt: skip
        # Recognising what providers answer is not showing text: re.compile(...) patterns.
        patterns = {
            id(arg)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "compile"
            for arg in node.args
        }
        skip = docstrings | patterns
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and CJK.search(node.value) and id(node) not in skip):  # fmt: skip
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:30]}")
    assert not found, "\n".join(found)


def test_latin_check_flags_english_but_not_names_codes_or_what_users_typed() -> None:
    tg = FakeTelegram()
    tg.user_inputs.append("/draw hello kitty")
    keyboard = {"inline_keyboard": [[{"text": "Retry", "callback_data": "x"}]]}
    tg.calls += [
        Call("sendMessage", {"text": "❌ 生成失败：Internal error"}),
        Call("editMessageText", {"text": "🎨 hello kitty · gemini-2.5-flash · 16:9 · 4K "
                                         "自动（auto） /draw @char.abc https://a.cn/a.mp4 Sora"}),
        Call("answerCallbackQuery", {"text": "OK"}),
        Call("sendMessage", {"text": "好", "reply_markup": keyboard}),
        Call("setMyCommands", {"commands": [{"command": "draw", "description": "Draw"}]}),
        Call("sendPhoto", {"caption": "<b>Bold</b> 图", "parse_mode": "HTML"}),
    ]  # fmt: skip
    assert {word for _, word, _ in foreign_words(tg)} == {
        "Internal", "error", "OK", "Retry", "Draw", "Bold"
    }  # fmt: skip
