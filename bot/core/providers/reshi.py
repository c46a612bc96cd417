"""reshi123 (upstream-apis.md §2, seed 001): OpenAI chat, Gemini images, Sora videos.

Quirks kept here:
- the documented base URL already ends in `/v1` (`https://www.reshi123.com/api/v1`), so paths
  are `/chat/completions` etc.; the image upload lives beside it at `/api/upload.php`;
- `/gemini/images` answers synchronously with base64 images: submit() makes the (paid) call and
  stages the bytes on disk, poll() reads them back (see staging.py) — never a second call;
- videos: `POST /videos/generations` → `{"id"}`, `GET /videos/generations/{id}` → `status`
  `completed` (+ `video_url`) | `failed` (+ `error`) | anything else = still running;
- reference images must be URLs: they are uploaded to `/api/upload.php` (kept 3 days) first;
- 401 bad key, 402 no credits, 403 key disabled (plain HTTP statuses).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import httpx

from bot.core.providers import errors
from bot.core.providers.base import GenerationRequest, ResultItem, TaskState
from bot.core.providers.common import (
    get_task_status,
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

NAME = "reshi"
IMAGE_PATH = "/gemini/images"
VIDEO_PATH = "/videos/generations"
MODELS_PATH = "/models"
UPLOAD_PATH = "/upload.php"
UPLOAD_MAX_BYTES = 10 << 20
# /gemini/images answers with base64 images (a 4K PNG is ~30 MB as base64): a larger cap.
IMAGE_ANSWER_MAX_BYTES = 160 << 20
VIDEO_RATIOS = ("16:9", "9:16", "1:1")
_DONE = "completed"
_FAILED = "failed"


def v1_base(base_url: str) -> str:
    """The doc's base URL ends in /v1; accept it with or without that suffix."""
    base = base_url.rstrip("/")
    return base if base.endswith("/v1") else base + "/v1"


class Reshi:
    name = NAME
    capabilities = frozenset({"chat", "image", "video"})

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_key: str,
        base_url: str,
        staging: Staging,
        sync_timeout: float = 300.0,
    ) -> None:
        base = v1_base(base_url)
        self.api = JsonApi(http, api_key, FailoverHosts([base]))
        upload_api = JsonApi(http, api_key, FailoverHosts([base.removesuffix("/v1")]))
        self.chat = OpenAIChat(NAME, self.api, path="/chat/completions")
        self.tasks = ReshiTasks(self.api, upload_api, staging, sync_timeout, api_key)
        self.models_path = MODELS_PATH


