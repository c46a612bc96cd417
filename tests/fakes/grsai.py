"""A strict in-process fake of the GrsAI aggregator API (chat, Nano Banana, Sora 2, characters).

Contract: docs/upstream/upstream-apis.md §1 and the original Chinese doc
(docs/upstream/seed-000-grsai.txt).
Where the real API is undocumented the fake picks one behaviour and sticks to it:

* chat errors use the OpenAI error shape ``{"error": {"message", "type", "param", "code"}}``;
* task endpoints (draw, video, characters, result) answer HTTP errors (auth, ``submit_status``,
  ``fail_next``) with the GrsAI envelope ``{"code": <http status>, "msg": <中文>, "data": null}``;
  parameter violations are HTTP 200 with ``{"code": -1, "msg": "参数错误：…", "data": null}``;
* a task submitted without ``webHook`` answers an SSE stream (``data: {json}\\n\\n`` per
  progress object) and closes it; ``webHook`` set to a URL makes the fake POST the progress
  objects there; ``"-1"`` answers the task id at once (poll ``/v1/draw/result``);
* ``fault_next(path, mode)`` answers the way a sick gateway does, after recording the request:
  ``"html_502"`` (an HTML Bad Gateway page), ``"html_200"`` (a 2xx that is not JSON),
  ``"hang"`` (never answers: the client's read timeout fires) or ``"reset"`` (the connection
  is cut after the request arrived);
* ``go_down()`` stops listening (new connections are refused → ``httpx.ConnectError``) and
  aborts open connections, like a host that became unreachable.

Nothing large sits in memory: video results are generated on the fly from a deterministic
pattern (see ``expected_bytes`` / ``result_sha256``), PNGs are compressed row by row.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import json
import re
import socket
import struct
import time
import uuid
import zlib
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

CHAT_MODELS = frozenset(
    {"gemini-3-pro", "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"}
)
IMAGE_MODELS = frozenset(
    {
        "nano-banana-pro",
        "nano-banana-pro-vt",
        "nano-banana-pro-cl",
        "nano-banana-pro-vip",
        "nano-banana-pro-4k-vip",
        "nano-banana-fast",
        "nano-banana",
    }
)
ASPECT_RATIOS = frozenset(
    {"auto", "1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "5:4", "4:5", "21:9"}
)
IMAGE_SIZES = frozenset({"1K", "2K", "4K"})
# Model-specific size limits from the doc: vip only 1K/2K, 4k-vip only 4K.
MODEL_SIZES = {"nano-banana-pro-vip": {"1K", "2K"}, "nano-banana-pro-4k-vip": {"4K"}}

CHAT_PATH = "/v1/chat/completions"
DRAW_PATH = "/v1/draw/nano-banana"
VIDEO_PATH = "/v1/video/sora-video"
UPLOAD_CHAR_PATH = "/v1/video/sora-upload-character"
CREATE_CHAR_PATH = "/v1/video/sora-create-character"
RESULT_PATH = "/v1/draw/result"

_FILE_CHUNK = 64 * 1024
_EXPIRED_XML = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
_DATA_IMAGE_RE = re.compile(r"^data:image/(png|jpeg|webp|gif);base64,(.*)$", re.DOTALL)
_DATA_ANY_RE = re.compile(r"^data:[\w.+-]+/[\w.+-]+;base64,(.*)$", re.DOTALL)
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")

# Chinese messages per HTTP status; the bot translates upstream errors, so keep them distinct.
_STATUS_MSG = {
    400: "请求参数错误",
    401: "无效的令牌",
    402: "积分不足",
    403: "令牌已被禁用",
    404: "资源不存在",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误",
    502: "上游服务异常",
    503: "服务暂时不可用",
}
_OPENAI_TYPE_CODE = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    402: ("insufficient_quota", "insufficient_quota"),
    403: ("invalid_request_error", "token_disabled"),
    404: ("invalid_request_error", "not_found"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
}


@dataclass(frozen=True)
class Recorded:
    """One request as the fake saw it (before any failure injection)."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    at: float


