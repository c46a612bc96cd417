"""GrsAI generation tasks: Nano Banana images, Sora 2 videos and Sora characters.

Every task is submitted with `webHook: "-1"` (the id comes back at once) and then polled on
`/v1/draw/result` — or, when the runner passes `params["callback_url"]` (webhook mode), with that
URL as `webHook` and `shutProgress`, so GrsAI POSTs the finished task there (polling stays the
safety net). Answers come in the envelope `{"code", "msg", "data"}`; a non-zero code
with HTTP 200 is mapped onto our error hierarchy here. No Telegram types here.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from bot.core.media.download import IMAGE_MIMES, sniff_mime
from bot.core.providers import errors
from bot.core.providers.base import GenerationRequest, ResultItem, TaskState
from bot.core.providers.common import percent
from bot.core.providers.http import JsonApi

DRAW_PATH = "/v1/draw/nano-banana"
VIDEO_PATH = "/v1/video/sora-video"
UPLOAD_CHARACTER_PATH = "/v1/video/sora-upload-character"
CREATE_CHARACTER_PATH = "/v1/video/sora-create-character"
RESULT_PATH = "/v1/draw/result"

# Order matters: menus show them in this order, the default first.
IMAGE_MODELS: tuple[str, ...] = (
    "nano-banana-pro",
    "nano-banana-pro-vt",
    "nano-banana-pro-cl",
    "nano-banana-pro-vip",
    "nano-banana-pro-4k-vip",
    "nano-banana-fast",
    "nano-banana",
)
ASPECT_RATIOS: tuple[str, ...] = (
    "auto",
    "1:1",
    "16:9",
    "9:16",
    "4:3",
    "3:4",
    "3:2",
    "2:3",
    "5:4",
    "4:5",
    "21:9",
)
IMAGE_SIZES: tuple[str, ...] = ("1K", "2K", "4K")
# The doc restricts these two models' sizes; every other model takes all of IMAGE_SIZES.
_MODEL_SIZES = {"nano-banana-pro-vip": ("1K", "2K"), "nano-banana-pro-4k-vip": ("4K",)}

VIDEO_MODEL = "sora-2"
VIDEO_ASPECT_RATIOS: tuple[str, ...] = ("9:16", "16:9")
VIDEO_DURATIONS: tuple[int, ...] = (10, 15)
VIDEO_SIZES: tuple[str, ...] = ("small", "large")

TASK_NOT_FOUND_CODE = -22

# Keyword classes for a non-zero envelope code; credits first, since "insufficient balance
# for this key" is about money, not the key.
_CREDITS_RE = re.compile(r"积分|余额|credit|balance|insufficient|quota", re.IGNORECASE)
_FORBIDDEN_RE = re.compile(r"禁用|disabled|forbidden", re.IGNORECASE)
# Letter boundaries so "max tokens" or "keyword" do not read as an auth problem.
_AUTH_RE = re.compile(
    r"密钥|令牌|(?<![a-z])(?:api[ _-]?)?key(?![a-z])|(?<![a-z])token(?![a-z])|auth|unauthor",
    re.IGNORECASE,
)

_SUCCEEDED = frozenset({"succeeded", "success", "succeed", "completed", "complete", "done"})
_FAILED = frozenset({"failed", "failure", "fail", "error", "cancelled", "canceled"})


def check_image_options(model: str, image_size: str, aspect_ratio: str) -> str | None:
    """None if GrsAI accepts this image model/size/ratio combination, else a machine reason:
    "bad_model", "bad_size", "bad_ratio", "vip_sizes" (vip: 1K/2K only) or "4k_vip_size"
    (4k-vip: 4K only)."""
    if model not in IMAGE_MODELS:
        return "bad_model"
    if image_size not in IMAGE_SIZES:
        return "bad_size"
    if aspect_ratio not in ASPECT_RATIOS:
        return "bad_ratio"
    if image_size not in _MODEL_SIZES.get(model, IMAGE_SIZES):
        return "vip_sizes" if model == "nano-banana-pro-vip" else "4k_vip_size"
    return None


def _image_options(params: dict[str, Any]) -> tuple[str, str, str]:
    """(model, image_size, aspect_ratio) of an image request, defaults filled in."""
    return (str(params.get("model") or IMAGE_MODELS[0]), str(params.get("image_size") or "1K"),
            str(params.get("aspect_ratio") or "auto"))  # fmt: skip


def _delivery(params: dict[str, Any]) -> dict[str, Any]:
    """webHook/shutProgress: poll by id ("-1"), or only the final state POSTed to our URL."""
    url = params.get("callback_url")
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return {"webHook": url, "shutProgress": True}
    return {"webHook": "-1", "shutProgress": False}


def _read_path(path: str) -> bytes:
    return Path(path).read_bytes()


class GrsAITasks:
    """GenerationProvider for GrsAI's draw/video/character task APIs (submit, then poll)."""

    name = "grsai"
    accepts_callback = True  # the runner may pass params["callback_url"] (see _delivery)

    def __init__(self, api: JsonApi, read_file: Callable[[str], bytes] | None = None) -> None:
        self._api = api
        self._read_file = read_file or _read_path
        # Kept only to scrub it from upstream messages before they become error details.
        self._key = api.headers.get("Authorization", "").removeprefix("Bearer ").strip()

    def supports(self, request: GenerationRequest) -> bool:
        """Whether GrsAI can run `request` (routing asks before choosing a provider)."""
        p = request.params
        if request.kind != "video":
            return request.kind in ("image", "character")
        try:
            duration = int(p.get("duration") or 10)
        except (TypeError, ValueError):
            return False
        return (
            not p.get("storyboard")  # no storyboard format in GrsAI's doc
            and str(p.get("model") or VIDEO_MODEL) == VIDEO_MODEL
            and duration in VIDEO_DURATIONS
            and str(p.get("aspect_ratio") or "9:16") in VIDEO_ASPECT_RATIOS
        )

    def option_problem(self, request: GenerationRequest) -> str | None:
        """Images: the model/size/ratio combinations GrsAI's doc allows (check_image_options);
        video options are settled by `supports` (routing moves them elsewhere)."""
        if request.kind != "image":
            return None
        return check_image_options(*_image_options(request.params))

    async def submit(self, request: GenerationRequest) -> str:
        """Start the task described by `request` and return GrsAI's task id.

        Raises BadRequest for options GrsAI would refuse (checked locally first) or an
        unreadable/unsupported reference file, and the envelope mapping of `_check_envelope`.
        """
        path, payload = await self._build(request)
        envelope = await self._api.post(path, payload)  # paid: never repeated (http.py)
        if not isinstance(envelope, dict):
            raise errors.AmbiguousSubmit("submit answer is not a JSON object")
        data = self._check_envelope(envelope)
        task_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(task_id, str | int) or isinstance(task_id, bool) or task_id == "":
            # The task may exist upstream: never retried elsewhere (see AmbiguousSubmit).
            raise errors.AmbiguousSubmit("submit answer without a task id")
        return str(task_id)

    async def poll(self, task_id: str) -> TaskState:
        """The task's state from `/v1/draw/result`; code -22 raises TaskNotFound."""
        envelope = await self._api.post(RESULT_PATH, {"id": task_id}, idempotent=True)
        data = self._check_envelope(envelope)
        if not isinstance(data, dict):
            raise errors.ServerError("result answer without data")
        return parse_task_state(data)

    # -- request bodies ---------------------------------------------------------------------

    async def _build(self, request: GenerationRequest) -> tuple[str, dict[str, Any]]:
        p = request.params
        delivery = _delivery(p)
        if request.kind == "image":
            model, image_size, aspect_ratio = _image_options(p)
            reason = check_image_options(model, image_size, aspect_ratio)
            if reason:
                raise errors.BadRequest(reason)
            urls = [await self._data_url(ref, "image") for ref in request.references]
            return DRAW_PATH, {
                "model": model,
                "prompt": request.prompt,
                "aspectRatio": aspect_ratio,
                "imageSize": image_size,
                "urls": urls,
                **delivery,
            }
        if request.kind == "video":
            try:
                duration = int(p.get("duration") or 10)
            except (TypeError, ValueError):
                raise errors.BadRequest("bad_duration") from None
            body: dict[str, Any] = {
                "model": VIDEO_MODEL,
                "prompt": request.prompt,
                "aspectRatio": str(p.get("aspect_ratio") or "9:16"),
                "duration": duration,
                "size": str(p.get("size") or "small"),
                **delivery,
            }
            if request.references:
                body["url"] = await self._data_url(request.references[0], "image")
            if p.get("remix_target"):
                body["remixTargetId"] = str(p["remix_target"])
            return VIDEO_PATH, body
        if request.kind == "character":
            timestamps = str(p.get("timestamps") or "0,3")
            common = {"timestamps": timestamps, **delivery}
            if p.get("pid"):
                return CREATE_CHARACTER_PATH, {"pid": str(p["pid"]), **common}
            if not request.references:
                raise errors.BadRequest("character needs a pid or a reference video")
            url = await self._data_url(request.references[0], "video")
            return UPLOAD_CHARACTER_PATH, {"url": url, **common}
        raise errors.BadRequest(f"unknown task kind {request.kind!r}")

    async def _data_url(self, ref: str, kind: Literal["image", "video"]) -> str:
        # Reading and base64-encoding a multi-MB clip would stall the loop, so both run in a
        # worker thread.
        return await asyncio.to_thread(self._encode, ref, kind)

    def _encode(self, ref: str, kind: Literal["image", "video"]) -> str:
        try:
            data = self._read_file(ref)
        except OSError:
            raise errors.BadRequest("reference file unreadable") from None
        mime = sniff_mime(data[:64])
        if kind == "image":
            if mime not in IMAGE_MIMES:
                raise errors.BadRequest("unsupported reference image")
        elif mime is None or not mime.startswith("video/"):
            mime = "video/mp4"  # what the upstream expects; let it judge odd containers
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"

    # -- answers ----------------------------------------------------------------------------

    def _check_envelope(self, envelope: Any) -> Any:
        """`data` of a successful envelope; a non-zero code raises the matching error."""
        if not isinstance(envelope, dict):
            raise errors.ServerError("answer is not a JSON object")
        code = envelope.get("code", 0)
        if code in (0, "0", None):
            return envelope.get("data")
        msg = self._scrub(str(envelope.get("msg") or ""))
        raise error_for_code(code, msg)

    def _scrub(self, text: str) -> str:
        if self._key:
            text = text.replace(self._key, "***")
        return text[:200]


