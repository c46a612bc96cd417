"""Every provider as a user meets it: routing lists in the settings, the real bot, the fakes.

Chat, images and videos on each provider that offers them; fallback from a failing provider
to the next with the result delivered once; /story; 聚合API's chat-format Sora; /model.
"""

from __future__ import annotations

import hashlib

import pytest
from pydantic import SecretStr

from bot.core import texts
from bot.core.providers.registry import routing_problem
from tests.fakes.grsai import ChatScript, FakeGrsAI, TaskScript
from tests.fakes.juhe import FakeJuhe, SoraReply
from tests.fakes.openai_base import ChatReply, VideoScript
from tests.fakes.reshi import FakeReshi
from tests.fakes.telegram import FakeTelegram
from tests.fakes.unified import FakeUnified
from tests.harness import RunningBot, at_rest, make_settings
from tests.waiting import settled_job

USER = 1001


@pytest.fixture
def settings_overrides(
    request: pytest.FixtureRequest, reshi: FakeReshi, unified: FakeUnified, juhe: FakeJuhe
) -> dict:
    """All four providers switched on; the test's parameter sets the routing lists."""
    return {
        "reshi_api_key": SecretStr(reshi.api_key), "reshi_base_url": reshi.base_url,
        "unified_api_key": SecretStr(unified.api_key), "unified_base_url": unified.base_url,
        "juhe_api_key": SecretStr(juhe.api_key), "juhe_base_url": juhe.base_url,
        **getattr(request, "param", {}),
    }  # fmt: skip


def routes(**lists: str) -> pytest.MarkDecorator:
    values = {f"{k}_providers": [n.strip() for n in v.split(",")] for k, v in lists.items()}
    return pytest.mark.parametrize("settings_overrides", [values], indirect=True)


def media(tg: FakeTelegram, chat_id: int, kind: str) -> list[dict]:
    return [m for m in tg.bot_messages(chat_id) if m.get(kind)]


def first_text(tg: FakeTelegram, chat_id: int) -> str:
    """The job's status message (the bot's first message), or "" before it exists."""
    messages = tg.bot_messages(chat_id)
    return (messages[0].get("text") or "") if messages else ""


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def send_and_wait_for(
    bot: RunningBot, tg: FakeTelegram, text: str, kind: str, wait_s: float = 20
) -> dict:
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, text)
    await tg.wait_for(lambda: len(media(tg, chat["id"], kind)) >= 1, timeout=wait_s)
    await at_rest(bot, tg)
    return chat


async def ask(bot: RunningBot, tg: FakeTelegram, text: str) -> str:
    chat = tg.private_chat(USER)
    before = len(tg.bot_messages(chat["id"]))
    tg.send_text(chat, USER, text)
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) > before)
    await at_rest(bot, tg)
    return tg.bot_messages(chat["id"])[-1].get("text") or ""


# -- chat on each provider ---------------------------------------------------------------------


@routes(chat="reshi")
async def test_chat_on_reshi_uses_its_own_default_model(
    tg: FakeTelegram, reshi: FakeReshi, bot: RunningBot
) -> None:
    reshi.script_chat(ChatReply(text="来自 reshi 的回答"))
    assert await ask(bot, tg, "你好") == "来自 reshi 的回答"
    assert reshi.requests_to("/chat/completions")[0].json["model"] == "gemini-pro"


@routes(chat="unified")
async def test_chat_on_unified(tg: FakeTelegram, unified: FakeUnified, bot: RunningBot) -> None:
    unified.script_chat(ChatReply(text="来自统一聚合的回答"))
    assert await ask(bot, tg, "你好") == "来自统一聚合的回答"
    assert unified.requests_to("/v1/chat/completions")[0].json["model"] == "gemini-2.5-flash"


@routes(chat="juhe")
async def test_chat_on_juhe(tg: FakeTelegram, juhe: FakeJuhe, bot: RunningBot) -> None:
    juhe.script_chat(ChatReply(text="来自聚合API的回答"))
    assert await ask(bot, tg, "你好") == "来自聚合API的回答"


@routes(chat="grsai,juhe")
async def test_chat_falls_back_when_the_first_provider_is_down(
    tg: FakeTelegram, grsai: FakeGrsAI, juhe: FakeJuhe, bot: RunningBot
) -> None:
    grsai.script_chat(ChatScript(status=503))
    juhe.script_chat(ChatReply(text="备用线路的回答"))
    assert await ask(bot, tg, "你好") == "备用线路的回答"
    assert len(juhe.requests_to("/v1/chat/completions")) == 1
    # Usage is booked against the provider that actually answered.
    async with bot.services.db.conn.execute(
        "SELECT provider FROM usage WHERE capability = 'chat'"
    ) as cur:
        assert [row[0] for row in await cur.fetchall()] == ["juhe"]
    # Told only when asked: /model names who answered.
    assert texts.MODEL_SERVED_BY.format(provider="聚合API", model="gemini-2.5-flash") in await ask(
        bot, tg, "/model"
    )


