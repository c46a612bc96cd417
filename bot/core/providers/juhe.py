"""聚合API (upstream-apis.md §4, seed 004): OpenAI-compatible chat, and Sora through the chat
format — the model name picks orientation/quality/length, progress arrives as streamed text and
the video link is written into the answer as Markdown.

There is no task id to poll, so submit() opens the stream and waits for its first piece (any
failure before that is an ordinary submit failure and may move to another provider), then a
background reader follows the stream and stages the outcome (staging.py). A restart while the
stream is open loses it; the job then fails with an explanation instead of resubmitting (the
first request may still be paid).

Images go the same way through the chat format ("gpt-4-all(生成图片)", model gpt-4o-image by
default): see chat_images.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from bot.core import texts
from bot.core.providers import errors
from bot.core.providers.base import GenerationRequest, ResultItem, TaskState
from bot.core.providers.chat_images import DEFAULT_MODEL, ChatImageTasks
from bot.core.providers.chat_stream_tasks import StreamedChatTasks
from bot.core.providers.common import image_data_url, percent
from bot.core.providers.http import FailoverHosts, JsonApi
from bot.core.providers.openai_chat import OpenAIChat
from bot.core.providers.staging import Staging

log = logging.getLogger(__name__)

NAME = "juhe"
MODELS_PATH = "/v1/models"
RATIOS = {"9:16": "portrait", "16:9": "landscape"}
DURATIONS = (10, 15)

_MD_LINK_RE = re.compile(r"\[[^\]]*\]\((https?://[^\s)]+)\)")
_URL_RE = re.compile(r"https?://[^\s)\]>\"'<]+")
_VIDEO_EXT_RE = re.compile(r"\.(mp4|mov|webm|m4v)(\?|#|$)", re.IGNORECASE)
_PERCENT_RE = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")


def video_model(params: dict[str, Any]) -> str:
    """Bot options → the chat-format model name, e.g. `sora_video2-landscape-hd-15s`."""
    name = "sora_video2-" + RATIOS.get(str(params.get("aspect_ratio") or "9:16"), "portrait")
    if params.get("size") == "large":
        name += "-hd"
    if int(params.get("duration") or 10) == 15:
        name += "-15s"
    return name


def find_video_link(text: str) -> str | None:
    """The video URL in a streamed answer: the last Markdown link that looks like a video, else
    the last Markdown link, else the last bare URL that ends like a video file."""
    links = _MD_LINK_RE.findall(text)
    videos = [u for u in links if _VIDEO_EXT_RE.search(u)]
    if videos:
        return videos[-1]
    if links:
        return links[-1]
    bare = [u.rstrip(".,;，。") for u in _URL_RE.findall(text)]
    bare = [u for u in bare if _VIDEO_EXT_RE.search(u)]
    return bare[-1] if bare else None


def last_percent(text: str) -> int | None:
    found = _PERCENT_RE.findall(text)
    return percent(found[-1]) if found else None


class Juhe:
    name = NAME
    capabilities = frozenset({"chat", "image", "video"})

    def __init__(
        self, http: httpx.AsyncClient, api_key: str, base_url: str, staging: Staging,
        stream_timeout: float = 300.0, *, image_model: str = DEFAULT_MODEL,
    ) -> None:  # fmt: skip
        self.api = JsonApi(http, api_key, FailoverHosts([base_url.rstrip("/").removesuffix("/v1")]))
        self.chat = OpenAIChat(NAME, self.api)
        # Video and image answers can pause for minutes between progress lines. They are paid
        # work: never repeated on another host after an ambiguous failure.
        slow_chat = OpenAIChat(NAME, self.api, read_timeout=stream_timeout, idempotent=False)
        images = ChatImageTasks(NAME, slow_chat, staging, image_model)
        self.tasks = JuheTasks(slow_chat, staging, images)
        self.models_path = MODELS_PATH


class JuheTasks(StreamedChatTasks):
    name = NAME

    def __init__(
        self, chat: OpenAIChat, staging: Staging, images: ChatImageTasks | None = None
    ) -> None:
        super().__init__(staging, texts.JUHE_STREAM_LOST)
        self._chat = chat
        self._images = images

    def supports(self, request: GenerationRequest) -> bool:
        p = request.params
        if request.kind == "image":
            return self._images is not None
        if request.kind != "video" or p.get("remix_target") or p.get("storyboard"):
            return False
        try:
            duration = int(p.get("duration") or 10)
        except (TypeError, ValueError):
            return False
        return (
            str(p.get("aspect_ratio") or "9:16") in RATIOS
            and duration in DURATIONS
            and p.get("model", "sora-2") != "sora-2-pro"
        )

    def option_problem(self, request: GenerationRequest) -> str | None:
        """Takes every value: image options go into the prompt (prompt_with_options);
        video options are settled by `supports`."""
        return None

    async def submit(self, request: GenerationRequest) -> str:
        if request.kind == "image" and self._images is not None:
            return await self._images.submit(request)
        if request.kind != "video":
            raise errors.BadRequest(f"juhe cannot do {request.kind}")
        content: Any = request.prompt
        if request.references:
            content = [{"type": "text", "text": request.prompt}] + [
                {"type": "image_url", "image_url": {"url": await image_data_url(ref)}}
                for ref in request.references
            ]
        messages = [{"role": "user", "content": content}]
        pieces = self._chat.stream_chat(video_model(request.params), messages)
        return await self._start(NAME, pieces, last_percent)

    async def poll(self, task_id: str) -> TaskState:
        if self._images is not None and self._images.owns(task_id):
            return await self._images.poll(task_id)
        return await super().poll(task_id)

    async def close(self) -> None:
        if self._images is not None:
            await self._images.close()
        await super().close()

    async def _follow(self, task_id: str, text: str, pieces: AsyncIterator[str]) -> None:
        final: TaskState | None = None
        try:
            async for piece in pieces:
                text += piece
                progress = last_percent(text)
                self._live[task_id] = TaskState(status="running", progress=progress)
        except asyncio.CancelledError:
            raise
        except (errors.ProviderError, httpx.HTTPError) as exc:
            # The link may already be in what arrived; otherwise it is a failure below.
            log.info(texts.LOG_JUHE_VIDEO_STREAM_ENDED_EARLY, task_id, type(exc).__name__)
        except Exception:
            log.exception(texts.LOG_JUHE_VIDEO_STREAM_CRASHED, task_id)
        finally:
            with contextlib.suppress(Exception):
                await pieces.aclose()  # type: ignore[attr-defined]
        url = find_video_link(text)
        if url:
            final = TaskState(status="succeeded", progress=100,
                              results=(ResultItem(url=url, content=text[-500:]),))  # fmt: skip
        else:
            tail = " ".join(text.split())[-120:]
            final = TaskState(
                status="failed",
                failure_reason="no_link",
                error=texts.JUHE_NO_LINK.format(answer=tail or texts.JUHE_EMPTY_ANSWER),
            )
        await self._staging.save_state(task_id, final)
        self._live.pop(task_id, None)
