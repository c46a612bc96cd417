"""Shared plumbing of the aggregator fakes (reshi123, unified, 聚合API): an aiohttp server on
127.0.0.1 with request recording, Bearer auth, injected failures, going down, result files and
an OpenAI-format chat endpoint (SSE stream or one JSON answer).

Each provider's own fake adds its documented routes; what the documents leave open is decided
here once: errors use the OpenAI shape ``{"error": {"message", "type", "code"}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default
from typing import Any

from aiohttp import web

from tests.fakes.grsai import _Headers, _mp4_stream, _png_bytes

JSON = web.RequestKey("json", object)  # the parsed JSON body, set by the middleware
FORM = web.RequestKey("form", object)  # the multipart fields (str, or (filename, bytes))
_STATUS_MSG = {400: "请求参数错误", 401: "未认证或API密钥无效", 402: "积分不足",
               403: "API密钥被禁用", 404: "资源不存在", 429: "请求过于频繁",
               500: "服务器内部错误", 502: "上游服务异常", 503: "服务暂时不可用"}  # fmt: skip


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    json: Any
    form: dict[str, Any] | None
    at: float


@dataclass
class ChatReply:
    """What the next chat request gets: the text in pieces, or an error status."""

    text: str = "你好！"
    pieces: list[str] | None = None
    delay: float = 0.0
    status: int = 200
    error_message: str | None = None
    drop_after: int | None = None  # cut the connection after this many pieces
    # Stall after this many pieces: the stream stays open, sending only SSE keep-alive
    # comments every `keepalive` seconds (nothing at all when 0) until the client gives up.
    stall_after: int | None = None
    keepalive: float = 0.0


def openai_error(status: int, message: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message or _STATUS_MSG.get(status, "请求失败"),
                      "type": "upstream_error", "code": status}}  # fmt: skip


class FakeOpenAIServer:
    """Base class: subclasses register routes in `routes()` and set `chat_path`."""

    chat_path = "/v1/chat/completions"
    models_path = "/v1/models"
    prefix = ""  # path prefix of the API (reshi: /api/v1)

    def __init__(self, api_key: str, models: list[str]) -> None:
        self.api_key = api_key
        self.models = list(models)
        self.port = 0
        self.requests: list[Seen] = []
        self.chat_replies: deque[ChatReply] = deque()
        self._failures: dict[str, deque[tuple[int, dict[str, Any] | None]]] = {}
        self._files: dict[str, tuple[str, Any]] = {}  # name -> ("png"|"mp4", seed)
        self._down = False
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._server: asyncio.AbstractServer | None = None
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024**2)
        app.router.add_post(self.prefix + self.chat_path, self._chat)
        app.router.add_get(self.prefix + self.models_path, self._models)
        app.router.add_get("/files/{name}", self._file)
        self.routes(app)
        self._app = app

    def routes(self, app: web.Application) -> None:
        """Subclasses add their documented endpoints."""

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeOpenAIServer:
        self._runner = web.AppRunner(self._app, handle_signals=False, access_log=None,
                                     handler_cancellation=True, shutdown_timeout=0.5)  # fmt: skip
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        assert self._runner.server is not None
        self._server = await asyncio.get_running_loop().create_server(
            self._runner.server, sock=sock
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.close()
        self._abort_connections()
        if self._runner is not None:
            await self._runner.cleanup()

    def go_down(self) -> None:
        """Unreachable: refuse new connections and cut open ones."""
        self._down = True
        if self._server is not None:
            self._server.close()
            self._server = None
        self._abort_connections()

    def _abort_connections(self) -> None:
        server = self._runner.server if self._runner else None
        for handler in server.connections if server else []:
            transport = handler.transport
            if transport is not None:
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                transport.abort()

    # -- scripting / inspection ---------------------------------------------------------------

    def fail_next(self, path: str, status: int, times: int = 1, body: dict | None = None) -> None:
        """The next `times` requests to `path` (without the API prefix) answer `status`."""
        queue = self._failures.setdefault(self.prefix + path, deque())
        for _ in range(times):
            queue.append((status, body))

    def script_chat(self, reply: ChatReply) -> None:
        self.chat_replies.append(reply)

    def requests_to(self, path: str, method: str | None = None) -> list[Seen]:
        full = self.prefix + path
        return [r for r in self.requests if r.path == full and method in (None, r.method)]

    def add_file(self, kind: str, seed: str) -> str:
        """Register a result file; returns its URL on this server."""
        name = f"{uuid.uuid4().hex}.{'mp4' if kind == 'mp4' else 'png'}"
        self._files[name] = (kind, seed)
        return f"{self.host}/files/{name}"

    def file_bytes(self, url: str) -> bytes:
        kind, seed = self._files[url.rsplit("/", 1)[-1]]
        if kind == "mp4":
            return b"".join(_mp4_stream(seed, 120_000))
        return png_for(seed)

    # -- plumbing -----------------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        raw = await request.read()
        parsed: Any = None
        form: dict[str, Any] | None = None
        if request.content_type == "application/json" and raw:
            with contextlib.suppress(ValueError):
                parsed = json.loads(raw)
        elif request.content_type.startswith("multipart/"):
            form = _parse_multipart(request.headers["Content-Type"], raw)
        self.requests.append(Seen(request.method, request.path,
                                  _Headers(request.headers.items()), parsed, form,
                                  time.monotonic()))  # fmt: skip
        if self._down:
            if request.transport is not None:
                request.transport.abort()
            await self._closing.wait()
            raise asyncio.CancelledError
        queue = self._failures.get(request.path)
        if queue:
            status, body = queue.popleft()
            return web.json_response(body or openai_error(status), status=status)
        if request.path.startswith("/files/"):
            return await handler(request)
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response(openai_error(401), status=401)
        request[JSON] = parsed
        request[FORM] = form
        return await handler(request)

    async def _models(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"object": "list",
             "data": [{"id": m, "object": "model", "owned_by": "fake"} for m in self.models]}
        )  # fmt: skip

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self._files:
            return web.Response(status=404, text="not found")
        kind = self._files[name][0]
        return web.Response(
            body=self.file_bytes(name), content_type="video/mp4" if kind == "mp4" else "image/png"
        )

    def body_of(self, request: web.Request) -> dict[str, Any]:
        body = request[JSON]
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text=json.dumps(openai_error(400, "请求体必须是 JSON 对象")),
                                     content_type="application/json")  # fmt: skip
        return body

    @staticmethod
    def bad(message: str, status: int = 400) -> web.Response:
        return web.json_response(openai_error(status, message), status=status)

    # -- OpenAI chat --------------------------------------------------------------------------

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = self.body_of(request)
        model = body.get("model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return self.bad("messages 不能为空")
        if model not in self.models:
            return self.bad(f"模型 {model} 不存在", 400)
        special = await self.chat_special(request, body)
        if special is not None:
            return special
        reply = self.chat_replies.popleft() if self.chat_replies else ChatReply()
        if reply.status != 200:
            return web.json_response(openai_error(reply.status, reply.error_message),
                                     status=reply.status)  # fmt: skip
        pieces = reply.pieces if reply.pieces is not None else _split(reply.text, 8)
        if reply.stall_after is not None:
            return await self.stream_stalling(request, body, pieces[: reply.stall_after],
                                              reply.keepalive)  # fmt: skip
        return await self.stream_pieces(request, body, pieces, reply.delay, reply.drop_after)

    async def stream_stalling(
        self, request: web.Request, body: dict[str, Any], pieces: list[str], keepalive: float
    ) -> web.StreamResponse:
        """Send `pieces`, then nothing but keep-alive comments until the client hangs up."""
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8"})
        await resp.prepare(request)
        for piece in pieces:
            chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                     "model": body["model"],
                     "choices": [{"index": 0, "delta": {"content": piece},
                                  "finish_reason": None}]}  # fmt: skip
            await resp.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while not self._closing.is_set():  # bounded: the test's server closes
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), keepalive or 1.0)
                if keepalive:
                    await resp.write(b": keep-alive\n\n")
        return resp

    async def chat_special(
        self, request: web.Request, body: dict[str, Any]
    ) -> web.StreamResponse | None:
        """Subclasses answer special models (e.g. 聚合API's Sora) here."""
        return None

    async def stream_pieces(
        self,
        request: web.Request,
        body: dict[str, Any],
        pieces: list[str],
        delay: float = 0.0,
        drop_after: int | None = None,
    ) -> web.StreamResponse:
        model = body["model"]
        if not body.get("stream"):
            return web.json_response({
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": "".join(pieces)}}],
            })  # fmt: skip
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8"})
        await resp.prepare(request)
        for i, piece in enumerate(pieces):
            if drop_after is not None and i >= drop_after:
                if request.transport is not None:
                    request.transport.abort()
                return resp
            if i and delay:
                await asyncio.sleep(delay)
            chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model,
                     "choices": [{"index": 0, "delta": {"content": piece},
                                  "finish_reason": None}]}  # fmt: skip
            await resp.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
        end = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model,
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}  # fmt: skip
        await resp.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
        await resp.write_eof()
        return resp


