"""A NapCat-like fake OneBot v11 implementation for tests.

It connects to the bot's reverse-WebSocket server over loopback as a real client would
(Universal role, `X-Self-ID`, `Authorization: Bearer <token>`), pushes array-format message
events, and answers actions strictly per tests/specs/onebot-11: numbers must be numbers,
segment values strings; an unknown action is retcode 1404, bad params 1400, an operation
that fails 1200 (NapCat's code). Every sent message is recorded with its segments and, for
image/video/record/file segments, the bytes resolved from base64://, file:// or http URLs,
so tests assert on what a QQ user would actually receive.
Received media (images a user sends) are served over HTTP by the fake, like NapCat's URLs.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import itertools
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import aiohttp
from aiohttp import web
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

MEDIA_TYPES = ("image", "video", "record", "file")
SEND_TYPES = frozenset({"text", "at", "reply", "face", "image", "video", "record", "file"})
FAILED = 1200  # NapCat's retcode for an action that was understood but did not work


class ActionError(Exception):
    def __init__(self, retcode: int, message: str) -> None:
        super().__init__(message)
        self.retcode = retcode
        self.message = message


def _bad(message: str) -> ActionError:
    return ActionError(1400, message)


@dataclass
class Media:
    kind: str  # image / video / record / file
    data: bytes
    source: str  # "base64" | "file" | "http" | "received"
    name: str = ""


@dataclass
class SentMessage:
    """One message the bot sent (send_*_msg, a forward, or a file upload)."""

    message_id: int
    action: str
    message_type: str  # private / group
    target: int  # user id or group id
    segments: list[dict[str, Any]]
    media: list[Media] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)  # forwards: resolved nodes
    deleted: bool = False

    @property
    def chat_key(self) -> str:
        return f"qqgroup:{self.target}" if self.message_type == "group" else f"qq:{self.target}"

    @property
    def text(self) -> str:
        return "".join(s["data"].get("text", "") for s in self.segments if s["type"] == "text")

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [s["data"] for s in self.segments if s["type"] == kind]


@dataclass
class Stored:
    message_id: int
    message_type: str
    user_id: int
    group_id: int | None
    sender: dict[str, Any]
    message: list[dict[str, Any]]
    time: int
    deleted: bool = False


@dataclass
class _Rule:
    action: str
    mode: str  # "fail" | "hang" | "drop" | "slow"
    times: int
    retcode: int = FAILED
    message: str = ""
    delay: float = 0.0


def _cq(segments: Iterable[dict[str, Any]]) -> str:
    """raw_message in string format (string.md), for completeness of the events."""

    def esc(value: str, comma: bool = False) -> str:
        value = value.replace("&", "&amp;").replace("[", "&#91;").replace("]", "&#93;")
        return value.replace(",", "&#44;") if comma else value

    out = []
    for seg in segments:
        if seg["type"] == "text":
            out.append(esc(seg["data"]["text"]))
        else:
            params = "".join(f",{k}={esc(str(v), True)}" for k, v in seg["data"].items())
            out.append(f"[CQ:{seg['type']}{params}]")
    return "".join(out)


class FakeNapCat:
    """`async with FakeNapCat(url, token=...) as qq: await qq.connect()`."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        self_id: int = 10001,
        nickname: str = "测试机器人",
        role: str = "Universal",
        token_in_query: bool = False,
        media_dir: Path | None = None,
    ) -> None:
        self.url = url
        self.token = token
        self.self_id = self_id
        self.nickname = nickname
        self.role = role
        self.token_in_query = token_in_query
        self.media_dir = media_dir
        self.ws: ClientConnection | None = None
        self.sent: list[SentMessage] = []
        self.actions: list[tuple[str, dict[str, Any]]] = []  # every call, in order
        self.messages: dict[int, Stored] = {}
        self.user_inputs: list[str] = []  # what users typed (tests/latin.py allows echoes of it)
        self.received_media: dict[str, bytes] = {}  # file name → bytes (images users sent)
        self.media_requests: list[str] = []  # names the bot fetched from the media server
        self.media_redirects: dict[str, str] = {}  # name → where its URL redirects (302)
        self.connections = 0
        self._ids = itertools.count(1001)
        self._rules: list[_Rule] = []
        self._reader: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._sent_changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._media_base = ""
        self._http: aiohttp.ClientSession | None = None
        self._keeper: asyncio.Task[None] | None = None

    # --- lifecycle ----------------------------------------------------------------------

    async def __aenter__(self) -> FakeNapCat:
        app = web.Application()
        app.router.add_get("/media/{name}", self._serve_media)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._media_base = f"http://127.0.0.1:{port}/media/"
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_reconnecting()
        await self.disconnect()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve_media(self, request: web.Request) -> web.Response:
        self.media_requests.append(request.match_info["name"])
        if request.match_info["name"] in self.media_redirects:
            raise web.HTTPFound(self.media_redirects[request.match_info["name"]])
        data = self.received_media.get(request.match_info["name"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="application/octet-stream")

    @property
    def connected(self) -> bool:
        return self.ws is not None

    async def connect(self, *, token: str | bool | None = True, self_id: int | None = None) -> None:
        """Open the reverse WebSocket like NapCat's "WebSocket client" does.

        `token=True` uses the configured token, None/False sends none, a string sends that.
        Raises websockets.exceptions.InvalidStatus when the bot refuses (401/403/404).
        """
        use = self.token if token is True else (token or None)
        headers = {
            "X-Self-ID": str(self_id or self.self_id),
            "X-Client-Role": self.role,
            "User-Agent": "FakeNapCat/1.0",
        }
        url = self.url
        if use and self.token_in_query:
            url += ("&" if "?" in url else "?") + f"access_token={use}"
        elif use:
            headers["Authorization"] = f"Bearer {use}"
        ws = await connect(url, additional_headers=headers, max_size=None, open_timeout=5)
        self.ws = ws
        self.connections += 1
        self._reader = asyncio.create_task(self._read(ws))
        await self._push({"post_type": "meta_event", "meta_event_type": "lifecycle",
                          "sub_type": "connect"})  # fmt: skip

    async def disconnect(self) -> None:
        """Drop the connection (NapCat stopped or crashed)."""
        ws, self.ws = self.ws, None
        if ws is not None:
            await ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None

    def hang(self) -> None:
        """NapCat hangs: the connection stays open but nothing more is read or answered (not
        even a close frame or a ping)."""
        if self.ws is not None:
            self.ws.transport.pause_reading()

    def keep_connected(self, interval: float = 0.1) -> None:
        """Reconnect whenever the connection is gone, like NapCat's reconnect_interval (also
        across a restart of the bot itself)."""

        async def loop() -> None:
            while True:
                if self.ws is None:
                    with contextlib.suppress(OSError, InvalidHandshake, TimeoutError):
                        await self.connect()
                await asyncio.sleep(interval)

        if self._keeper is None:
            self._keeper = asyncio.create_task(loop())

    async def stop_reconnecting(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
            self._keeper = None

    async def restart(self, gap: float = 0.0) -> None:
        """A NapCat restart: drop, wait `gap` seconds, reconnect."""
        await self.disconnect()
        await asyncio.sleep(gap)
        await self.connect()

    # --- misbehaviour on demand ---------------------------------------------------------

    def fail_next(self, action: str, *, retcode: int = FAILED, message: str = "发送失败",
                  times: int = 1) -> None:  # fmt: skip
        self._rules.append(_Rule(action, "fail", times, retcode, message))

    def hang_next(self, action: str, *, times: int = 1) -> None:
        """Receive the call, never answer it (the bot's timeout must fire)."""
        self._rules.append(_Rule(action, "hang", times))

    def slow_next(self, action: str, delay: float, *, times: int = 1) -> None:
        """Take `delay` seconds before doing the call and answering it, like NapCat uploading
        a large video to QQ: the answer comes, late (after the bot's timeout if it is short)."""
        self._rules.append(_Rule(action, "slow", times, delay=delay))

    def drop_on_next(self, action: str, *, perform: bool = True) -> None:
        """Drop the connection on this call (after performing it if `perform`): outcome unknown
        to the bot, as when NapCat crashes mid-call."""
        self._rules.append(_Rule(action, "drop" if perform else "drop-before", 1))

    def _rule_for(self, action: str) -> _Rule | None:
        for rule in self._rules:
            if rule.action == action and rule.times > 0:
                rule.times -= 1
                return rule
        return None

    # --- events -------------------------------------------------------------------------

    async def _push(self, event: dict[str, Any]) -> None:
        if self.ws is None:
            raise RuntimeError("not connected")
        payload = {"time": int(time.time()), "self_id": self.self_id, **event}
        await self.ws.send(json.dumps(payload, ensure_ascii=False))

    async def send_raw(self, frame: str) -> None:
        """Push a frame exactly as given (malformed ones included)."""
        if self.ws is None:
            raise RuntimeError("not connected")
        await self.ws.send(frame)

    async def heartbeat(self, interval_ms: int = 30000) -> None:
        await self._push({"post_type": "meta_event", "meta_event_type": "heartbeat",
                          "status": {"online": True, "good": True},
                          "interval": interval_ms})  # fmt: skip

    async def notice(self, **fields: Any) -> None:
        await self._push({"post_type": "notice", **fields})

    def image(self, data: bytes, name: str | None = None) -> dict[str, Any]:
        """An image segment as NapCat reports a received image (file name + URL)."""
        name = name or hashlib.md5(data).hexdigest().upper() + ".jpg"
        self.received_media[name] = data
        return {"type": "image", "data": {"file": name, "url": self._media_base + name,
                                          "file_size": str(len(data)), "summary": ""}}  # fmt: skip

    def video(self, data: bytes, name: str | None = None) -> dict[str, Any]:
        """A video segment as NapCat reports a received video (file name + URL)."""
        name = name or hashlib.md5(data).hexdigest().upper() + ".mp4"
        self.received_media[name] = data
        return {"type": "video", "data": {"file": name, "url": self._media_base + name,
                                          "file_size": str(len(data))}}  # fmt: skip

    def _segments(self, message: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
        if isinstance(message, str):
            return [{"type": "text", "data": {"text": message}}]
        return [{"type": s["type"], "data": dict(s.get("data") or {})} for s in message]

    async def private_message(self, user_id: int, message: str | list[dict[str, Any]], *,
                              nickname: str = "用户") -> int:  # fmt: skip
        """A user writes to the bot in a private chat; the new message id."""
        segments = self._segments(message)
        self._note_inputs(segments)
        sender = {"user_id": user_id, "nickname": nickname, "sex": "unknown", "age": 0}
        message_id = self._store("private", user_id, None, sender, segments)
        await self._push({"post_type": "message", "message_type": "private",
                          "sub_type": "friend", "message_id": message_id, "user_id": user_id,
                          "message": segments, "raw_message": _cq(segments), "font": 0,
                          "sender": sender})  # fmt: skip
        return message_id

    async def group_message(self, group_id: int, user_id: int, message: str | list[dict[str, Any]],
                            *, nickname: str = "群友", card: str = "",
                            role: str = "member") -> int:  # fmt: skip
        """A member writes in a group; the new message id."""
        segments = self._segments(message)
        self._note_inputs(segments)
        sender = {"user_id": user_id, "nickname": nickname, "card": card, "role": role}
        message_id = self._store("group", user_id, group_id, sender, segments)
        await self._push({"post_type": "message", "message_type": "group", "sub_type": "normal",
                          "message_id": message_id, "group_id": group_id, "user_id": user_id,
                          "anonymous": None, "message": segments,
                          "raw_message": _cq(segments), "font": 0,
                          "sender": sender})  # fmt: skip
        return message_id

    def _note_inputs(self, segments: list[dict[str, Any]]) -> None:
        self.user_inputs += [s["data"].get("text", "") for s in segments if s["type"] == "text"]

    def _store(self, message_type: str, user_id: int, group_id: int | None,
               sender: dict[str, Any], segments: list[dict[str, Any]]) -> int:  # fmt: skip
        message_id = next(self._ids)
        self.messages[message_id] = Stored(message_id, message_type, user_id, group_id, sender,
                                           segments, int(time.time()))  # fmt: skip
        return message_id

    # --- observing what the bot sent ----------------------------------------------------

    def shown_texts(self) -> list[tuple[str, str]]:
        """(action, text) for every text a QQ user was shown: text segments of sent messages
        and of merged-forward nodes, and the nodes' nicknames."""
        shown: list[tuple[str, str]] = []
        for message in self.sent:
            if message.text:
                shown.append((message.action, message.text))
            for node in message.nodes:
                if "content" not in node:
                    continue
                shown.append((message.action, node["nickname"]))
                for seg in node["content"]:
                    if seg["type"] == "text":
                        shown.append((message.action, seg["data"]["text"]))
        return shown

    def sent_to(self, chat_key: str) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_key == chat_key]

    async def wait_sent(self, count: int = 1, *, within: float = 5.0) -> list[SentMessage]:
        """Wait until at least `count` messages were sent in total; all of them."""
        async with asyncio.timeout(within), self._sent_changed:
            await self._sent_changed.wait_for(lambda: len(self.sent) >= count)
        return list(self.sent)

    async def _record(self, message: SentMessage) -> None:
        self.sent.append(message)
        async with self._sent_changed:
            self._sent_changed.notify_all()

    # --- actions ------------------------------------------------------------------------

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                task = asyncio.create_task(self._on_call(ws, frame))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        except ConnectionClosed:
            pass
        finally:
            if self.ws is ws:
                self.ws = None

    async def _on_call(self, ws: ClientConnection, frame: str | bytes) -> None:
        try:
            call = json.loads(frame)
        except ValueError:
            return
        if not isinstance(call, dict):
            return
        echo = call.get("echo")
        action = call.get("action")
        params = call.get("params") if call.get("params") is not None else {}
        reply: dict[str, Any]
        if not isinstance(action, str):
            reply = {"status": "failed", "retcode": 1400, "data": None, "message": "no action"}
        elif not isinstance(params, dict):
            reply = {"status": "failed", "retcode": 1400, "data": None, "message": "bad params"}
        else:
            self.actions.append((action, params))
            base = action.removesuffix("_async")
            rule = self._rule_for(base)
            if rule and rule.mode == "hang":
                return
            if rule and rule.mode == "slow":
                await asyncio.sleep(rule.delay)
            if rule and rule.mode == "drop-before":
                await self.disconnect()
                return
            if rule and rule.mode == "fail":
                reply = {"status": "failed", "retcode": rule.retcode, "data": None,
                         "message": rule.message, "wording": rule.message}  # fmt: skip
            else:
                reply = await self._perform(base, params)
                if base != action and reply["status"] == "ok":
                    reply = {"status": "async", "retcode": 1, "data": None}
            if rule and rule.mode == "drop":
                await self.disconnect()
                return
        if echo is not None:
            reply["echo"] = echo
        try:
            await ws.send(json.dumps(reply, ensure_ascii=False))
        except ConnectionClosed:
            pass

    async def _perform(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "_a_" + action, None)
        if handler is None:
            return {"status": "failed", "retcode": 1404, "data": None, "message": "API 不存在"}
        try:
            data = await handler(params)
        except ActionError as exc:
            return {"status": "failed", "retcode": exc.retcode, "data": None,
                    "message": exc.message, "wording": exc.message}  # fmt: skip
        return {"status": "ok", "retcode": 0, "data": data}

    # --- parameter checks (strict: numbers are JSON numbers, segment values strings) -----

    @staticmethod
    def _int(params: dict[str, Any], key: str) -> int:
        value = params.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(f"{key} must be a number")
        return value

    @staticmethod
    def _str(params: dict[str, Any], key: str, *, optional: bool = False) -> str | None:
        value = params.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value:
            raise _bad(f"{key} must be a non-empty string")
        return value

    def _message(self, value: Any) -> list[dict[str, Any]]:
        if isinstance(value, str):
            if not value:
                raise _bad("empty message")
            return [{"type": "text", "data": {"text": value}}]
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not value:
            raise _bad("message must be a string, a segment or a non-empty array")
        out = []
        for seg in value:
            if not isinstance(seg, dict) or seg.get("type") not in SEND_TYPES:
                raise _bad(f"unsupported segment {seg!r:.60}")
            data = seg.get("data")
            if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
                raise _bad(f"{seg['type']} segment data values must be strings")
            kind = seg["type"]
            required = {"text": "text", "at": "qq", "reply": "id", "face": "id"}.get(kind, "file")
            if required not in data or (kind != "text" and not data[required]):
                raise _bad(f"{kind} segment needs {required}")
            if kind == "at" and not (data["qq"].isdigit() or data["qq"] == "all"):
                raise _bad("at.qq must be a QQ number or all")
            if kind == "reply" and not data["id"].lstrip("-").isdigit():
                raise _bad("reply.id must be a message id")
            out.append({"type": kind, "data": dict(data)})
        return out

    async def _resolve(self, file_value: str) -> tuple[bytes, str]:
        """The bytes behind a `file` value and how they were given."""
        if file_value.startswith("base64://"):
            try:
                return base64.b64decode(file_value[9:], validate=True), "base64"
            except binascii.Error:
                raise _bad("invalid base64") from None
        if file_value.startswith("file://"):
            parsed = urlparse(file_value)
            path = Path(url2pathname(unquote(parsed.path)))
            if not path.is_absolute():
                raise _bad("file:// needs an absolute path")
            try:
                return path.read_bytes(), "file"
            except OSError:
                raise ActionError(FAILED, "文件不存在或无法读取") from None
        if file_value.startswith(("http://", "https://")):
            assert self._http is not None
            try:
                async with self._http.get(file_value) as resp:
                    if resp.status != 200:
                        raise ActionError(FAILED, f"下载文件失败 HTTP {resp.status}")
                    return await resp.read(), "http"
            except aiohttp.ClientError:
                raise ActionError(FAILED, "下载文件失败") from None
        if file_value in self.received_media:  # re-sending a received image by its name
            return self.received_media[file_value], "received"
        raise ActionError(FAILED, "无法识别的文件")

    async def _media(self, segments: list[dict[str, Any]]) -> list[Media]:
        out = []
        for seg in segments:
            if seg["type"] in MEDIA_TYPES:
                data, source = await self._resolve(seg["data"]["file"])
                out.append(Media(seg["type"], data, source, seg["data"].get("name", "")))
        return out

    async def _send(self, action: str, message_type: str, target: int,
                    raw_message: Any) -> dict[str, Any]:  # fmt: skip
        segments = self._message(raw_message)
        for data in (s["data"] for s in segments if s["type"] == "reply"):
            if int(data["id"]) not in self.messages:
                raise ActionError(FAILED, "回复的消息不存在")
        media = await self._media(segments)
        sender = {"user_id": self.self_id, "nickname": self.nickname}
        group_id = target if message_type == "group" else None
        message_id = self._store(message_type, self.self_id, group_id, sender, segments)
        await self._record(SentMessage(message_id, action, message_type, target, segments, media))
        return {"message_id": message_id}

    async def _a_send_private_msg(self, p: dict[str, Any]) -> dict[str, Any]:
        return await self._send("send_private_msg", "private", self._int(p, "user_id"),
                                p.get("message"))  # fmt: skip

    async def _a_send_group_msg(self, p: dict[str, Any]) -> dict[str, Any]:
        return await self._send("send_group_msg", "group", self._int(p, "group_id"),
                                p.get("message"))  # fmt: skip

    async def _a_send_msg(self, p: dict[str, Any]) -> dict[str, Any]:
        kind = p.get("message_type")
        if kind is None:
            kind = "group" if "group_id" in p else "private"
        if kind not in ("private", "group"):
            raise _bad("message_type must be private or group")
        key = "group_id" if kind == "group" else "user_id"
        return await self._send("send_msg", kind, self._int(p, key), p.get("message"))

    async def _a_delete_msg(self, p: dict[str, Any]) -> None:
        stored = self.messages.get(self._int(p, "message_id"))
        if stored is None or stored.deleted:
            raise ActionError(FAILED, "消息不存在")
        stored.deleted = True
        for message in self.sent:
            if message.message_id == stored.message_id:
                message.deleted = True

    async def _a_get_msg(self, p: dict[str, Any]) -> dict[str, Any]:
        stored = self.messages.get(self._int(p, "message_id"))
        if stored is None or stored.deleted:
            raise ActionError(FAILED, "消息不存在")
        data = {"time": stored.time, "message_type": stored.message_type,
                "message_id": stored.message_id, "real_id": stored.message_id,
                "sender": stored.sender, "message": stored.message}  # fmt: skip
        if stored.group_id is not None:
            data["group_id"] = stored.group_id
        return data

    async def _a_get_login_info(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"user_id": self.self_id, "nickname": self.nickname}

    async def _a_get_status(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"online": True, "good": True}

    async def _a_get_version_info(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"app_name": "FakeNapCat", "app_version": "1.0", "protocol_version": "v11"}

    async def _a_can_send_image(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"yes": True}

    async def _a_can_send_record(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"yes": True}

    async def _a_get_image(self, p: dict[str, Any]) -> dict[str, Any]:
        name = self._str(p, "file")
        assert name is not None
        data = self.received_media.get(name)
        if data is None:
            raise ActionError(FAILED, "图片不存在")
        result = {"file_name": name, "file_size": str(len(data)), "url": self._media_base + name}
        if self.media_dir is not None:  # like NapCat on the same host: a local path
            path = self.media_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            result["file"] = str(path)
        else:
            result["file"] = name
        return result

    async def _a_get_file(self, p: dict[str, Any]) -> dict[str, Any]:
        """NapCat's extension: where a received file (a video…) is. With `media_dir` (NapCat on
        the same host) a local path and no URL, as NapCat answers for its own cache."""
        name = self._str(p, "file")
        assert name is not None
        data = self.received_media.get(name)
        if data is None:
            raise ActionError(FAILED, "文件不存在")
        result = {"file_name": name, "file_size": str(len(data))}
        if self.media_dir is not None:
            path = self.media_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            result["file"] = str(path)
        else:
            result["url"] = self._media_base + name
        return result

    async def _upload(self, action: str, kind: str, target: int, p: dict[str, Any]) -> dict:
        file_value = self._str(p, "file")
        name = self._str(p, "name")
        assert file_value is not None and name is not None
        if "folder" in p and not isinstance(p["folder"], str):
            raise _bad("folder must be a string")
        data, source = await self._resolve(file_value)
        segments = [{"type": "file", "data": {"file": file_value, "name": name}}]
        sender = {"user_id": self.self_id, "nickname": self.nickname}
        group_id = target if kind == "group" else None
        message_id = self._store(kind, self.self_id, group_id, sender, segments)
        await self._record(SentMessage(message_id, action, kind, target, segments,
                                       [Media("file", data, source, name)]))  # fmt: skip
        return {"file_id": f"/{hashlib.md5(data).hexdigest()}"}

    async def _a_upload_group_file(self, p: dict[str, Any]) -> dict[str, Any]:
        return await self._upload("upload_group_file", "group", self._int(p, "group_id"), p)

    async def _a_upload_private_file(self, p: dict[str, Any]) -> dict[str, Any]:
        return await self._upload("upload_private_file", "private", self._int(p, "user_id"), p)

    async def _forward(self, action: str, kind: str, target: int, p: dict[str, Any]) -> dict:
        nodes = p.get("messages")
        if not isinstance(nodes, list) or not nodes:
            raise _bad("messages must be a non-empty array of node segments")
        resolved, media = [], []
        for item in nodes:
            if not isinstance(item, dict) or item.get("type") != "node":
                raise _bad("every forward item must be a node segment")
            data = item.get("data")
            if not isinstance(data, dict):
                raise _bad("node data must be an object")
            if "id" in data:
                if int(str(data["id"])) not in self.messages:
                    raise ActionError(FAILED, "转发的消息不存在")
                resolved.append({"id": str(data["id"])})
                continue
            user_id = data.get("user_id", data.get("uin"))
            nickname = data.get("nickname", data.get("name"))
            if not isinstance(user_id, str | int) or not isinstance(nickname, str):
                raise _bad("custom node needs user_id and nickname")
            content = self._message(data.get("content"))
            media += await self._media(content)
            resolved.append({"user_id": str(user_id), "nickname": nickname, "content": content})
        sender = {"user_id": self.self_id, "nickname": self.nickname}
        forward = [{"type": "forward", "data": {"id": f"fw{len(self.sent)}"}}]
        group_id = target if kind == "group" else None
        message_id = self._store(kind, self.self_id, group_id, sender, forward)
        await self._record(SentMessage(message_id, action, kind, target, forward, media,
                                       resolved))  # fmt: skip
        return {"message_id": message_id, "res_id": forward[0]["data"]["id"]}

    async def _a_send_group_forward_msg(self, p: dict[str, Any]) -> dict[str, Any]:
        return await self._forward("send_group_forward_msg", "group", self._int(p, "group_id"), p)

    async def _a_send_private_forward_msg(self, p: dict[str, Any]) -> dict[str, Any]:
        return await self._forward("send_private_forward_msg", "private",
                                   self._int(p, "user_id"), p)  # fmt: skip