@routes(chat="grsai,reshi")
async def test_model_menu_groups_by_provider_and_pins_the_choice(
    tg: FakeTelegram, reshi: FakeReshi, bot: RunningBot
) -> None:
    text = await ask(bot, tg, "/model")
    assert "GrsAI：4 个模型" in text and "reshi123：2 个模型" in text
    chat = tg.private_chat(USER)
    menu = tg.bot_messages(chat["id"])[-1]
    buttons = [row[0] for row in menu["reply_markup"]["inline_keyboard"]]
    assert [b["text"] for b in buttons][:4] == ["gemini-3-pro", "gemini-2.5-pro",
                                               texts.MODEL_MARK + "gemini-2.5-flash",
                                               "gemini-2.5-flash-lite"]  # fmt: skip
    reshi_button = next(b for b in buttons if b["callback_data"].startswith("model|reshi:"))
    assert reshi_button["text"] == "reshi123 · gemini-pro"
    tg.press_button(menu, reshi_button["callback_data"], USER)
    await tg.wait_for(lambda: len(tg.calls_to("answerCallbackQuery")) == 1)
    assert await bot.services.chat.model_for(USER) == "reshi:gemini-pro"
    reshi.script_chat(ChatReply(text="reshi 在此"))
    assert await ask(bot, tg, "你好") == "reshi 在此"


# -- images --------------------------------------------------------------------------------------


@routes(image="reshi")
async def test_draw_on_reshi_delivers_the_synchronous_image(
    tg: FakeTelegram, reshi: FakeReshi, bot: RunningBot
) -> None:
    chat = await send_and_wait_for(bot, tg, "/draw 一只橘猫", "photo")
    [photo] = media(tg, chat["id"], "photo")
    assert sha(tg.uploaded_file(photo["photo"][-1]["file_id"])) == sha(reshi.image_bytes(0))
    assert reshi.images == [{"prompt": "一只橘猫"}]


@routes(image="grsai,reshi")
async def test_draw_moves_to_the_next_provider_when_refused_and_delivers_once(
    tg: FakeTelegram, grsai: FakeGrsAI, reshi: FakeReshi, bot: RunningBot
) -> None:
    # A 429 refuses the request outright (nothing paid): the next provider may take it.
    # A 5xx would be ambiguous and never moved on (tests/test_money_safety_jobs.py).
    grsai.fail_next("/v1/draw/nano-banana", 429, times=2)
    chat = await send_and_wait_for(bot, tg, "/draw 一只橘猫", "photo")
    assert len(media(tg, chat["id"], "photo")) == 1
    assert grsai.task_ids("image") == [] and len(reshi.images) == 1
    job = await settled_job(bot.services, 1)
    assert job is not None and job.provider == "reshi" and job.state == "done"
    assert "reshi123" in await ask(bot, tg, "/settings")


@routes(image="grsai,reshi")
async def test_no_fallback_when_the_provider_refuses_the_request(
    tg: FakeTelegram, grsai: FakeGrsAI, reshi: FakeReshi, bot: RunningBot
) -> None:
    grsai.script_task(TaskScript(kind="image", submit_status=400, submit_msg="参数错误"))
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/draw 一只橘猫")
    await tg.wait_for(lambda: texts.ERR_BAD_REQUEST in first_text(tg, chat["id"]))
    assert reshi.images == []


# -- videos --------------------------------------------------------------------------------------


@routes(video="reshi")
async def test_video_on_reshi(tg: FakeTelegram, reshi: FakeReshi, bot: RunningBot) -> None:
    chat = await send_and_wait_for(bot, tg, "/video 16:9 海边日落", "video")
    [task] = reshi.videos.values()
    [video] = media(tg, chat["id"], "video")
    assert tg.uploaded_file(video["video"]["file_id"]) == reshi.file_bytes(task.url or "")
    assert task.body["aspect_ratio"] == "16:9" and task.body["model"] == "sora-2"


@routes(video="unified")
async def test_video_on_unified(tg: FakeTelegram, unified: FakeUnified, bot: RunningBot) -> None:
    chat = await send_and_wait_for(bot, tg, "/video 15s 雪山日出", "video")
    [task] = unified.tasks.values()
    [video] = media(tg, chat["id"], "video")
    assert tg.uploaded_file(video["video"]["file_id"]) == unified.file_bytes(task.url or "")
    assert task.body["duration"] == "15"


