"""The unified-task aggregator (upstream-apis.md §3, seed 003; a new-api style gateway).

Quirks kept here:
- the base URL is the host (`https://{Base_URL}`); a trailing `/v1` is tolerated;
- Sora via `/v2/videos/generations` (default) — duration is a *string*, `hd` and 25 s only for
  sora-2-pro, status words `NOT_START/IN_PROGRESS/SUCCESS/FAILURE`, progress like `"100%"`,
  the video at `data.output`;
- or, with UNIFIED_VIDEO_FORMAT=openai, the OpenAI-official `/v1/videos` family (multipart
  create, `status` queued/in_progress/completed/failed, `video_url`/`url`);
- remixes always use `/v1/videos/{id}/remix` (the v2 API has none);
- characters: `POST /sora/v1/characters` answers the character at once (staged like a task);
  prompts name it `@{username}`;
- images through the chat format ("Chat(生成图片)/(修改图片)", model gpt-4o-image): see
  chat_images.py.
Task ids are stored with a family prefix (`v2:`, `oa:`) so a poll after a restart — or after
the format setting changed — asks the endpoint that created the task.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx

from bot.core.providers import errors
from bot.core.providers.base import GenerationRequest, ResultItem, TaskState
from bot.core.providers.chat_images import DEFAULT_MODEL, ChatImageTasks
from bot.core.providers.common import (
    get_task_status,
    image_data_url,
    image_mime,
    moderation_or,
    percent,
    read_reference,
    refined,
    scrub,
    task_id_from,
)
from bot.core.providers.http import FailoverHosts, JsonApi
from bot.core.providers.openai_chat import OpenAIChat
from bot.core.providers.staging import Staging

NAME = "unified"
V2_PATH = "/v2/videos/generations"
OA_PATH = "/v1/videos"
CHARACTER_PATH = "/sora/v1/characters"
MODELS_PATH = "/v1/models"
RATIOS = ("16:9", "9:16")
DURATIONS = (10, 15, 25)
# OpenAI-official sizes: 720p for both models, 1080p ("large") only for sora-2-pro.
OA_SIZES = {
    ("9:16", False): "720x1280",
    ("16:9", False): "1280x720",
    ("9:16", True): "1024x1792",
    ("16:9", True): "1792x1024",
}
_V2_RUNNING = {"NOT_START", "IN_PROGRESS", "QUEUED", "SUBMITTED", ""}


def host_base(base_url: str) -> str:
    return base_url.rstrip("/").removesuffix("/v1")


class Unified:
    name = NAME
    capabilities = frozenset({"chat", "image", "video", "character"})

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_key: str,
        base_url: str,
        staging: Staging,
        video_format: str = "v2",
        *,
        image_model: str = DEFAULT_MODEL,
        stream_timeout: float = 300.0,
    ) -> None:
        self.api = JsonApi(http, api_key, FailoverHosts([host_base(base_url)]))
        self.chat = OpenAIChat(NAME, self.api)
        fmt: Literal["v2", "openai"] = "openai" if video_format.lower() == "openai" else "v2"
        # An image answer can pause for a minute between progress lines.
        image_chat = OpenAIChat(NAME, self.api, read_timeout=stream_timeout, idempotent=False)
        images = ChatImageTasks(NAME, image_chat, staging, image_model)
        self.tasks = UnifiedTasks(self.api, staging, fmt, api_key, images)
        self.models_path = MODELS_PATH


class UnifiedTasks:
    name = NAME

    def __init__(
        self,
        api: JsonApi,
        staging: Staging,
        video_format: Literal["v2", "openai"] = "v2",
        api_key: str = "",
        images: ChatImageTasks | None = None,
    ) -> None:
        self._api = api
        self._staging = staging
        self._format = video_format
        self._key = api_key
        self._images = images

    async def close(self) -> None:
        if self._images is not None:
            await self._images.close()

    def supports(self, request: GenerationRequest) -> bool:
        p = request.params
        if request.kind == "video":
            try:
                duration = int(p.get("duration") or 10)
            except (TypeError, ValueError):
                return False
            return str(p.get("aspect_ratio") or "9:16") in RATIOS and duration in DURATIONS
        if request.kind == "character":
            # Only from an earlier task here: an uploaded clip would need a public URL.
            return bool(p.get("pid"))
        return request.kind == "image" and self._images is not None

    def option_problem(self, request: GenerationRequest) -> str | None:
        """Takes every value: image options go into the prompt (prompt_with_options);
        video options are settled by `supports`."""
        return None

    async def submit(self, request: GenerationRequest) -> str:
        if request.kind == "video":
            if request.params.get("remix_target"):
                return await self._remix(request)
            if self._format == "openai":
                return await self._create_openai(request)
            return await self._create_v2(request)
        if request.kind == "character":
            return await self._character(request)
        if request.kind == "image" and self._images is not None:
            return await self._images.submit(request)
        raise errors.BadRequest(f"unified cannot do {request.kind}")

    async def poll(self, task_id: str) -> TaskState:
        if self._images is not None and self._images.owns(task_id):
            return await self._images.poll(task_id)
        if Staging.owns(task_id):
            return await self._staging.state_of(task_id)
        family, _, raw = task_id.partition(":")
        path = f"{OA_PATH}/{raw}" if family == "oa" else f"{V2_PATH}/{raw}"
        body = await get_task_status(self._api, path)
        return self._oa_state(body) if family == "oa" else self._v2_state(body)

    # -- creating -----------------------------------------------------------------------------

    async def _create_v2(self, request: GenerationRequest) -> str:
        p = request.params
        pro, hd, duration = _model_options(p)
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "model": "sora-2-pro" if pro else "sora-2",
            "aspect_ratio": str(p.get("aspect_ratio") or "9:16"),
            "hd": hd,
            "duration": str(duration),
            "watermark": bool(p.get("watermark", False)),
            "private": bool(p.get("private", False)),
        }
        if request.references:
            body["images"] = [await image_data_url(ref) for ref in request.references]
        answer = await refined(self._api.post(V2_PATH, body))
        return "v2:" + task_id_from(answer, "task_id", "id")

    async def _create_openai(self, request: GenerationRequest) -> str:
        p = request.params
        pro, hd, duration = _model_options(p)
        ratio = str(p.get("aspect_ratio") or "9:16")
        fields = {
            "model": "sora-2-pro" if pro else "sora-2",
            "prompt": request.prompt,
            "size": OA_SIZES[(ratio, hd)],
            "seconds": str(duration),
            "watermark": "true" if p.get("watermark") else "false",
        }
        # Every field as a multipart part (filename None), so the body is multipart even
        # without a reference file, as the endpoint requires.
        parts: dict[str, Any] = {name: (None, value) for name, value in fields.items()}
        if request.references:
            data = await read_reference(request.references[0])
            mime = image_mime(data)
            parts["input_reference"] = (f"reference.{mime.split('/')[-1]}", data, mime)
        answer = await refined(self._api.request("POST", OA_PATH, files=parts))
        return "oa:" + task_id_from(answer, "id", "task_id")

    async def _remix(self, request: GenerationRequest) -> str:
        target = str(request.params["remix_target"]).partition(":")[2] or str(
            request.params["remix_target"]
        )
        answer = await refined(
            self._api.post(f"{OA_PATH}/{target}/remix", {"prompt": request.prompt})
        )
        return "oa:" + task_id_from(answer, "id", "task_id")

    async def _character(self, request: GenerationRequest) -> str:
        p = request.params
        body = {"timestamps": str(p.get("timestamps") or "1,3"), "from_task": str(p["pid"])}
        answer = await refined(self._api.post(CHARACTER_PATH, body))
        username = answer.get("username") if isinstance(answer, dict) else None
        if not username:
            raise errors.AmbiguousSubmit("character answer without a username")
        task_id = Staging.new_id(NAME)
        item = ResultItem(
            character_id=str(username),
            content=str(answer.get("permalink") or ""),
            url=None,
        )
        await self._staging.save_state(
            task_id, TaskState(status="succeeded", progress=100, results=(item,))
        )
        return task_id

    # -- reading ------------------------------------------------------------------------------

    def _v2_state(self, body: dict[str, Any]) -> TaskState:
        word = str(body.get("status") or "").strip().upper()
        if word == "SUCCESS":
            data = body.get("data") if isinstance(body.get("data"), dict) else {}
            url = data.get("output") or data.get("url") or data.get("video_url")
            if not url:
                return TaskState(status="failed", failure_reason="no_result", error="no output")
            pid = str(body.get("task_id") or "") or None
            return TaskState(status="succeeded", progress=100,
                             results=(ResultItem(url=str(url), pid=pid),))  # fmt: skip
        if word in ("FAILURE", "FAILED"):
            reason = scrub(str(body.get("fail_reason") or ""), self._key)
            return TaskState(status="failed", error=reason,
                             failure_reason=moderation_or(reason, "upstream_failed"))  # fmt: skip
        return TaskState(status="running", progress=percent(body.get("progress")))

    def _oa_state(self, body: dict[str, Any]) -> TaskState:
        word = str(body.get("status") or "").strip().lower()
        if word == "completed":
            url = body.get("video_url") or body.get("url")
            if not url:
                return TaskState(status="failed", failure_reason="no_result", error="no video_url")
            return TaskState(status="succeeded", progress=100,
                             results=(ResultItem(url=str(url), pid=str(body.get("id") or "")
                                                 or None),))  # fmt: skip
        if word == "failed":
            err = body.get("error")
            message = str(err.get("message") or err.get("code") or "") if isinstance(
                err, dict) else str(err or "")  # fmt: skip
            message = scrub(message, self._key)
            return TaskState(status="failed", error=message,
                             failure_reason=moderation_or(message, "upstream_failed"))  # fmt: skip
        return TaskState(status="running", progress=percent(body.get("progress")))


def _model_options(p: dict[str, Any]) -> tuple[bool, bool, int]:
    """(pro, hd, duration) from the bot's vocabulary: "large" and 25 s exist only on pro, and
    25 s ignores hd (the doc says so)."""
    try:
        duration = int(p.get("duration") or 10)
    except (TypeError, ValueError):
        raise errors.BadRequest("bad_duration") from None
    if duration not in DURATIONS:
        raise errors.BadRequest("bad_duration")
    large = p.get("size") == "large"
    pro = p.get("model") == "sora-2-pro" or large or duration == 25
    return pro, large and duration != 25, duration
