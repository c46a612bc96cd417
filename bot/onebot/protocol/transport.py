"""Reverse-WebSocket server for OneBot v11 (communication/ws-reverse.md, authorization.md).

Rules this module guarantees:
- the bot listens; the OneBot implementation (NapCat…) connects as a Universal client
  (`X-Self-ID`, `X-Client-Role`); split API/Event clients on `<path>/api`, `<path>/event`
  work too. With a token configured a missing token is answered 401, a wrong one 403
  (`Authorization: Bearer …` or `?access_token=`); the token never reaches a log line;
- a new connection for the same account replaces the old one (NapCat restarts are normal);
- stopping waits at most CLOSE_TIMEOUT for each connection's close handshake, then cuts it:
  a hung implementation never delays a shutdown;
- an action waits (bounded by `connect_wait`) for a connection instead of failing at once;
  if none comes, `NotConnected` says nothing was sent and the caller may retry later;
- an action whose connection drops after the request went out raises `ConnectionLost`, one
  not answered in time `ActionTimeout`: for both the outcome is unknown (a message may have
  been sent), so they are never retried here;
- a call may keep waiting for the late answer of an action that timed out (`keep_late`):
  a media upload NapCat finishes after the timeout is then known to have arrived;
- `status: failed` (or a retcode other than 0/1) raises `ActionFailed` with the retcode;
- events are parsed (`bot.onebot.protocol.events`) and each is handed to the callback in its
  own task (at most MAX_EVENTS_IN_FLIGHT at once: more are dropped with a Chinese warning),
  so a handler may call actions (whose answers arrive on the same connection) freely; a
  frame that cannot be parsed (too deeply nested, odd numbers) is logged and skipped, the
  connection stays open;
- a port already taken raises `PortInUse` (the CLI says so in one Chinese line, exit 2); the
  listener and each connection/disconnection are noted in `config.state_file` for `check`;
- every line it logs at INFO and above is Chinese and names what to fix (401/403/404).

`websockets` is the WebSocket library: maintained, pure Python, asyncio-native, and its
server does the HTTP upgrade, ping/pong keepalive and frame limits for us.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import itertools
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from bot.core import texts
from bot.onebot.protocol import segments as seg
from bot.onebot.protocol.config import OneBotConfig
from bot.onebot.protocol.events import Event, HeartbeatEvent, parse_event

log = logging.getLogger(__name__)
# websockets logs request lines and headers at DEBUG (Authorization, ?access_token=…) and
# English lines at INFO ("connection rejected (404 Not Found)", "server listening"): its records
# go through a logger of ours kept at WARNING; our own Chinese lines say the same (and more).
_ws_log = logging.getLogger(__name__ + ".websockets")
_ws_log.setLevel(logging.WARNING)

ROLES = {"universal": "Universal", "api": "API", "event": "Event"}
MAX_FRAME = 16 * 1024 * 1024  # incoming frames (events, get_msg answers); sends are not capped
# How long a closing connection waits for the implementation's close frame before the TCP
# connection is cut: a healthy NapCat answers within milliseconds, a hung one never does, and
# a stop (SIGTERM) must finish within 10 s in all (websockets' default alone is 10 s).
CLOSE_TIMEOUT = 1.0
# Events handled at once (all accounts); more are dropped with a warning. A handler may wait
# on QQ (get_msg, paced sends) or a model; 64 is far above what a few busy groups need at the
# 20 messages a minute QQ lets an account send, and keeps a flood or a hung NapCat from
# piling up unbounded tasks.
MAX_EVENTS_IN_FLIGHT = 64


class OneBotError(Exception):
    """Base of the transport's errors (texts are for logs, never for users)."""


