"""The chat-format image tasks of the unified aggregator and 聚合API against their fakes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.core import texts
from bot.core.providers import errors
from bot.core.providers.base import GenerationRequest, TaskState
from bot.core.providers.juhe import Juhe
from bot.core.providers.staging import Staging, local_path
from bot.core.providers.unified import Unified
from tests.fakes.juhe import FakeJuhe, SoraReply
from tests.fakes.openai_base import ImageReply
from tests.fakes.unified import FakeUnified

IMAGE = GenerationRequest("image", "一只猫", {"aspect_ratio": "auto", "image_size": "1K"})


def make_unified(http: httpx.AsyncClient, fake: FakeUnified, root: Path) -> Unified:
    return Unified(http, fake.api_key, fake.base_url, Staging(root / "staged"))


async def finish(tasks: Any, task_id: str) -> TaskState:
    for _ in range(200):
        state = await tasks.poll(task_id)
        if state.status != "running":
            return state
        await asyncio.sleep(0.02)
    raise AssertionError("still running")


async def test_a_data_url_picture_is_staged_inside_the_staging_folder_and_survives_a_restart(
    unified: FakeUnified, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    unified.script_image(ImageReply(mode="data"))
    first = make_unified(http, unified, tmp_path)
    task_id = await first.tasks.submit(IMAGE)
    state = await finish(first.tasks, task_id)
    [item] = state.results
    path = local_path(item.url or "")
    assert path is not None and path.parent == (tmp_path / "staged").resolve()
    assert path.read_bytes() == unified.image_data(unified.image_urls[0])
    again = await make_unified(http, unified, tmp_path).tasks.poll(task_id)  # a new process
    assert again == state and len(unified.image_requests) == 1


@pytest.mark.parametrize(
    "status, error",
    [(402, errors.CreditsExhausted), (401, errors.AuthError), (429, errors.RateLimited)],
)
async def test_refusals_before_the_answer_surface_at_submit(
    unified: FakeUnified, http: httpx.AsyncClient, tmp_path: Path, status: int, error: type
) -> None:
    unified.script_image(ImageReply(status=status))
    with pytest.raises(error):
        await make_unified(http, unified, tmp_path).tasks.submit(IMAGE)


async def test_juhe_images_and_videos_stream_side_by_side(
    juhe: FakeJuhe, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    provider = Juhe(http, juhe.api_key, juhe.base_url, Staging(tmp_path))
    juhe.script_sora(SoraReply(delay=0.05))
    video_id = await provider.tasks.submit(GenerationRequest("video", "海边", {}))
    image_id = await provider.tasks.submit(IMAGE)
    video, image = await finish(provider.tasks, video_id), await finish(provider.tasks, image_id)
    assert video.results[0].url == juhe.video_urls[0]
    assert image.results[0].url == juhe.image_urls[0]
    assert len(juhe.sora_requests) == 1 and len(juhe.image_requests) == 1


async def test_a_stream_left_open_at_shutdown_is_explained_after_the_restart(
    juhe: FakeJuhe, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    juhe.script_image(ImageReply(mode="slow", delay=0.5))
    first = Juhe(http, juhe.api_key, juhe.base_url, Staging(tmp_path))
    task_id = await first.tasks.submit(IMAGE)
    await first.tasks.close()
    state = await Juhe(http, juhe.api_key, juhe.base_url, Staging(tmp_path)).tasks.poll(task_id)
    assert state.status == "failed" and state.error == texts.CHAT_IMAGE_STREAM_LOST
    assert state.failure_reason != "error"  # the runner resubmits only "error"
    assert len(juhe.image_requests) == 1