class ReshiTasks:
    """GenerationProvider for reshi images (synchronous, staged) and Sora videos (polled)."""

    name = NAME

    def __init__(
        self,
        api: JsonApi,
        upload_api: JsonApi,
        staging: Staging,
        sync_timeout: float,
        api_key: str = "",
    ) -> None:
        self._api = api
        self._upload_api = upload_api
        self._staging = staging
        self._sync_timeout = sync_timeout
        self._key = api_key

    def supports(self, request: GenerationRequest) -> bool:
        p = request.params
        if request.kind == "image":
            return True  # ratio/size/model are not in the API: documented as ignored
        if request.kind == "video":
            return (
                not p.get("remix_target")
                and not p.get("storyboard")
                and str(p.get("aspect_ratio") or "9:16") in VIDEO_RATIOS
            )
        return False  # no character API

    def option_problem(self, request: GenerationRequest) -> str | None:
        """Takes every value: image ratio/size/model are not in its API (documented as
        ignored); video options are settled by `supports`."""
        return None

    async def submit(self, request: GenerationRequest) -> str:
        if request.kind == "image":
            return await self._draw(request)
        if request.kind == "video":
            body = await refined(self._api.post(VIDEO_PATH, await self._video_body(request)))
            return task_id_from(body, "id", "task_id")
        raise errors.BadRequest(f"reshi cannot do {request.kind}")

    async def poll(self, task_id: str) -> TaskState:
        if Staging.owns(task_id):
            return await self._staging.state_of(task_id)
        return self._video_state(await get_task_status(self._api, f"{VIDEO_PATH}/{task_id}"))

    # -- images (synchronous) -----------------------------------------------------------------

    async def _draw(self, request: GenerationRequest) -> str:
        payload: dict[str, Any] = {"prompt": request.prompt}
        if request.references:
            # Not in the doc's request table; sent as URLs the way its upload API is meant for.
            payload["images"] = [await self._upload(ref, n) for n, ref in
                                 enumerate(request.references, 1)]  # fmt: skip
        body = await refined(self._api.post(IMAGE_PATH, payload, read_timeout=self._sync_timeout,
                                            max_bytes=IMAGE_ANSWER_MAX_BYTES))  # fmt: skip
        task_id = Staging.new_id(NAME)
        items: list[ResultItem] = []
        for index, entry in enumerate(_data_list(body)):
            if entry.get("b64_json"):
                try:
                    data = base64.b64decode(str(entry["b64_json"]), validate=False)
                except (binascii.Error, ValueError):
                    raise errors.ServerError("undecodable image") from None
                items.append(ResultItem(url=await self._staging.save_bytes(task_id, index, data)))
            elif entry.get("url"):
                items.append(ResultItem(url=str(entry["url"])))
        if not items:
            raise errors.TaskFailed(scrub(str(_message(body)) or "no image in answer", self._key))
        await self._staging.save_state(
            task_id, TaskState(status="succeeded", progress=100, results=tuple(items))
        )
        return task_id

    async def _upload(self, ref: str, number: int) -> str:
        data = await read_reference(ref)
        if len(data) > UPLOAD_MAX_BYTES:
            raise errors.BadRequest("reference image over 10 MB")
        mime = image_mime(data)
        payload = {
            "image_base64": f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}",
            "filename": f"ref{number}.{mime.split('/')[-1]}",
        }
        # A reference upload costs nothing: it may be repeated.
        body = await refined(self._upload_api.post(UPLOAD_PATH, payload, idempotent=True))
        url = (body.get("data") or {}).get("url") if isinstance(body, dict) else None
        if not isinstance(body, dict) or body.get("success") is False or not url:
            raise errors.BadRequest(scrub(str(_message(body)) or "upload refused", self._key))
        return str(url)

    # -- videos -------------------------------------------------------------------------------

    async def _video_body(self, request: GenerationRequest) -> dict[str, Any]:
        p = request.params
        try:
            duration = int(p.get("duration") or 10)
        except (TypeError, ValueError):
            raise errors.BadRequest("bad_duration") from None
        # The doc: sora-2 = 标准, sora-2-pro = 高清 (10× the credits), so "large" means pro.
        pro = p.get("model") == "sora-2-pro" or p.get("size") == "large"
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "model": "sora-2-pro" if pro else "sora-2",
            "duration": duration,
            "aspect_ratio": str(p.get("aspect_ratio") or "9:16"),
        }
        if request.references:
            body["images"] = [await self._upload(request.references[0], 1)]
        return body

    def _video_state(self, body: dict[str, Any]) -> TaskState:
        word = str(body.get("status") or "").strip().lower()
        if word == _DONE:
            url = body.get("video_url") or body.get("url")
            if not url:
                return TaskState(status="failed", failure_reason="no_result", error="no video_url")
            pid = body.get("id") or body.get("task_id")
            return TaskState(
                status="succeeded",
                progress=100,
                results=(ResultItem(url=str(url), pid=str(pid) if pid else None),),
            )
        if word == _FAILED:
            return TaskState(
                status="failed",
                failure_reason=moderation_or(_text(body.get("error")), "upstream_failed"),
                error=scrub(_text(body.get("error")), self._key),
            )
        return TaskState(status="running", progress=percent(body.get("progress")))


def _data_list(body: Any) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


def _message(body: Any) -> Any:
    if not isinstance(body, dict):
        return ""
    err = body.get("error")
    if isinstance(err, dict):
        return err.get("message", "")
    return err or body.get("message") or ""


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("message") or value.get("code") or "")
    return "" if value is None else str(value)