def _parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """Fields of a multipart body: text as str, files as (filename, bytes)."""
    message = BytesParser(policy=default).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    form: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        form[str(name)] = (filename, payload) if filename else payload.decode()
    return form


_PNG_CACHE: dict[str, bytes] = {}


def png_for(seed: str) -> bytes:
    if seed not in _PNG_CACHE:
        _PNG_CACHE[seed] = _png_bytes(64, 48, seed)
    return _PNG_CACHE[seed]


def _split(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


@dataclass
class VideoScript:
    """What the next video task does: how many polls it runs, and how it ends."""

    polls: int = 2
    outcome: str = "succeeded"  # or "failed"
    error: str = "生成失败"
    submit_status: int = 200
    submit_body: dict[str, Any] | None = None


@dataclass
class FakeTask:
    id: str
    body: dict[str, Any]
    script: VideoScript
    polls: int = 0
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.polls > self.script.polls


def is_http_url(value: Any) -> bool:
    return isinstance(value, str) and bool(re.match(r"^https?://\S+$", value))


# -- chat-format image models (gpt-4o-image on the unified aggregator and 聚合API) ---------------

IMAGE_MODEL = "gpt-4o-image"


@dataclass
class ImageReply:
    """How the next chat-format image answer goes.

    mode: "markdown" ``![image](url)`` + a download link to the same picture (as the real model
    writes it), "link" ``[点击查看图片](url)``, "bare" a URL in the text, "data" a
    ``data:image/png;base64,`` Markdown image, "several" ``count`` Markdown images, "refusal"
    a policy refusal in English without a picture, "text" a question back without a picture,
    "dead" a Markdown image whose URL answers 404, "one_dead" ``count`` Markdown images of
    which the first answers 404, "drop" the connection cut after the progress
    lines (never finished), "slow" like markdown but ``delay`` seconds between pieces.
    """

    mode: str = "markdown"
    count: int = 2
    width: int = 64
    height: int = 48
    delay: float = 0.0
    status: int = 200  # an HTTP error instead of an answer


class ChatImageFake:
    """Mixed into a FakeOpenAIServer: answers IMAGE_MODEL chat requests with a picture in the
    text (progress lines first, like the real model) and serves the pictures under /files/."""

    image_replies: list[ImageReply]
    image_requests: list[dict[str, Any]]
    image_urls: list[str]
    _image_bytes: dict[str, bytes]

    def init_images(self) -> None:
        self.image_replies = []
        self.image_requests = []
        self.image_urls = []
        self._image_bytes = {}

    def script_image(self, reply: ImageReply) -> None:
        self.image_replies.append(reply)

    def image_data(self, url: str) -> bytes:
        """The bytes a picture URL (or data: URL) of an answer stands for."""
        if url.startswith("data:"):
            import base64

            return base64.b64decode(url.partition(",")[2])
        return self._image_bytes[url.rsplit("/", 1)[-1]]

    def file_bytes(self, url: str) -> bytes:  # type: ignore[override]
        name = url.rsplit("/", 1)[-1]
        if name in self._image_bytes:
            return self._image_bytes[name]
        return FakeOpenAIServer.file_bytes(self, url)  # type: ignore[arg-type]

    def _new_picture(self, reply: ImageReply) -> str:
        server: Any = self
        name = f"{uuid.uuid4().hex}.png"
        seed = f"img-{len(self.image_urls)}"
        self._image_bytes[name] = _png_of(reply.width, reply.height, seed)
        server._files[name] = ("png", seed)
        url = f"{server.host}/files/{name}"
        self.image_urls.append(url)
        return url

    @staticmethod
    def check_image_request(body: dict[str, Any]) -> str | None:
        """What the documents require of a chat image request; a Chinese complaint or None."""
        content = body["messages"][-1].get("content")
        if isinstance(content, str):
            return None if content.strip() else "content 不能为空"
        if not isinstance(content, list) or not content:
            return "content 必须是字符串或内容数组"
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text" and isinstance(part.get("text"), str):
                continue
            url = (part.get("image_url") or {}).get("url") if kind == "image_url" else None
            if isinstance(url, str) and (is_http_url(url) or url.startswith("data:image/")):
                continue
            return "image_url 必须是链接或 data:image base64"
        return None

    async def answer_image(
        self, request: web.Request, body: dict[str, Any]
    ) -> web.StreamResponse:
        server: Any = self
        self.image_requests.append(body)
        problem = self.check_image_request(body)
        if problem:
            return server.bad(problem)
        reply = self.image_replies.pop(0) if self.image_replies else ImageReply()
        if reply.status != 200:
            return web.json_response(openai_error(reply.status), status=reply.status)
        progress = ['```json\n{"prompt": "…", "ratio": "1:1"}\n```\n\n', "> 🕐 排队中.\n\n",
                    "> ⚡ 生成中...\n\n", "> 🏃 进度 11....", "27....", "46....", "88....",
                    "[100](https://chatgpt.example/s/abc)\n\n> ✅ 生成完成\n\n"]  # fmt: skip
        mode = reply.mode
        if mode in ("markdown", "slow"):
            url = self._new_picture(reply)
            download = url.replace("/files/", "/files/download-")
            end = [f"![gen_01]({url})\n\n", f"[下载⏬]({download})"]
        elif mode == "link":
            end = [f"图片已生成：[点击查看图片]({self._new_picture(reply)})"]
        elif mode == "bare":
            end = [f"图片地址：{self._new_picture(reply)} ，请在两小时内保存。"]
        elif mode == "data":
            import base64

            data = base64.b64encode(_png_of(reply.width, reply.height, "data-url")).decode()
            url = f"data:image/png;base64,{data}"
            self.image_urls.append(url)
            end = ["![image](", *_split(url, 4096), ")"]
        elif mode == "several":
            end = [f"![图{i + 1}]({self._new_picture(reply)})\n" for i in range(reply.count)]
        elif mode == "one_dead":
            dead = f"{server.host}/files/{uuid.uuid4().hex}.png"  # never registered: 404
            end = [f"![图1]({dead})\n"]
            end += [f"![图{i + 2}]({self._new_picture(reply)})\n" for i in range(reply.count - 1)]
        elif mode == "refusal":
            progress = progress[:3]
            end = ["I'm sorry, but I can't create that image because it violates our content "
                   "policy. Please modify your prompt."]  # fmt: skip
        elif mode == "text":
            progress = []
            end = ["请问您想要什么风格的画面？可以再具体描述一下吗？"]
        elif mode == "dead":
            url = f"{server.host}/files/{uuid.uuid4().hex}.png"  # never registered: 404
            self.image_urls.append(url)
            end = [f"![gen_01]({url})"]
        elif mode == "drop":
            return await server.stream_pieces(request, body, progress, reply.delay,
                                              drop_after=len(progress) - 2)  # fmt: skip
        else:
            raise ValueError(mode)
        return await server.stream_pieces(request, body, [*progress, *end], reply.delay)


def _png_of(width: int, height: int, seed: str) -> bytes:
    from tests.fakes.grsai import _png_bytes

    return _png_bytes(width, height, seed)