class PortInUse(OneBotError):
    """ONEBOT_WS_PORT is taken by another program (or another copy of the bot)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        super().__init__(f"{host}:{port} in use")


class NotConnected(OneBotError):
    """No OneBot connection came within the wait: nothing was sent; safe to retry later."""


class ConnectionLost(OneBotError):
    """The connection dropped after the request went out: the outcome is unknown."""


class ActionTimeout(OneBotError):
    """No answer in time: the outcome is unknown (the action may still have happened).

    With `call(..., keep_late=True)` the call stays registered and `late` is the future its
    answer (or `ConnectionLost`) still arrives on: the caller may wait longer for it instead
    of doing the action again."""

    def __init__(self, message: str, late: asyncio.Future[Any] | None = None) -> None:
        super().__init__(message)
        self.late = late


class ActionFailed(OneBotError):
    """The implementation answered `failed` (retcode 1400 bad params, 1404 no such action…)."""

    def __init__(self, action: str, retcode: int, message: str = "") -> None:
        self.action = action
        self.retcode = retcode
        self.message = message
        super().__init__(f"{action} failed: retcode {retcode} {message}".rstrip())


@dataclass(frozen=True)
class ChatRef:
    """A QQ conversation: a private chat with a user or a group."""

    kind: str  # "private" | "group"
    id: int

    @property
    def key(self) -> str:
        return f"qqgroup:{self.id}" if self.kind == "group" else f"qq:{self.id}"

    @classmethod
    def parse(cls, key: str) -> ChatRef:
        prefix, _, number = key.partition(":")
        kinds = {"qq": "private", "qqgroup": "group"}
        if prefix not in kinds or not number.isdigit():
            raise ValueError(f"not a QQ chat key: {key!r}")
        return cls(kinds[prefix], int(number))


@dataclass(eq=False)
class _Conn:
    ws: ServerConnection
    self_id: int
    role: str
    pending: dict[str, tuple[str, asyncio.Future[Any]]] = field(default_factory=dict)
    connected_at: float = field(default_factory=time.monotonic)
    last_heartbeat: float | None = None
    peer: str | None = None  # the address the implementation connected from

    @property
    def serves_api(self) -> bool:
        return self.role in ("Universal", "API")

    @property
    def serves_events(self) -> bool:
        return self.role in ("Universal", "Event")


EventHandler = Callable[[Event], Awaitable[None]]


class OneBotServer:
    """The bot side of OneBot v11 over reverse WebSocket."""

    def __init__(
        self,
        config: OneBotConfig,
        on_event: EventHandler,
        *,
        action_timeout: float = 30.0,
        connect_wait: float = 30.0,
        ping_interval: float | None = 20.0,
    ) -> None:
        self.config = config.validate()
        self._on_event = on_event
        self.action_timeout = action_timeout
        self.connect_wait = connect_wait
        self._ping_interval = ping_interval
        self._api: dict[int, _Conn] = {}
        self._events: dict[int, _Conn] = {}
        self._changed = asyncio.Condition()
        self._server: Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._echo = itertools.count(1)
        self._in_flight = 0  # events being handled (MAX_EVENTS_IN_FLIGHT)
        base = config.path.rstrip("/") or ""
        self._routes = {
            base or "/": None,
            base + "/": None,
            base + "/api": "API",
            base + "/api/": "API",
            base + "/event": "Event",
            base + "/event/": "Event",
        }

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        try:
            self._server = await serve(
                self._handle,
                self.config.host,
                self.config.port,
                process_request=self._check_request,
                max_size=MAX_FRAME,
                ping_interval=self._ping_interval,
                close_timeout=CLOSE_TIMEOUT,
                server_header=None,
                logger=_ws_log,
            )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(self.config.host, self.config.port) from None
            raise
        log.info(texts.LOG_ONEBOT_LISTENING, self.config.host, self.port, self.config.path)
        self._record(listening={"pid": os.getpid(), "host": self.config.host, "port": self.port,
                                "path": self.config.path, "at": time.time()})  # fmt: skip

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for conn in {*self._api.values(), *self._events.values()}:
            self._fail_pending(conn)
        self._api.clear()
        self._events.clear()

    async def __aenter__(self) -> OneBotServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        if self._server is None:
            return self.config.port
        return self._server.sockets[0].getsockname()[1]

    # --- connections --------------------------------------------------------------------

    @property
    def self_ids(self) -> list[int]:
        return list(self._api)

    def is_connected(self, self_id: int | None = None) -> bool:
        return bool(self._api) if self_id is None else self_id in self._api

    def peer_addresses(self) -> set[str]:
        """The addresses the connected implementations connected from (their own host, which
        serves the files users send)."""
        return {c.peer for c in {*self._api.values(), *self._events.values()} if c.peer}

    def last_heartbeat(self, self_id: int) -> float | None:
        """monotonic() time of the account's last heartbeat event, if any."""
        conn = self._events.get(self_id)
        return conn.last_heartbeat if conn else None

    async def wait_connected(self, within: float, self_id: int | None = None) -> int:
        """Wait until an API-capable connection exists; its account id. NotConnected if not."""
        try:
            async with asyncio.timeout(within):
                async with self._changed:
                    await self._changed.wait_for(lambda: self.is_connected(self_id))
        except TimeoutError:
            raise NotConnected("no OneBot connection") from None
        return self._pick(self_id).self_id

    def _pick(self, self_id: int | None) -> _Conn:
        if self_id is not None:
            return self._api[self_id]
        return max(self._api.values(), key=lambda c: c.connected_at)  # the newest

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path, _, query = request.path.partition("?")
        if path not in self._routes:
            log.warning(texts.LOG_ONEBOT_WRONG_PATH, path, self.config.path)
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        token = self.config.access_token
        if token:
            given = None
            scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
            if scheme.lower() in ("bearer", "token") and value.strip():
                given = value.strip()
            elif values := parse_qs(query).get("access_token"):
                given = values[0]
            if given is None:
                log.warning(texts.LOG_ONEBOT_NO_TOKEN)
                return connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
            if not hmac.compare_digest(given.encode(), token.encode()):
                log.warning(texts.LOG_ONEBOT_WRONG_TOKEN)
                return connection.respond(HTTPStatus.FORBIDDEN, "Forbidden\n")
        if _self_id(request) is None:
            log.warning(texts.LOG_ONEBOT_NO_SELF_ID)
            return connection.respond(HTTPStatus.BAD_REQUEST, "X-Self-ID header required\n")
        if _role(request, self._routes[path]) is None:
            log.warning(texts.LOG_ONEBOT_BAD_ROLE)
            return connection.respond(HTTPStatus.BAD_REQUEST, "bad X-Client-Role\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        request = ws.request
        assert request is not None  # set by the handshake
        self_id = _self_id(request)
        role = _role(request, self._routes[request.path.partition("?")[0]])
        assert self_id is not None and role is not None  # checked in _check_request
        remote = ws.remote_address
        conn = _Conn(ws=ws, self_id=self_id, role=role,
                     peer=str(remote[0]) if remote else None)  # fmt: skip
        await self._register(conn)
        log.info(texts.LOG_ONEBOT_CONNECTED, self_id, role)
        self._record(connected={"self_id": self_id, "role": role, "at": time.time()})
        try:
            async for frame in ws:
                try:
                    self._on_frame(conn, frame)
                except Exception:  # e.g. RecursionError (deep JSON): skip it, keep the link
                    log.warning(texts.LOG_ONEBOT_BAD_FRAME, conn.self_id, exc_info=True)
        except ConnectionClosed:
            pass
        finally:
            await self._unregister(conn)
            log.info(texts.LOG_ONEBOT_DISCONNECTED, self_id, role)
            if not self.is_connected(self_id) and self_id not in self._events:
                self._record(disconnected={"self_id": self_id, "at": time.time()})

    async def _register(self, conn: _Conn) -> None:
        async with self._changed:
            for table, wanted in ((self._api, conn.serves_api), (self._events, conn.serves_events)):
                if not wanted:
                    continue
                old = table.get(conn.self_id)
                table[conn.self_id] = conn
                if old is not None and old is not conn:
                    log.info(texts.LOG_ONEBOT_REPLACED, conn.self_id)
                    self._fail_pending(old)
                    self._spawn(old.ws.close(code=1000, reason="replaced"))
            self._changed.notify_all()

    async def _unregister(self, conn: _Conn) -> None:
        async with self._changed:
            for table in (self._api, self._events):
                if table.get(conn.self_id) is conn:
                    del table[conn.self_id]
            self._fail_pending(conn)
            self._changed.notify_all()

    @staticmethod
    def _fail_pending(conn: _Conn) -> None:
        for action, future in conn.pending.values():
            if not future.done():
                future.set_exception(ConnectionLost(f"{action}: connection lost, outcome unknown"))
        conn.pending.clear()

    def _record(self, **entry: dict[str, Any]) -> None:
        """Note the listener and the last connection in `config.state_file` (read by `python -m
        bot check`: which account connected, and when). Best effort: a status, not data."""
        path = self.config.state_file
        if path is None:
            return
        try:
            state = json.loads(path.read_text("utf-8")) if path.is_file() else {}
        except (OSError, ValueError):
            state = {}
        if not isinstance(state, dict) or "listening" in entry:
            state = {key: value for key, value in (state if isinstance(state, dict) else {})
                     .items() if key == "connected"}  # fmt: skip
        state.update(entry)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps(state, ensure_ascii=False), "utf-8")
            temporary.replace(path)
        except OSError as exc:
            log.debug("cannot write %s: %s", path, exc)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- frames -------------------------------------------------------------------------

    def _on_frame(self, conn: _Conn, frame: str | bytes) -> None:
        try:
            payload = json.loads(frame)
        except ValueError:
            log.warning(texts.LOG_ONEBOT_NOT_JSON, conn.self_id)
            return
        if not isinstance(payload, dict):
            return
        if "post_type" not in payload:
            self._on_response(conn, payload)
            return
        if not conn.serves_events:
            return
        event = parse_event(payload)
        if event is None:
            return
        if isinstance(event, HeartbeatEvent):
            conn.last_heartbeat = time.monotonic()
        if self._in_flight >= MAX_EVENTS_IN_FLIGHT:
            log.warning(texts.LOG_ONEBOT_EVENT_DROPPED, conn.self_id, MAX_EVENTS_IN_FLIGHT)
            return
        self._in_flight += 1
        self._spawn(self._deliver(event))

    def _on_response(self, conn: _Conn, payload: dict[str, Any]) -> None:
        echo = payload.get("echo")
        entry = conn.pending.pop(str(echo), None) if echo is not None else None
        if entry is None:
            log.debug("OneBot answer without a waiting call (echo %r)", echo)
            return
        action, future = entry
        if future.done():
            return
        status = payload.get("status")
        retcode = payload.get("retcode", 0)
        if status == "failed" or (isinstance(retcode, int) and retcode not in (0, 1)):
            message = str(payload.get("wording") or payload.get("message") or "")
            code = retcode if isinstance(retcode, int) else -1
            future.set_exception(ActionFailed(action, code, message[:200]))
        else:
            future.set_result(payload.get("data") if status != "async" else None)

    async def _deliver(self, event: Event) -> None:
        try:
            await self._on_event(event)
        except Exception:
            log.exception(texts.LOG_ONEBOT_HANDLER_FAILED)
        finally:
            self._in_flight -= 1

    # --- actions ------------------------------------------------------------------------

    async def call(
        self,
        action: str,
        params: dict[str, Any] | None = None,
        *,
        self_id: int | None = None,
        answer_timeout: float | None = None,
        connect_wait: float | None = None,
        keep_late: bool = False,
    ) -> Any:
        """Call an action; its `data`. See the module rules for the errors (`keep_late`:
        see ActionTimeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.connect_wait if connect_wait is None else connect_wait)
        echo = f"ob{next(self._echo)}"
        request = json.dumps({"action": action, "params": params or {}, "echo": echo},
                             ensure_ascii=False)  # fmt: skip
        while True:
            await self.wait_connected(max(0.0, deadline - loop.time()), self_id)
            conn = self._pick(self_id)
            future: asyncio.Future[Any] = loop.create_future()
            conn.pending[echo] = (action, future)
            try:
                await conn.ws.send(request)
            except ConnectionClosed:
                # the frame did not go out: wait for the next connection (within the budget)
                conn.pending.pop(echo, None)
                await self._unregister(conn)
                continue
            break
        limit = self.action_timeout if answer_timeout is None else answer_timeout
        kept = False
        try:
            async with asyncio.timeout(limit):
                # shielded only when kept: the timeout must not cancel the late answer's future
                return await (asyncio.shield(future) if keep_late else future)
        except TimeoutError:
            if not keep_late:
                raise ActionTimeout(f"{action}: no answer in time, outcome unknown") from None
            kept = True  # the entry stays: NapCat's late answer still resolves `future`
            raise ActionTimeout(f"{action}: no answer in time, outcome unknown",
                                late=future) from None  # fmt: skip
        finally:
            if not kept:
                conn.pending.pop(echo, None)

    # Thin typed wrappers of the actions the adapter uses (api/public.md + go-cqhttp/NapCat
    # extensions for files and merged forwards).

    async def send(self, chat: ChatRef, message: list[seg.Segment], **kw: Any) -> int:
        """send_private_msg / send_group_msg; the new message id."""
        if chat.kind == "group":
            action, params = "send_group_msg", {"group_id": chat.id, "message": message}
        else:
            action, params = "send_private_msg", {"user_id": chat.id, "message": message}
        data = await self.call(action, params, **kw)
        return int(data["message_id"])

    async def send_msg(self, chat: ChatRef, message: list[seg.Segment], **kw: Any) -> int:
        """The generic send_msg with an explicit message_type."""
        key = "group_id" if chat.kind == "group" else "user_id"
        params = {"message_type": chat.kind, key: chat.id, "message": message}
        data = await self.call("send_msg", params, **kw)
        return int(data["message_id"])

    async def delete_msg(self, message_id: int, **kw: Any) -> None:
        await self.call("delete_msg", {"message_id": message_id}, **kw)

    async def get_msg(self, message_id: int, **kw: Any) -> dict[str, Any]:
        data = await self.call("get_msg", {"message_id": message_id}, **kw)
        data = dict(data or {})
        data["message"] = seg.normalize(data.get("message"))
        return data

    async def get_login_info(self, **kw: Any) -> dict[str, Any]:
        return dict(await self.call("get_login_info", **kw) or {})

    async def get_image(self, file: str, **kw: Any) -> dict[str, Any]:
        """Where a received image is: `file` (a path on the implementation's host), maybe `url`."""
        return dict(await self.call("get_image", {"file": file}, **kw) or {})

    async def upload_file(self, chat: ChatRef, source: bytes | Path | str, name: str,
                          **kw: Any) -> None:  # fmt: skip
        """upload_group_file / upload_private_file (for videos too big for a video segment)."""
        params: dict[str, Any] = {"file": seg.file_ref(source), "name": name}
        if chat.kind == "group":
            await self.call("upload_group_file", {"group_id": chat.id, **params}, **kw)
        else:
            await self.call("upload_private_file", {"user_id": chat.id, **params}, **kw)

    async def send_forward(self, chat: ChatRef, nodes: list[seg.Segment], **kw: Any) -> int | None:
        """A merged-forward message of custom nodes; its message id if the implementation says."""
        if chat.kind == "group":
            data = await self.call("send_group_forward_msg",
                                   {"group_id": chat.id, "messages": nodes}, **kw)  # fmt: skip
        else:
            data = await self.call("send_private_forward_msg",
                                   {"user_id": chat.id, "messages": nodes}, **kw)  # fmt: skip
        value = (data or {}).get("message_id")
        return int(value) if value is not None else None


def _self_id(request: Request) -> int | None:
    value = (request.headers.get("X-Self-ID") or "").strip()
    return int(value) if value.isdigit() else None


def _role(request: Request, from_path: str | None) -> str | None:
    header = (request.headers.get("X-Client-Role") or "").strip().lower()
    if not header:
        return from_path or "Universal"
    return ROLES.get(header)