def error_for_code(code: Any, msg: str) -> errors.ProviderError:
    """Map a non-zero GrsAI envelope code and its message onto our error hierarchy."""
    if code in (TASK_NOT_FOUND_CODE, str(TASK_NOT_FOUND_CODE)):
        return errors.TaskNotFound(msg or "task not found")
    if _CREDITS_RE.search(msg) or code in (402, "402"):
        return errors.CreditsExhausted(msg)
    if _FORBIDDEN_RE.search(msg) or code in (403, "403"):
        return errors.KeyForbidden(msg)
    if _AUTH_RE.search(msg) or code in (401, "401"):
        return errors.AuthError(msg)
    return errors.BadRequest(msg or f"upstream code {code}")


def parse_task_state(data: dict[str, Any]) -> TaskState:
    """A TaskState from a GrsAI progress/result object, tolerant of the variants seen in the
    wild: progress as 50, 50.0, "50" or "50%"; status in any case; results a list, one
    object or null. Unknown status words count as running."""
    word = str(data.get("status") or "").strip().lower()
    status: Literal["running", "succeeded", "failed"] = "running"
    if word in _SUCCEEDED:
        status = "succeeded"
    elif word in _FAILED:
        status = "failed"
    raw = data.get("results")
    items = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    results = tuple(_result_item(item) for item in items if isinstance(item, dict))
    return TaskState(
        status=status,
        progress=percent(data.get("progress")),
        results=results,
        failure_reason=_text(data.get("failure_reason")),
        error=_text(data.get("error")),
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _optional(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _result_item(item: dict[str, Any]) -> ResultItem:
    return ResultItem(
        url=_optional(item.get("url")),
        pid=_optional(item.get("pid")),
        character_id=_optional(item.get("character_id")),
        content=_text(item.get("content")),
    )