class _Headers(dict[str, str]):
    """Header dict with case-insensitive lookup, so tests need not guess the client's casing."""

    def __init__(self, items: Any) -> None:
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass
class ChatScript:
    """What the next chat request gets."""

    text: str = ""
    chunk_size: int = 20
    delay: float = 0.0
    first_delay: float = 0.0
    drop_after: int | None = None
    status: int = 200
    error_body: dict[str, Any] | None = None
    hang: bool = False
    chunks: list[str] | None = None


@dataclass
class TaskScript:
    """What the next submitted task of ``kind`` does."""

    kind: str = "image"
    progress: list[int] = field(default_factory=lambda: [10, 50, 100])
    outcome: str = "succeeded"
    failure_reason: str = ""
    error: str = ""
    result_bytes: bytes | None = None
    width: int = 1024
    height: int = 1024
    result_size: int = 200_000
    url_ttl: float = 7200.0
    submit_status: int = 200
    submit_code: int = 0
    submit_msg: str = "success"
    pid: str | None = None
    character_id: str | None = None
    # Extra (not in the brief): pause between progress objects of a streamed/webhook task.
    step_delay: float = 0.0
    # Extra: the result URL handed out instead of the fake's own /files/... (hostile providers).
    result_url: str | None = None


@dataclass
class _Task:
    id: str
    kind: str
    script: TaskScript
    body: dict[str, Any]
    step: int = -1  # index into script.progress of the last state handed out
    done_at: float | None = None
    failure_reason: str = ""
    error: str = ""
    file_name: str | None = None
    pid: str | None = None
    character_id: str | None = None
    polls: int = 0

    @property
    def steps(self) -> list[int]:
        return self.script.progress or [100]

    @property
    def terminal(self) -> bool:
        return self.step >= len(self.steps) - 1

    @property
    def failed(self) -> bool:
        return self.script.outcome == "failed" or bool(self.failure_reason)


class _Invalid(Exception):
    """A request that breaks the contract; the message explains what was wrong."""