@routes(video="juhe")
async def test_video_on_juhe_is_parsed_from_the_chat_answer(
    tg: FakeTelegram, juhe: FakeJuhe, bot: RunningBot
) -> None:
    chat = await send_and_wait_for(bot, tg, "/video 16:9 高清 城市夜景", "video")
    [video] = media(tg, chat["id"], "video")
    assert tg.uploaded_file(video["video"]["file_id"]) == juhe.file_bytes(juhe.video_urls[0])
    assert juhe.sora_requests[0]["model"] == "sora_video2-landscape-hd"


@routes(video="juhe")
async def test_juhe_answer_without_link_ends_in_a_chinese_failure(
    tg: FakeTelegram, juhe: FakeJuhe, bot: RunningBot
) -> None:
    juhe.script_sora(SoraReply(mode="no_link"))
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/video 城市夜景")
    await tg.wait_for(lambda: "❌" in first_text(tg, chat["id"]))
    await at_rest(bot, tg)
    status = tg.bot_messages(chat["id"])[0]["text"]
    assert texts.ERR_NO_RESULT in status and media(tg, chat["id"], "video") == []
    assert len(juhe.sora_requests) == 1  # not resubmitted


@routes(video="unified,juhe")
async def test_video_moves_on_when_credits_run_out(
    tg: FakeTelegram, unified: FakeUnified, juhe: FakeJuhe, bot: RunningBot
) -> None:
    from tests.fakes.unified import QUOTA_BODY

    unified.fail_next("/v2/videos/generations", 403, body=QUOTA_BODY)
    chat = await send_and_wait_for(bot, tg, "/video 城市夜景", "video")
    assert len(media(tg, chat["id"], "video")) == 1
    assert unified.tasks == {} and len(juhe.sora_requests) == 1


# -- /story --------------------------------------------------------------------------------------


@routes(video="grsai,unified")
async def test_story_runs_on_the_provider_that_knows_storyboards(
    tg: FakeTelegram, grsai: FakeGrsAI, unified: FakeUnified, bot: RunningBot
) -> None:
    unified.script_video(VideoScript(polls=1))
    await send_and_wait_for(bot, tg, "/story 16:9\n7.5秒 清晨的城市街道\n7.5秒 主角推门走进咖啡馆",
                            "video")  # fmt: skip
    [task] = unified.tasks.values()
    assert task.body["prompt"] == (
        "Shot 1:\nduration: 7.5sec\nScene: 清晨的城市街道\n\n"
        "Shot 2:\nduration: 7.5sec\nScene: 主角推门走进咖啡馆"
    )
    assert task.body["duration"] == "15" and task.body["aspect_ratio"] == "16:9"
    assert grsai.submissions("video") == []


@routes(video="grsai")
async def test_story_without_a_storyboard_provider_says_so(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    assert await ask(bot, tg, "/story\n5秒 a\n5秒 b") == texts.STORY_UNAVAILABLE


async def test_story_bad_input_gets_a_chinese_answer(tg: FakeTelegram, bot: RunningBot) -> None:
    answer = await ask(bot, tg, "/story 16:9\n5秒 街道\n主角走进咖啡馆")
    assert answer == texts.STORY_BAD_LINE.format(number=2, line="主角走进咖啡馆")


# -- configuration -------------------------------------------------------------------------------


class _Endpoint:
    """Stands in for the fakes where only settings are built (nothing is contacted)."""

    token = api_key = "1:x"
    base_url = base_file_url = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    "overrides, problem",
    [
        ({"video_providers": ["grsai", "unified"]}, ("missing", "UNIFIED_API_KEY")),
        ({"video_providers": ["unified"], "unified_api_key": SecretStr("k")},
         ("missing", "UNIFIED_BASE_URL")),
        ({"image_providers": ["juhe"]}, ("missing", "JUHE_API_KEY")),
        ({"chat_providers": ["openai"]}, ("unknown", "CHAT_PROVIDERS=openai")),
        ({"chat_providers": ["reshi"]}, ("missing", "RESHI_API_KEY")),
        ({}, None),
    ],
)  # fmt: skip
def test_routing_lists_are_checked_at_startup(tmp_path, overrides: dict, problem) -> None:
    settings = make_settings(_Endpoint(), _Endpoint(), tmp_path, **overrides)  # type: ignore[arg-type]
    assert routing_problem(settings) == problem


def test_comma_separated_lists_are_read_from_the_environment(monkeypatch, tmp_path) -> None:
    from bot.core.config import Settings

    monkeypatch.setenv("VIDEO_PROVIDERS", " Unified, juhe ,grsai")
    assert Settings(_env_file=None).video_providers == ["unified", "juhe", "grsai"]  # type: ignore[call-arg]
