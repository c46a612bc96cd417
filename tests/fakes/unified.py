"""A fake of the unified-task aggregator (seed 003; upstream-apis.md §3) on 127.0.0.1.

Routes: chat + ``/v1/models``; ``POST /v2/videos/generations`` → ``{"task_id"}`` (duration a
string "10"/"15"/"25", ``hd`` and 25 s only for sora-2-pro, ``images`` URLs or base64) and
``GET /v2/videos/generations/{id}`` (``NOT_START`` → ``IN_PROGRESS`` with ``"NN%"`` →
``SUCCESS`` + ``data.output`` | ``FAILURE`` + ``fail_reason``); the OpenAI-official
``POST /v1/videos`` (multipart), ``POST /v1/videos/{id}/remix``, ``GET /v1/videos/{id}``; and
``POST /sora/v1/characters`` (``timestamps`` + ``url`` or ``from_task``, answered at once).
Quota exhaustion answers like new-api: 403 ``{"error": {"message": "用户额度不足…"}}``.
Images through the chat format ("Chat(生成图片)/(修改图片)", model ``gpt-4o-image``): see
``ChatImageFake`` in openai_base.py.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from aiohttp import web

from tests.fakes.openai_base import (
    FORM,
    IMAGE_MODEL,
    ChatImageFake,
    FakeOpenAIServer,
    FakeTask,
    VideoScript,
    is_http_url,
)

MODELS = ("sora-2", "sora-2-pro")
RATIOS = ("16:9", "9:16")
OA_SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024")
QUOTA_BODY = {"error": {"message": "用户额度不足, 剩余额度: $0.00", "type": "new_api_error",
                        "code": "insufficient_user_quota"}}  # fmt: skip


class FakeUnified(ChatImageFake, FakeOpenAIServer):
    def __init__(self, api_key: str = "sk-test-unified-key") -> None:
        self.tasks: dict[str, FakeTask] = {}
        self.video_scripts: list[VideoScript] = []
        self.characters: list[dict[str, Any]] = []
        self.init_images()
        super().__init__(api_key, ["gpt-4o", "gemini-2.5-pro", "gemini-2.5-flash", "sora-2",
                                   IMAGE_MODEL])  # fmt: skip

    async def chat_special(
        self, request: web.Request, body: dict[str, Any]
    ) -> web.StreamResponse | None:
        if body["model"] == IMAGE_MODEL:
            return await self.answer_image(request, body)
        return None

    @property
    def base_url(self) -> str:
        return self.host

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v2/videos/generations", self._v2_create)
        app.router.add_get("/v2/videos/generations/{id}", self._v2_get)
        app.router.add_post("/v1/videos", self._oa_create)
        app.router.add_post("/v1/videos/{id}/remix", self._oa_remix)
        app.router.add_get("/v1/videos/{id}", self._oa_get)
        app.router.add_post("/sora/v1/characters", self._character)

    def script_video(self, script: VideoScript) -> None:
        self.video_scripts.append(script)

    def _new_task(self, body: dict[str, Any], family: str) -> FakeTask | web.Response:
        script = self.video_scripts.pop(0) if self.video_scripts else VideoScript()
        if script.submit_status != 200:
            return web.json_response(script.submit_body or {"error": {"message": "失败"}},
                                     status=script.submit_status)  # fmt: skip
        prefix = "video_" if family == "oa" else ""
        task = FakeTask(prefix + str(uuid.uuid4()), body, script, extra={"family": family})
        self.tasks[task.id] = task
        return task

    # -- v2 ---------------------------------------------------------------------------------

    async def _v2_create(self, request: web.Request) -> web.StreamResponse:
        body = self.body_of(request)
        if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
            return self.bad("prompt 不能为空")
        model = body.get("model")
        if model not in MODELS:
            return self.bad("model 只能是 sora-2 或 sora-2-pro")
        if body.get("aspect_ratio", "9:16") not in RATIOS:
            return self.bad("aspect_ratio 只能是 16:9 或 9:16")
        duration = body.get("duration", "10")
        if duration not in ("10", "15", "25"):
            return self.bad('duration 只能是 "10"、"15"、"25"（字符串）')
        if duration == "25" and model != "sora-2-pro":
            return self.bad("仅 sora-2-pro 支持 25s")
        if body.get("hd") and model != "sora-2-pro":
            return self.bad("hd 仅 sora-2-pro 支持")
        for name in ("hd", "watermark", "private"):
            if name in body and not isinstance(body[name], bool):
                return self.bad(f"{name} 必须是布尔值")
        images = body.get("images", [])
        if not isinstance(images, list) or not all(
            isinstance(i, str) and (is_http_url(i) or i.startswith("data:image/")) for i in images
        ):
            return self.bad("images 必须是 url 或 base64 列表")
        task = self._new_task(body, "v2")
        if isinstance(task, web.Response):
            return task
        return web.json_response({"task_id": task.id})

    async def _v2_get(self, request: web.Request) -> web.StreamResponse:
        task = self.tasks.get(request.match_info["id"])
        if task is None or task.extra["family"] != "v2":
            return self.bad("task_not_exist", 404)
        task.polls += 1
        base = {"task_id": task.id, "platform": "openai", "action": "sora-video",
                "submit_time": int(time.time()), "search_item": ""}  # fmt: skip
        if not task.finished:
            if task.polls == 1:
                return web.json_response(
                    base
                    | {"status": "NOT_START", "progress": "0%", "fail_reason": "", "data": None}
                )
            percent = min(99, 100 * task.polls // (task.script.polls + 1))
            return web.json_response(
                base
                | {
                    "status": "IN_PROGRESS",
                    "progress": f"{percent}%",
                    "fail_reason": "",
                    "data": None,
                }
            )
        if task.script.outcome == "failed":
            return web.json_response(
                base
                | {
                    "status": "FAILURE",
                    "progress": "100%",
                    "fail_reason": task.script.error,
                    "data": None,
                }
            )
        if task.url is None:
            task.url = self.add_file("mp4", task.id)
        return web.json_response(
            base
            | {
                "status": "SUCCESS",
                "progress": "100%",
                "fail_reason": "",
                "data": {"output": task.url},
            }
        )

    # -- OpenAI-official ----------------------------------------------------------------------

    async def _oa_create(self, request: web.Request) -> web.StreamResponse:
        form = request[FORM]
        if form is None:
            return self.bad("请使用 multipart/form-data")
        if form.get("model") not in MODELS or not form.get("prompt"):
            return self.bad("model 和 prompt 必填")
        if form.get("size", "720x1280") not in OA_SIZES:
            return self.bad("size 无效")
        if form.get("size") in ("1024x1792", "1792x1024") and form.get("model") != "sora-2-pro":
            return self.bad("1080P 仅 sora-2-pro 支持")
        task = self._new_task({k: v for k, v in form.items() if k != "input_reference"}, "oa")
        if isinstance(task, web.Response):
            return task
        task.extra["reference"] = form.get("input_reference")
        return web.json_response(self._oa_view(task, "queued"))

    async def _oa_remix(self, request: web.Request) -> web.StreamResponse:
        source = self.tasks.get(request.match_info["id"])
        if source is None:
            return self.bad("video not found", 404)
        body = self.body_of(request)
        if not body.get("prompt"):
            return self.bad("prompt 必填")
        task = self._new_task(body | {"remix_of": source.id}, "oa")
        if isinstance(task, web.Response):
            return task
        return web.json_response(
            self._oa_view(task, "queued") | {"remixed_from_video_id": source.id}
        )

    async def _oa_get(self, request: web.Request) -> web.StreamResponse:
        task = self.tasks.get(request.match_info["id"])
        if task is None or task.extra["family"] != "oa":
            return self.bad("video not found", 404)
        task.polls += 1
        if not task.finished:
            return web.json_response(self._oa_view(task, "queued" if task.polls == 1
                                                   else "in_progress"))  # fmt: skip
        if task.script.outcome == "failed":
            return web.json_response(self._oa_view(task, "failed") | {"error": {
                "code": "generation_failed", "message": task.script.error}})  # fmt: skip
        if task.url is None:
            task.url = self.add_file("mp4", task.id)
        return web.json_response(
            self._oa_view(task, "completed") | {"url": task.url, "video_url": task.url}
        )

    @staticmethod
    def _oa_view(task: FakeTask, status: str) -> dict[str, Any]:
        return {"id": task.id, "object": "video", "model": task.body.get("model", "sora-2"),
                "status": status, "progress": 100 if status == "completed" else 0,
                "created_at": int(time.time()), "seconds": task.body.get("seconds", "10"),
                "size": task.body.get("size", "720x1280"), "error": None}  # fmt: skip

    # -- characters ---------------------------------------------------------------------------

    async def _character(self, request: web.Request) -> web.StreamResponse:
        body = self.body_of(request)
        stamps = str(body.get("timestamps") or "")
        try:
            start, end = (float(x) for x in stamps.split(","))
        except ValueError:
            return self.bad("timestamps 格式应为 1,3")
        if not 1 <= end - start <= 3:
            return self.bad("timestamps 范围差值最大 3 秒最小 1 秒")
        if bool(body.get("url")) == bool(body.get("from_task")):
            return self.bad("参数 url、from_task 二选一，必须设置一个")
        if body.get("from_task") and body["from_task"] not in self.tasks:
            return self.bad("from_task 任务不存在")
        if body.get("url") and not is_http_url(body["url"]):
            return self.bad("url 必须是视频链接")
        self.characters.append(body)
        username = f"fake{len(self.characters)}.oddwing"
        return web.json_response({
            "id": f"ch_{uuid.uuid4().hex}", "username": username,
            "permalink": f"https://sora.example/profile/{username}",
            "profile_picture_url": f"{self.host}/files/none.png",
        })  # fmt: skip