def _png_bytes(width: int, height: int, seed: str) -> bytes:
    """A valid RGB PNG made with zlib+struct; compressed row by row to stay small in memory."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    colour = hashlib.sha256(seed.encode()).digest()[:3]
    comp = zlib.compressobj(6)
    parts: list[bytes] = []
    for y in range(height):
        shade = bytes(((c + y) & 0xFF) for c in colour)
        parts.append(comp.compress(b"\x00" + shade * width))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


def _mp4_stream(task_id: str, size: int) -> Iterator[bytes]:
    """Deterministic fake MP4 of ``size`` bytes: an ftyp box, an mdat header, patterned payload."""
    head = struct.pack(">I", 32) + b"ftypisom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41"
    mdat_len = size - len(head)
    head += struct.pack(">I", mdat_len if 8 <= mdat_len < 2**32 else 0) + b"mdat"
    head = head[:size]
    yield head
    remaining = size - len(head)
    base = hashlib.shake_256(task_id.encode()).digest(_FILE_CHUNK)
    i = 0
    while remaining > 0:
        # Block index in front so blocks differ; cheap enough for a 200 MB result.
        block = (struct.pack(">Q", i) + base[8:])[:remaining]
        yield block
        remaining -= len(block)
        i += 1


def _is_http_url(value: str) -> bool:
    return bool(re.match(r"^https?://[^\s/]+", value))


def _b64decode(payload: str) -> bytes:
    try:
        data = base64.b64decode(payload.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Invalid("base64 无法解码") from exc
    if not data:
        raise _Invalid("base64 内容为空")
    return data


def _looks_like_image(data: bytes) -> bool:
    return data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _check_image_ref(value: Any, what: str) -> None:
    """http(s) URL, data URL or bare base64 that decodes to a real image."""
    if not isinstance(value, str) or not value:
        raise _Invalid(f"{what} 必须是非空字符串")
    if _is_http_url(value):
        return
    m = _DATA_ANY_RE.match(value)
    data = _b64decode(m.group(1) if m else value)
    if not _looks_like_image(data):
        raise _Invalid(f"{what} 不是有效的图片")


def _check_media_ref(value: Any, what: str) -> None:
    """http(s) URL or base64 (data URL or bare) of any media, e.g. a character clip."""
    if not isinstance(value, str) or not value:
        raise _Invalid(f"{what} 必须是非空字符串")
    if _is_http_url(value):
        return
    m = _DATA_ANY_RE.match(value)
    _b64decode(m.group(1) if m else value)


def _check_timestamps(value: Any) -> None:
    if not isinstance(value, str):
        raise _Invalid('timestamps 必须是形如 "0,3" 的字符串')
    parts = value.split(",")
    try:
        a, b = (float(p) for p in parts)
    except ValueError as exc:
        raise _Invalid("timestamps 格式应为 开始秒数,结束秒数") from exc
    if not (0 <= a < b) or b - a > 3:
        raise _Invalid("timestamps 范围无效：需 0<=开始<结束 且最多3秒")


def _openai_error(status: int, message: str | None = None, param: str | None = None) -> dict:
    err_type, code = _OPENAI_TYPE_CODE.get(status, ("server_error", None))
    return {
        "error": {
            "message": message or _STATUS_MSG.get(status, "请求失败"),
            "type": err_type,
            "param": param,
            "code": code,
        }
    }


def _envelope_error(status: int, message: str | None = None) -> dict:
    return {"code": status, "msg": message or _STATUS_MSG.get(status, "请求失败"), "data": None}


class FakeGrsAI:
    """GrsAI on 127.0.0.1 with an OS-chosen port; script answers, inject failures, inspect calls."""

    def __init__(self, api_key: str = "sk-test-grsai-key") -> None:
        self.api_key = api_key
        self.base_url = ""
        self.port = 0
        self.requests: list[Recorded] = []
        self.webhook_posts: list[tuple[str, dict[str, Any]]] = []
        self._chat_scripts: deque[ChatScript] = deque()
        self._task_scripts: dict[str, deque[TaskScript]] = defaultdict(deque)
        self._submitted: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._tasks: dict[str, _Task] = {}
        self._files: dict[str, str] = {}  # file name -> task id
        self._png_cache: dict[str, bytes] = {}
        self._pids: set[str] = set()
        self._failures: dict[str, deque[tuple[int, dict | None]]] = defaultdict(deque)
        self._faults: dict[str, deque[str]] = defaultdict(deque)
        self._down = False
        self._closing = asyncio.Event()
        self._bg: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._server: asyncio.AbstractServer | None = None
        self._relisten: asyncio.Task[asyncio.AbstractServer] | None = None

        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024**2)
        app.router.add_post(CHAT_PATH, self._chat)
        app.router.add_post(DRAW_PATH, self._submit_image)
        app.router.add_post(VIDEO_PATH, self._submit_video)
        app.router.add_post(UPLOAD_CHAR_PATH, self._submit_upload_character)
        app.router.add_post(CREATE_CHAR_PATH, self._submit_create_character)
        app.router.add_post(RESULT_PATH, self._result)
        app.router.add_get("/files/{name}", self._file)
        self._app = app

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        # handler_cancellation: a client that gives up (timeout) cancels its hanging handler.
        self._runner = web.AppRunner(
            self._app,
            handle_signals=False,
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=0.5,
        )
        await self._runner.setup()
        sock = self._listen_socket(0)
        self.port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._server = await self._serve(sock)

    async def stop(self) -> None:
        self._closing.set()
        if self._relisten is not None:
            with contextlib.suppress(Exception):
                self._server = await self._relisten
            self._relisten = None
        if self._server is not None:
            self._server.close()
            self._server = None
        for t in list(self._bg):
            t.cancel()
        self._abort_connections()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeGrsAI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _listen_socket(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(128)  # listening now, so come_back() is effective before the loop accepts
        sock.setblocking(False)
        return sock

    async def _serve(self, sock: socket.socket) -> asyncio.AbstractServer:
        assert self._runner is not None and self._runner.server is not None
        return await asyncio.get_running_loop().create_server(self._runner.server, sock=sock)

    def _abort_connections(self) -> None:
        server = self._runner.server if self._runner else None
        for handler in server.connections if server else []:
            transport = handler.transport
            if transport is None:
                continue
            # abort() closes the socket only on the next loop turn; shut it down now so a
            # client reusing a pooled connection already sees EOF and reconnects (→ refused).
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            transport.abort()

    # ------------------------------------------------------------------ scripting API

    def script_chat(self, reply: ChatScript) -> None:
        self._chat_scripts.append(reply)

    def script_task(self, script: TaskScript) -> None:
        if script.kind not in ("image", "video", "character"):
            raise ValueError(f"unknown task kind {script.kind!r}")
        self._task_scripts[script.kind].append(script)

    def fail_next(self, path: str, status: int, times: int = 1, body: dict | None = None) -> None:
        for _ in range(times):
            self._failures[path].append((status, body))

    def fault_next(self, path: str, mode: str, times: int = 1) -> None:
        assert mode in ("html_502", "html_200", "hang", "reset"), mode
        for _ in range(times):
            self._faults[path].append(mode)

    def go_down(self) -> None:
        """Host unreachable: refuse new connections, cut the open ones."""
        self._down = True
        if self._relisten is not None:
            self._relisten.cancel()
            self._relisten = None
        if self._server is not None:
            self._server.close()
            self._server = None
        self._abort_connections()

    def come_back(self) -> None:
        if not self._down:
            return
        self._down = False
        sock = self._listen_socket(self.port)
        self._relisten = asyncio.get_running_loop().create_task(self._serve(sock))
        self._relisten.add_done_callback(self._adopt_server)

    def _adopt_server(self, task: asyncio.Task[asyncio.AbstractServer]) -> None:
        if task is self._relisten and not task.cancelled() and task.exception() is None:
            self._server = task.result()
            self._relisten = None

    # ------------------------------------------------------------------ inspection API

    def requests_to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def submissions(self, kind: str) -> list[dict[str, Any]]:
        """Authenticated, parseable submit bodies of ``kind`` (refused ones included)."""
        return list(self._submitted[kind])

    def poll_count(self, task_id: str) -> int:
        task = self._tasks.get(task_id)
        return task.polls if task else 0

    def task_ids(self, kind: str | None = None) -> list[str]:
        return [t.id for t in self._tasks.values() if kind is None or t.kind == kind]

    def expected_bytes(self, task_id: str) -> Iterator[bytes]:
        """The exact bytes the result file of ``task_id`` serves, chunk by chunk."""
        task = self._tasks[task_id]
        if task.script.result_bytes is not None:
            data = task.script.result_bytes
            for i in range(0, len(data), _FILE_CHUNK):
                yield data[i : i + _FILE_CHUNK]
        elif task.kind == "video":
            yield from _mp4_stream(task.id, task.script.result_size)
        else:
            yield self._png(task)

    def result_sha256(self, task_id: str) -> str:
        h = hashlib.sha256()
        for block in self.expected_bytes(task_id):
            h.update(block)
        return h.hexdigest()

    def result_size(self, task_id: str) -> int:
        task = self._tasks[task_id]
        if task.script.result_bytes is not None:
            return len(task.script.result_bytes)
        if task.kind == "video":
            return task.script.result_size
        return len(self._png(task))

    def _png(self, task: _Task) -> bytes:
        if task.id not in self._png_cache:
            self._png_cache[task.id] = _png_bytes(task.script.width, task.script.height, task.id)
        return self._png_cache[task.id]

    # ------------------------------------------------------------------ plumbing

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        raw = await request.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                _Headers(request.headers.items()),
                parsed,
                time.monotonic(),
            )
        )
        if self._down:
            # A request that slipped in on a live connection: drop it unanswered.
            return await self._drop(request)
        faults = self._faults.get(request.path)
        if faults:
            mode = faults.popleft()
            if mode == "html_502":
                return web.Response(status=502, content_type="text/html",
                                    text="<html><h1>502 Bad Gateway</h1></html>")  # fmt: skip
            if mode == "html_200":
                return web.Response(status=200, content_type="text/html",
                                    text="<html>维护中</html>")  # fmt: skip
            if mode == "reset":
                return await self._drop(request)
            await self._closing.wait()  # "hang": until the client gives up (cancels us)
            raise asyncio.CancelledError
        queue = self._failures.get(request.path)
        if queue:
            status, body = queue.popleft()
            if body is None:
                body = (
                    _openai_error(status) if request.path == CHAT_PATH else _envelope_error(status)
                )
            return web.json_response(body, status=status)
        return await handler(request)

    async def _drop(self, request: web.Request) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.abort()
        # The client is gone; wait to be cancelled (handler_cancellation) rather than answer.
        await self._closing.wait()
        raise asyncio.CancelledError

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {self.api_key}"

    async def _json_body(self, request: web.Request) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise _Invalid("Content-Type 必须是 application/json")
        try:
            body = json.loads(await request.read())
        except ValueError as exc:
            raise _Invalid("请求体不是合法的 JSON") from exc
        if not isinstance(body, dict):
            raise _Invalid("请求体必须是 JSON 对象")
        return body

    # ------------------------------------------------------------------ chat

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return web.json_response(_openai_error(401), status=401)
        try:
            body = await self._json_body(request)
            param = self._validate_chat(body)
        except _Invalid as exc:
            return web.json_response(_openai_error(400, str(exc)), status=400)
        if param is not None:
            msg, name = param
            return web.json_response(_openai_error(400, msg, name), status=400)

        script = self._chat_scripts.popleft() if self._chat_scripts else self._echo(body)
        if script.hang:
            await self._closing.wait()
            return await self._drop(request)
        if script.status != 200:
            err = script.error_body or _openai_error(script.status)
            return web.json_response(err, status=script.status)

        chunks = script.chunks if script.chunks is not None else self._split(script)
        completion_id = "chatcmpl-" + uuid.uuid4().hex
        created = int(time.time())
        model = body["model"]
        if not body.get("stream", False):
            await asyncio.sleep(script.first_delay + script.delay * max(len(chunks) - 1, 0))
            if script.drop_after is not None:
                return await self._drop(request)
            text = "".join(chunks)
            return web.json_response(
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": text,
                                "refusal": None,
                                "annotations": [],
                            },
                            "logprobs": None,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": self._usage(body, text),
                }
            )

        resp = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
            }
        )
        await resp.prepare(request)

        async def send(obj: Any) -> None:
            payload = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
            await resp.write(f"data: {payload}\n\n".encode())

        def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
            return {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
            }

        await asyncio.sleep(script.first_delay)
        pieces = chunks or [""]  # even an empty answer announces the assistant role
        for i, piece in enumerate(pieces):
            if script.drop_after is not None and i >= script.drop_after:
                return await self._drop(request)
            if i:
                await asyncio.sleep(script.delay)
            delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
            await send(chunk(delta, None))
        if script.drop_after is not None:
            return await self._drop(request)
        await send(chunk({}, "stop"))
        opts = body.get("stream_options") or {}
        if opts.get("include_usage"):
            usage = chunk({}, None) | {"choices": [], "usage": self._usage(body, "".join(chunks))}
            await send(usage)
        await send("[DONE]")
        await resp.write_eof()
        return resp

    @staticmethod
    def _split(script: ChatScript) -> list[str]:
        size = max(script.chunk_size, 1)
        return [script.text[i : i + size] for i in range(0, len(script.text), size)]

    @staticmethod
    def _last_user_text(body: dict[str, Any]) -> str:
        for msg in reversed(body["messages"]):
            if msg["role"] == "user":
                content = msg["content"]
                if isinstance(content, str):
                    return content
                return "".join(p["text"] for p in content if p["type"] == "text")
        return ""

    def _echo(self, body: dict[str, Any]) -> ChatScript:
        text = f"你说：{self._last_user_text(body)}"
        n = len(text)
        return ChatScript(text=text, chunks=[text[i * n // 3 : (i + 1) * n // 3] for i in range(3)])

    @staticmethod
    def _usage(body: dict[str, Any], text: str) -> dict[str, int]:
        prompt = len(json.dumps(body["messages"], ensure_ascii=False)) // 4
        completion = len(text)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def _validate_chat(self, body: dict[str, Any]) -> tuple[str, str] | None:
        """None if valid, else (message, param) for an OpenAI-style 400."""
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return "缺少参数 model", "model"
        if model not in CHAT_MODELS:
            return f"模型 {model} 不存在或不可用", "model"
        if "stream" in body and not isinstance(body["stream"], bool):
            return "stream 必须是布尔值", "stream"
        opts = body.get("stream_options")
        if opts is not None and not isinstance(opts, dict):
            return "stream_options 必须是对象", "stream_options"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "messages 必须是非空数组", "messages"
        for i, msg in enumerate(messages):
            where = f"messages[{i}]"
            if not isinstance(msg, dict):
                return f"{where} 必须是对象", where
            if msg.get("role") not in ("system", "user", "assistant"):
                return f"{where}.role 无效", f"{where}.role"
            content = msg.get("content")
            if isinstance(content, str):
                continue
            if not isinstance(content, list) or not content:
                return f"{where}.content 必须是字符串或非空数组", f"{where}.content"
            for j, part in enumerate(content):
                problem = self._check_part(part)
                if problem:
                    return f"{where}.content[{j}]：{problem}", f"{where}.content[{j}]"
        for key in ("temperature", "top_p"):
            if key in body and not isinstance(body[key], int | float):
                return f"{key} 必须是数字", key
        return None

    @staticmethod
    def _check_part(part: Any) -> str | None:
        if not isinstance(part, dict):
            return "必须是对象"
        if part.get("type") == "text":
            return None if isinstance(part.get("text"), str) else "text 必须是字符串"
        if part.get("type") != "image_url":
            return "type 只能是 text 或 image_url"
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else None
        if not isinstance(url, str):
            return "image_url.url 必须是字符串"
        if _is_http_url(url):
            return None
        m = _DATA_IMAGE_RE.match(url)
        if not m:
            return "image_url.url 必须是 http(s) 链接或 data:image/(png|jpeg|webp|gif);base64,…"
        try:
            _b64decode(m.group(2))
        except _Invalid as exc:
            return f"image_url.url {exc}"
        return None

    # ------------------------------------------------------------------ tasks: submit

    async def _submit_image(self, request: web.Request) -> web.StreamResponse:
        return await self._submit(request, "image", self._validate_image)

    async def _submit_video(self, request: web.Request) -> web.StreamResponse:
        return await self._submit(request, "video", self._validate_video)

    async def _submit_upload_character(self, request: web.Request) -> web.StreamResponse:
        return await self._submit(request, "character", self._validate_upload_character)

    async def _submit_create_character(self, request: web.Request) -> web.StreamResponse:
        return await self._submit(request, "character", self._validate_create_character)

    async def _submit(
        self, request: web.Request, kind: str, validate: Callable[[dict[str, Any]], None]
    ) -> web.StreamResponse:
        if not self._authorized(request):
            return web.json_response(_envelope_error(401), status=401)
        try:
            body = await self._json_body(request)
        except _Invalid as exc:
            return web.json_response(_envelope_error(400, str(exc)), status=400)
        self._submitted[kind].append(body)
        try:
            validate(body)
            self._validate_delivery(body)
        except _Invalid as exc:
            return web.json_response({"code": -1, "msg": f"参数错误：{exc}", "data": None})

        script = (
            self._task_scripts[kind].popleft()
            if self._task_scripts[kind]
            else TaskScript(kind=kind, progress=[0, 50, 100])
        )
        if script.submit_status != 200:
            return web.json_response(
                _envelope_error(script.submit_status), status=script.submit_status
            )
        if script.submit_code != 0:
            return web.json_response(
                {"code": script.submit_code, "msg": script.submit_msg, "data": None}
            )

        task = _Task(id=str(uuid.uuid4()), kind=kind, script=script, body=body)
        if script.outcome == "failed":
            task.failure_reason = script.failure_reason or "error"
            task.error = script.error or "生成失败"
        remix = body.get("remixTargetId")
        if kind == "video" and remix and remix not in self._pids:
            task.failure_reason, task.error = "error", "remix target not found"
        self._tasks[task.id] = task

        hook = body.get("webHook")
        if hook == "-1":
            return web.json_response({"code": 0, "msg": "success", "data": {"id": task.id}})
        if hook:
            bg = asyncio.get_running_loop().create_task(self._deliver_webhook(task, hook))
            self._bg.add(bg)
            bg.add_done_callback(self._bg.discard)
            return web.json_response({"code": 0, "msg": "success", "data": {"id": task.id}})
        return await self._stream_task(request, task)

    async def _stream_task(self, request: web.Request, task: _Task) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
            }
        )
        await resp.prepare(request)
        async for state in self._run_steps(task):
            await resp.write(f"data: {json.dumps(state, ensure_ascii=False)}\n\n".encode())
        await resp.write_eof()
        return resp

    async def _deliver_webhook(self, task: _Task, url: str) -> None:
        async with aiohttp.ClientSession() as session:
            async for state in self._run_steps(task):
                self.webhook_posts.append((url, state))
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.post(url, json=state) as r:
                        await r.read()

    async def _run_steps(self, task: _Task) -> AsyncIterator[dict[str, Any]]:
        """Advance a task to its end, yielding what to report (shutProgress: only the last)."""
        quiet = bool(task.body.get("shutProgress"))
        first = True
        while not task.terminal:
            if not first:
                await asyncio.sleep(task.script.step_delay)
            first = False
            state = self._advance(task)
            if not quiet or task.terminal:
                yield state

    def _validate_delivery(self, body: dict[str, Any]) -> None:
        hook = body.get("webHook")
        if hook is not None and not (
            hook in ("", "-1") or (isinstance(hook, str) and _is_http_url(hook))
        ):
            raise _Invalid('webHook 必须是回调链接或 "-1"')
        if "shutProgress" in body and not isinstance(body["shutProgress"], bool):
            raise _Invalid("shutProgress 必须是布尔值")

    def _validate_image(self, body: dict[str, Any]) -> None:
        model = body.get("model")
        if model not in IMAGE_MODELS:
            raise _Invalid(f"不支持的模型 {model!r}")
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise _Invalid("prompt 不能为空")
        if body.get("aspectRatio", "auto") not in ASPECT_RATIOS:
            raise _Invalid(f"不支持的 aspectRatio {body.get('aspectRatio')!r}")
        size = body.get("imageSize", "1K")
        if size not in IMAGE_SIZES:
            raise _Invalid(f"不支持的 imageSize {size!r}")
        if size not in MODEL_SIZES.get(model, IMAGE_SIZES):
            raise _Invalid(f"{model} 不支持 {size}")
        urls = body.get("urls", [])
        if not isinstance(urls, list):
            raise _Invalid("urls 必须是数组")
        for i, ref in enumerate(urls):
            _check_image_ref(ref, f"urls[{i}]")

    def _validate_video(self, body: dict[str, Any]) -> None:
        if body.get("model") != "sora-2":
            raise _Invalid(f"不支持的模型 {body.get('model')!r}")
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise _Invalid("prompt 不能为空")
        if body.get("aspectRatio", "9:16") not in ("9:16", "16:9"):
            raise _Invalid("aspectRatio 只支持 9:16 或 16:9")
        duration = body.get("duration", 10)
        if isinstance(duration, bool) or duration not in (10, 15):
            raise _Invalid("duration 只支持 10 或 15")
        if body.get("size", "small") not in ("small", "large"):
            raise _Invalid("size 只支持 small 或 large")
        if body.get("url"):
            _check_image_ref(body["url"], "url")
        remix = body.get("remixTargetId", "")
        if not isinstance(remix, str):
            raise _Invalid("remixTargetId 必须是字符串")

    def _validate_upload_character(self, body: dict[str, Any]) -> None:
        _check_media_ref(body.get("url"), "url")
        _check_timestamps(body.get("timestamps"))

    def _validate_create_character(self, body: dict[str, Any]) -> None:
        pid = body.get("pid")
        if not isinstance(pid, str) or pid not in self._pids:
            raise _Invalid(f"pid {pid!r} 不存在")
        _check_timestamps(body.get("timestamps"))

    # ------------------------------------------------------------------ tasks: progress

    def _advance(self, task: _Task) -> dict[str, Any]:
        if not task.terminal:
            task.step += 1
            if task.terminal:
                self._finish(task)
        return self._state(task)

    def _finish(self, task: _Task) -> None:
        task.done_at = time.monotonic()
        if task.failed:
            return
        if task.kind == "image":
            task.file_name = f"{uuid.uuid4().hex}.png"
        elif task.kind == "video":
            task.file_name = f"{uuid.uuid4().hex}.mp4"
            task.pid = task.script.pid or "s_" + uuid.uuid4().hex
            self._pids.add(task.pid)
        else:
            task.character_id = task.script.character_id or "char." + uuid.uuid4().hex[:10]
        if task.file_name:
            self._files[task.file_name] = task.id

    def _state(self, task: _Task) -> dict[str, Any]:
        done = task.terminal
        status = "running" if not done else ("failed" if task.failed else "succeeded")
        results: list[dict[str, Any]] = []
        if status == "succeeded":
            if task.kind == "image":
                url = task.script.result_url or f"{self.base_url}/files/{task.file_name}"
                results = [{"url": url, "content": f"已根据提示词生成图片：{task.body['prompt']}"}]
            elif task.kind == "video":
                url = f"{self.base_url}/files/{task.file_name}"
                results = [{"url": url, "removeWatermark": True, "pid": task.pid}]
            else:
                results = [{"character_id": task.character_id}]
        return {
            "id": task.id,
            "results": results,
            "progress": task.steps[max(task.step, 0)],
            "status": status,
            "failure_reason": task.failure_reason if status == "failed" else "",
            "error": task.error if status == "failed" else "",
        }

    async def _result(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return web.json_response(_envelope_error(401), status=401)
        try:
            body = await self._json_body(request)
        except _Invalid as exc:
            return web.json_response(_envelope_error(400, str(exc)), status=400)
        task = self._tasks.get(body.get("id")) if isinstance(body.get("id"), str) else None
        if task is None:
            return web.json_response({"code": -22, "msg": "任务不存在", "data": None})
        task.polls += 1
        return web.json_response({"code": 0, "msg": "success", "data": self._advance(task)})

    # ------------------------------------------------------------------ result files

    async def _file(self, request: web.Request) -> web.StreamResponse:
        task_id = self._files.get(request.match_info["name"])
        if task_id is None:
            return web.Response(
                status=404,
                text="<Error><Code>NoSuchKey</Code></Error>",
                content_type="application/xml",
            )
        task = self._tasks[task_id]
        assert task.done_at is not None
        if time.monotonic() > task.done_at + task.script.url_ttl:
            # What an expired signed OSS/S3 URL answers.
            return web.Response(
                status=403,
                text=_EXPIRED_XML,
                content_type="application/xml",
            )
        resp = web.StreamResponse()
        resp.content_type = "video/mp4" if task.kind == "video" else "image/png"
        resp.content_length = self.result_size(task_id)
        await resp.prepare(request)
        if request.method != "HEAD":
            for i, block in enumerate(self.expected_bytes(task_id)):
                await resp.write(block)
                if i % 16 == 15:
                    await asyncio.sleep(0)  # let other handlers run during a big download
        await resp.write_eof()
        return resp
