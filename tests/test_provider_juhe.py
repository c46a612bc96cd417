"""聚合API: chat-format Sora — model names, link parsing, progress, failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.core import texts
from bot.core.providers import errors
from bot.core.providers.base import GenerationRequest, TaskState
from bot.core.providers.juhe import Juhe, JuheTasks, find_video_link, last_percent, video_model
from bot.core.providers.staging import Staging
from tests.fakes.juhe import FakeJuhe, SoraReply


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def make(http: httpx.AsyncClient, fake: FakeJuhe, tmp_path: Path) -> Juhe:
    return Juhe(http, fake.api_key, fake.base_url, Staging(tmp_path))


async def finish(tasks: JuheTasks, task_id: str) -> TaskState:
    for _ in range(200):
        state = await tasks.poll(task_id)
        if state.status != "running":
            return state
        await asyncio.sleep(0.01)
    raise AssertionError("still running")


@pytest.mark.parametrize(
    "params, model",
    [
        ({}, "sora_video2-portrait"),
        ({"aspect_ratio": "16:9"}, "sora_video2-landscape"),
        ({"aspect_ratio": "9:16", "size": "large"}, "sora_video2-portrait-hd"),
        ({"aspect_ratio": "16:9", "size": "large", "duration": 15}, "sora_video2-landscape-hd-15s"),
        ({"duration": 15}, "sora_video2-portrait-15s"),
    ],
)
def test_options_become_chat_format_model_names(params: dict, model: str) -> None:
    assert video_model(params) == model


@pytest.mark.parametrize(
    "text, link",
    [
        ("✅ 视频生成成功，[点击这里](https://cdn.x/a.mp4) 查看视频", "https://cdn.x/a.mp4"),
        (
            "[预览](https://cdn.x/p.jpg)\n[下载视频](https://cdn.x/v.mp4?sig=1)",
            "https://cdn.x/v.mp4?sig=1",
        ),
        ("完成：[点击这里](https://cdn.x/watch/123)", "https://cdn.x/watch/123"),
        ("视频地址：https://cdn.x/b.mp4。", "https://cdn.x/b.mp4"),
        ("✅ 视频生成成功，请在控制台查看。", None),
        ("参考 https://example.com/docs 了解更多", None),
    ],
)
def test_video_link_is_found_in_markdown_answers(text: str, link: str | None) -> None:
    assert find_video_link(text) == link


def test_progress_is_the_last_percentage_in_the_text() -> None:
    assert last_percent("进度：12%\n进度：47.5%\n") == 47
    assert last_percent("排队中") is None


async def test_video_is_found_in_the_stream_and_downloadable(
    juhe: FakeJuhe, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    tasks = make(http, juhe, tmp_path).tasks
    task_id = await tasks.submit(GenerationRequest("video", "海边", {"aspect_ratio": "16:9"}))
    state = await finish(tasks, task_id)
    assert state.status == "succeeded" and state.results[0].url == juhe.video_urls[0]
    [sent] = juhe.sora_requests
    assert sent["model"] == "sora_video2-landscape" and sent["stream"] is True
    assert sent["messages"] == [{"role": "user", "content": "海边"}]


async def test_answer_without_link_fails_with_a_chinese_reason(
    juhe: FakeJuhe, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    juhe.script_sora(SoraReply(mode="no_link"))
    tasks = make(http, juhe, tmp_path).tasks
    state = await finish(tasks, await tasks.submit(GenerationRequest("video", "x", {})))
    assert state.status == "failed" and state.failure_reason == "no_link"
    assert state.error.startswith(texts.JUHE_NO_LINK.split("{")[0])
    assert "请在控制台查看" in state.error


async def test_refusal_text_is_shown_as_the_reason(
    juhe: FakeJuhe, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    juhe.script_sora(SoraReply(mode="refusal"))
    tasks = make(http, juhe, tmp_path).tasks
    state = await finish(tasks, await tasks.submit(GenerationRequest("video", "x", {})))
    assert state.status == "failed" and "违反了使用政策" in state.error


async def test_dropped_stream_without_link_fails_instead_of_hanging(
    juhe: FakeJuhe, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    juhe.script_sora(SoraReply(mode="drop"))
    tasks = make(http, juhe, tmp_path).tasks
    state = await finish(tasks, await tasks.submit(GenerationRequest("video", "x", {})))
    assert state.status == "failed"


async def test_restart_while_streaming_fails_without_resubmitting(
    juhe: FakeJuhe, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    juhe.script_sora(SoraReply(delay=0.5))
    first = make(http, juhe, tmp_path)
    task_id = await first.tasks.submit(GenerationRequest("video", "x", {}))
    state = await make(http, juhe, tmp_path).tasks.poll(task_id)  # a new process
    assert state.status == "failed" and state.error == texts.JUHE_STREAM_LOST
    assert len(juhe.sora_requests) == 1
    await first.tasks.close()


async def test_http_errors_surface_at_submit(
    juhe: FakeJuhe, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    juhe.fail_next("/v1/chat/completions", 503)
    with pytest.raises(errors.ServerError):
        await make(http, juhe, tmp_path).tasks.submit(GenerationRequest("video", "x", {}))
