"""The unified aggregator against its fake: v2 and OpenAI-format Sora, remix, characters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.core.providers import errors
from bot.core.providers.base import GenerationRequest
from bot.core.providers.staging import Staging
from bot.core.providers.unified import Unified
from tests.fakes.openai_base import ChatReply, VideoScript
from tests.fakes.unified import QUOTA_BODY, FakeUnified
from tests.media import make_png


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def make(http: httpx.AsyncClient, fake: FakeUnified, tmp_path: Path, fmt: str = "v2") -> Unified:
    return Unified(http, fake.api_key, fake.base_url + "/v1", Staging(tmp_path), fmt)


async def test_chat_with_a_video_part_goes_through_unchanged(
    unified: FakeUnified, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    unified.script_chat(ChatReply(text="视频里是一只猫。"))
    content = [
        {"type": "text", "text": "这个视频讲了什么？"},
        {"type": "image_url", "image_url": {"url": "https://cdn.example/v.mp4"}},
    ]
    chat = make(http, unified, tmp_path).chat
    answer = "".join([p async for p in chat.stream_chat("gemini-2.5-pro", [
        {"role": "user", "content": content}])])  # fmt: skip
    assert answer == "视频里是一只猫。"
    assert unified.requests_to("/v1/chat/completions")[0].json["messages"][0]["content"] == content


async def test_v2_video_reads_status_words_and_percent_progress(
    unified: FakeUnified, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    unified.script_video(VideoScript(polls=3))
    tasks = make(http, unified, tmp_path).tasks
    task_id = await tasks.submit(GenerationRequest("video", "雪山", {
        "aspect_ratio": "16:9", "duration": 15, "size": "small", "private": True}))  # fmt: skip
    raw = task_id.removeprefix("v2:")
    assert unified.tasks[raw].body == {"prompt": "雪山", "model": "sora-2", "aspect_ratio": "16:9",
                                       "hd": False, "duration": "15", "watermark": False,
                                       "private": True}  # fmt: skip
    states = [await tasks.poll(task_id) for _ in range(4)]
    assert [s.status for s in states] == ["running"] * 3 + ["succeeded"]
    assert states[0].progress == 0 and states[1].progress == 50
    assert states[-1].results[0].url == unified.tasks[raw].url
    assert states[-1].results[0].pid == raw


@pytest.mark.parametrize(
    "params, model, hd, duration",
    [
        ({"size": "large"}, "sora-2-pro", True, "10"),
        ({"duration": 25}, "sora-2-pro", False, "25"),
        ({"duration": 25, "size": "large"}, "sora-2-pro", False, "25"),  # 25 s ignores hd
        ({"model": "sora-2-pro"}, "sora-2-pro", False, "10"),
    ],
)
async def test_hd_and_25_seconds_use_sora_2_pro(
    unified: FakeUnified, http: httpx.AsyncClient, tmp_path: Path,
    params: dict, model: str, hd: bool, duration: str,
) -> None:  # fmt: skip
    task_id = await make(http, unified, tmp_path).tasks.submit(
        GenerationRequest("video", "x", params)
    )
    body = unified.tasks[task_id.removeprefix("v2:")].body
    assert (body["model"], body["hd"], body["duration"]) == (model, hd, duration)


async def test_failure_reason_is_kept_and_moderation_recognised(
    unified: FakeUnified, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    reason = "输入的提示词或视频的输出内容违反了OpenAI的相关服务政策，请调整提示词后进行重试"
    unified.script_video(VideoScript(polls=0, outcome="failed", error=reason))
    tasks = make(http, unified, tmp_path).tasks
    state = await tasks.poll(await tasks.submit(GenerationRequest("video", "x", {})))
    assert (state.status, state.failure_reason, state.error) == (
        "failed", "output_moderation", reason)  # fmt: skip


async def test_openai_format_creates_multipart_with_reference_and_polls(
    unified: FakeUnified, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    ref = tmp_path / "ref.png"
    ref.write_bytes(make_png(16, 16, "r"))
    tasks = make(http, unified, tmp_path, "openai").tasks
    task_id = await tasks.submit(GenerationRequest("video", "猫", {
        "aspect_ratio": "16:9", "duration": 15, "size": "large"}, [str(ref)]))  # fmt: skip
    assert task_id.startswith("oa:video_")
    [seen] = unified.requests_to("/v1/videos", "POST")
    assert seen.form is not None
    assert {k: seen.form[k] for k in ("model", "size", "seconds", "watermark")} == {
        "model": "sora-2-pro",
        "size": "1792x1024",
        "seconds": "15",
        "watermark": "false",
    }
    assert seen.form["input_reference"][1] == ref.read_bytes()
    states = [await tasks.poll(task_id) for _ in range(3)]
    assert states[-1].status == "succeeded" and states[-1].results[0].url


async def test_remix_uses_the_official_remix_endpoint(
    unified: FakeUnified, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    tasks = make(http, unified, tmp_path, "openai").tasks
    first = await tasks.submit(GenerationRequest("video", "猫", {}))
    source = first.removeprefix("oa:")
    remix = await tasks.submit(GenerationRequest("video", "猫鞠躬", {"remix_target": source}))
    assert unified.tasks[remix.removeprefix("oa:")].body == {"prompt": "猫鞠躬", "remix_of": source}


async def test_character_from_task_is_answered_at_once_and_staged(
    unified: FakeUnified, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    tasks = make(http, unified, tmp_path).tasks
    video = (await tasks.submit(GenerationRequest("video", "猫", {}))).removeprefix("v2:")
    task_id = await tasks.submit(
        GenerationRequest("character", "", {"pid": video, "timestamps": "1,3"})
    )
    assert unified.characters == [{"timestamps": "1,3", "from_task": video}]
    state = await make(http, unified, tmp_path).tasks.poll(task_id)  # after a "restart"
    assert state.status == "succeeded" and state.results[0].character_id == "fake1.oddwing"


async def test_quota_message_on_403_counts_as_credits_exhausted(
    unified: FakeUnified, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    unified.fail_next("/v2/videos/generations", 403, body=QUOTA_BODY)
    with pytest.raises(errors.CreditsExhausted):
        await make(http, unified, tmp_path).tasks.submit(GenerationRequest("video", "x", {}))


async def test_answer_without_task_id_is_ambiguous_not_retryable(
    unified: FakeUnified, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    unified.fail_next("/v2/videos/generations", 200, body={"code": "ok"})
    with pytest.raises(errors.AmbiguousSubmit):
        await make(http, unified, tmp_path).tasks.submit(GenerationRequest("video", "x", {}))


def test_supports_only_documented_work(tmp_path: Path) -> None:
    tasks = Unified(httpx.AsyncClient(), "k", "http://x", Staging(tmp_path)).tasks
    assert tasks.supports(GenerationRequest("video", "x", {"duration": 25, "storyboard": True}))
    assert not tasks.supports(GenerationRequest("video", "x", {"aspect_ratio": "1:1"}))
    assert tasks.supports(GenerationRequest("image", "x", {}))  # through the chat format
    assert tasks.supports(GenerationRequest("character", "", {"pid": "abc"}))
    assert not tasks.supports(GenerationRequest("character", "", {}, ["/tmp/clip.mp4"]))
