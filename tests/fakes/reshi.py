"""A fake of reshi123 (seed 001; upstream-apis.md §2) on 127.0.0.1.

Base URL ``http://127.0.0.1:<port>/api/v1`` like the real one. Routes: chat (OpenAI format),
``POST /gemini/images`` (synchronous ``{"created", "data": [{"b64_json"}]}``),
``POST /videos/generations`` → ``{"id"}`` and ``GET /videos/generations/{id}`` (``pending`` →
``processing`` → ``completed`` + ``video_url`` | ``failed`` + ``error``), ``GET /models`` and
``POST /api/upload.php`` (JSON ``image_base64``/``filename`` or multipart ``image``; ≤ 10 MB).
Errors: 401 bad key, 402 no credits, 403 key disabled (``fail_next``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import time
import uuid
from typing import Any

from aiohttp import web

from tests.fakes.openai_base import FORM, FakeOpenAIServer, FakeTask, VideoScript, png_for

VIDEO_MODELS = ("sora-2", "sora-2-pro")
RATIOS = ("16:9", "9:16", "1:1")
_DATA_URL_RE = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,(.+)$", re.DOTALL)


class FakeReshi(FakeOpenAIServer):
    prefix = "/api/v1"
    chat_path = "/chat/completions"
    models_path = "/models"

    def __init__(self, api_key: str = "sk-test-reshi-key") -> None:
        self.images: list[dict[str, Any]] = []  # image request bodies
        self.image_seeds: list[str] = []  # one per image answered
        self.uploads: dict[str, bytes] = {}  # url -> bytes
        self.videos: dict[str, FakeTask] = {}
        self.video_scripts: list[VideoScript] = []
        self.image_delay = 0.0
        self.image_count = 1
        super().__init__(api_key, ["gemini-pro", "gpt-4o-mini", "sora-2", "dall-e-3"])

    @property
    def base_url(self) -> str:
        return self.host + self.prefix

    def routes(self, app: web.Application) -> None:
        app.router.add_post(self.prefix + "/gemini/images", self._image)
        app.router.add_post(self.prefix + "/videos/generations", self._video)
        app.router.add_get(self.prefix + "/videos/generations/{id}", self._video_status)
        app.router.add_post("/api/upload.php", self._upload)

    def script_video(self, script: VideoScript) -> None:
        self.video_scripts.append(script)

    def image_bytes(self, index: int) -> bytes:
        """The exact PNG of the `index`-th image answered."""
        return png_for(self.image_seeds[index])

    async def _image(self, request: web.Request) -> web.StreamResponse:
        body = self.body_of(request)
        if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
            return self.bad("prompt 不能为空")
        for url in body.get("images", []):
            if url not in self.uploads:
                return self.bad("图片地址无效")
        self.images.append(body)
        if self.image_delay:
            await asyncio.sleep(self.image_delay)
        data = []
        for _ in range(self.image_count):
            seed = uuid.uuid4().hex
            self.image_seeds.append(seed)
            data.append({"b64_json": base64.b64encode(png_for(seed)).decode()})
        return web.json_response({"created": int(time.time()), "data": data})

    async def _video(self, request: web.Request) -> web.StreamResponse:
        body = self.body_of(request)
        if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
            return self.bad("prompt 不能为空")
        if body.get("model", "sora-2") not in VIDEO_MODELS:
            return self.bad("model 只能是 sora-2 或 sora-2-pro")
        if not isinstance(body.get("duration", 5), int):
            return self.bad("duration 必须是整数")
        if body.get("aspect_ratio", "16:9") not in RATIOS:
            return self.bad("aspect_ratio 只能是 16:9、9:16、1:1")
        script = self.video_scripts.pop(0) if self.video_scripts else VideoScript()
        if script.submit_status != 200:
            return self.bad("提交失败", script.submit_status)
        task = FakeTask(f"vid_{uuid.uuid4().hex[:12]}", body, script)
        self.videos[task.id] = task
        return web.json_response({"id": task.id, "status": "pending"})

    async def _video_status(self, request: web.Request) -> web.StreamResponse:
        task = self.videos.get(request.match_info["id"])
        if task is None:
            return self.bad("任务不存在", 404)
        task.polls += 1
        if not task.finished:
            return web.json_response(
                {"id": task.id, "status": "pending" if task.polls == 1 else "processing"}
            )
        if task.script.outcome == "failed":
            return web.json_response({"id": task.id, "status": "failed",
                                      "error": task.script.error})  # fmt: skip
        if task.url is None:
            task.url = self.add_file("mp4", task.id)
        return web.json_response({"id": task.id, "status": "completed", "video_url": task.url})

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        form = request[FORM]
        if form is not None:
            item = form.get("image")
            if not isinstance(item, tuple):
                return web.json_response({"success": False, "message": "缺少 image 文件"})
            data = item[1]
        else:
            body = self.body_of(request)
            match = _DATA_URL_RE.match(str(body.get("image_base64") or ""))
            if not match or not body.get("filename"):
                return web.json_response({"success": False, "message": "图片格式不支持"})
            try:
                data = base64.b64decode(match.group(2), validate=True)
            except (binascii.Error, ValueError):
                return web.json_response({"success": False, "message": "base64 无法解码"})
        if len(data) > 10 << 20:
            return web.json_response({"success": False, "message": "图片超过 10MB"})
        url = f"{self.host}/uploads/{uuid.uuid4().hex}.png"
        self.uploads[url] = data
        return web.json_response({
            "success": True, "message": "上传成功",
            "data": {"url": url, "filename": body_name(form), "size": len(data),
                     "expire_at": "2099-01-01 00:00:00"},
        })  # fmt: skip


def body_name(form: dict[str, Any] | None) -> str:
    return "upload.png" if form is None else str(form.get("image", ("upload.png",))[0])
