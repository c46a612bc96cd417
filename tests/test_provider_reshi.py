"""reshi123 provider against its fake: chat, synchronous images, Sora videos, upload, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.core.providers import errors
from bot.core.providers.base import GenerationRequest
from bot.core.providers.catalog import ModelCatalog
from bot.core.providers.reshi import Reshi
from bot.core.providers.staging import Staging, local_path
from tests.fakes.openai_base import ChatReply, VideoScript
from tests.fakes.reshi import FakeReshi
from tests.media import make_png


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def make(http: httpx.AsyncClient, fake: FakeReshi, tmp_path: Path, key: str = "") -> Reshi:
    return Reshi(http, key or fake.api_key, fake.base_url, Staging(tmp_path / "staged"))


async def test_chat_streams_through_the_v1_base(
    reshi: FakeReshi, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    reshi.script_chat(ChatReply(text="你好，我是 reshi。"))
    provider = make(http, reshi, tmp_path)
    text = "".join([p async for p in provider.chat.stream_chat("gemini-pro", [
        {"role": "user", "content": "你好"}])])  # fmt: skip
    assert text == "你好，我是 reshi。"
    [seen] = reshi.requests_to("/chat/completions")
    assert seen.json["stream"] is True and seen.headers["Authorization"].endswith(reshi.api_key)


async def test_base_url_without_v1_is_accepted(
    reshi: FakeReshi, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    provider = Reshi(http, reshi.api_key, reshi.host + "/api", Staging(tmp_path))
    catalog = ModelCatalog()
    catalog.add_listed("reshi", provider.api, provider.models_path)
    # Image and video models are left out of the chat menu.
    assert await catalog.models("reshi") == ("gemini-pro", "gpt-4o-mini")


async def test_image_is_staged_once_and_survives_a_restart(
    reshi: FakeReshi, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    provider = make(http, reshi, tmp_path)
    task_id = await provider.tasks.submit(GenerationRequest("image", "一只猫", {"model": "x"}))
    assert reshi.images == [{"prompt": "一只猫"}]
    # A new provider object (the bot restarted) finds the staged answer without asking again.
    state = await make(http, reshi, tmp_path).tasks.poll(task_id)
    assert state.status == "succeeded"
    [item] = state.results
    assert item.url is not None
    path = local_path(item.url)
    assert path is not None and path.read_bytes() == reshi.image_bytes(0)
    assert len(reshi.requests_to("/gemini/images")) == 1


async def test_reference_images_are_uploaded_and_sent_as_urls(
    reshi: FakeReshi, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    ref = tmp_path / "ref.png"
    ref.write_bytes(make_png(32, 32, "ref"))
    provider = make(http, reshi, tmp_path)
    await provider.tasks.submit(GenerationRequest("image", "换成海边", {}, [str(ref)]))
    [upload] = [r for r in reshi.requests if r.path == "/api/upload.php"]
    assert upload.json["image_base64"].startswith("data:image/png;base64,")
    [url] = reshi.images[0]["images"]
    assert reshi.uploads[url] == ref.read_bytes()


async def test_video_maps_large_to_pro_and_polls_to_the_url(
    reshi: FakeReshi, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    reshi.script_video(VideoScript(polls=2))
    provider = make(http, reshi, tmp_path)
    params = {"aspect_ratio": "16:9", "duration": 10, "size": "large", "model": "sora-2"}
    task_id = await provider.tasks.submit(GenerationRequest("video", "海边日落", params))
    body = reshi.videos[task_id].body
    assert body == {"prompt": "海边日落", "model": "sora-2-pro", "duration": 10,
                    "aspect_ratio": "16:9"}  # fmt: skip
    states = [await provider.tasks.poll(task_id) for _ in range(3)]
    assert [s.status for s in states] == ["running", "running", "succeeded"]
    assert states[-1].results[0].url == reshi.videos[task_id].url


async def test_failed_video_is_not_marked_for_automatic_resubmission(
    reshi: FakeReshi, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    reshi.script_video(VideoScript(polls=0, outcome="failed", error="内容违规"))
    provider = make(http, reshi, tmp_path)
    task_id = await provider.tasks.submit(GenerationRequest("video", "x", {}))
    state = await provider.tasks.poll(task_id)
    assert state.status == "failed" and state.failure_reason == "output_moderation"


@pytest.mark.parametrize(
    "status, error",
    [(401, errors.AuthError), (402, errors.CreditsExhausted), (403, errors.KeyForbidden)],
)
async def test_documented_statuses_map_to_their_meaning(
    reshi: FakeReshi, http: httpx.AsyncClient, tmp_path: Path, status: int, error: type
) -> None:
    reshi.fail_next("/videos/generations", status)
    with pytest.raises(error):
        await make(http, reshi, tmp_path).tasks.submit(GenerationRequest("video", "x", {}))


async def test_unknown_video_task_is_task_not_found(
    reshi: FakeReshi, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    with pytest.raises(errors.TaskNotFound):
        await make(http, reshi, tmp_path).tasks.poll("vid_nope")


def test_supports_no_characters_remixes_or_storyboards(tmp_path: Path) -> None:
    tasks = Reshi(httpx.AsyncClient(), "k", "http://x/api/v1", Staging(tmp_path)).tasks
    assert tasks.supports(GenerationRequest("image", "x", {}))
    assert tasks.supports(GenerationRequest("video", "x", {"aspect_ratio": "1:1"}))
    assert not tasks.supports(GenerationRequest("video", "x", {"remix_target": "s_1"}))
    assert not tasks.supports(GenerationRequest("video", "x", {"storyboard": True}))
    assert not tasks.supports(GenerationRequest("character", "", {"pid": "s_1"}))
