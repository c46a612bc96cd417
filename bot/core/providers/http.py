"""HTTP plumbing shared by providers: one httpx client, JSON errors, host failover.

Rules it guarantees (no paid work is sent twice):
- a request is repeated on another host only when it is safe: a caller marks requests that
  create paid work as not idempotent (POST default), and those move on only when the request
  provably never reached the provider (`errors.NotSent`: connection refused, DNS, connect or
  pool timeout). 5xx, read/write timeouts, cut connections and unreadable 2xx answers are
  ambiguous for them (the task may exist upstream) and are raised, never repeated;
- idempotent calls (polls, status GETs, model lists, chat streams before their first byte)
  move on after any connection problem or 5xx, as before;
- JSON answers are read with a size cap (`JSON_MAX_BYTES`), never whole without a bound.
"""

from __future__ import annotations

import json as jsonlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx

from bot.core.providers import errors

T = TypeVar("T")

# After a host fails, prefer the next one for this long before trying the first again.
HOST_PENALTY_SECONDS = 60.0
# The biggest JSON answer read; larger ones are refused (a sick gateway or an attack).
# Endpoints that answer with base64 images pass their own, larger cap.
JSON_MAX_BYTES = 4 << 20
ERROR_BODY_MAX_BYTES = 64 << 10  # error bodies only feed a short detail: read this much
# Connections per pool of streamed answers: httpcore walks every connection of a pool each time
# a request starts or ends, so one pool of 1,000 streams costs quadratic CPU (measured: ~28 %
# of the bot's CPU with 1,000 answers streaming); several small pools keep that walk short.
STREAMS_PER_POOL = 64
# httpx errors that prove the request never left this process or never reached the host.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError,
             httpx.UnsupportedProtocol)  # fmt: skip


def make_http_client(
    connect_timeout: float,
    read_timeout: float,
    *,
    connections: int = 100,
    streams: int = 1000,
) -> httpx.AsyncClient:
    """The client providers share, with one connection pool per purpose: streamed answers
    (chat, 聚合API video streams: `Accept: text/event-stream`) have their own pools (`streams`
    connections in all), so long streams never starve submits, polls and other JSON calls. A
    stream waits for a free connection as long as it takes (callers bound streams themselves)."""
    pools = max(1, -(-streams // STREAMS_PER_POOL))
    sizes = [streams // pools + (1 if i < streams % pools else 0) for i in range(pools)]
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=30.0, pool=10.0),
        transport=_PurposePools(
            calls=httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=connections, max_keepalive_connections=20)
            ),
            streams=[
                httpx.AsyncHTTPTransport(
                    limits=httpx.Limits(
                        max_connections=max(1, size), max_keepalive_connections=max(2, 20 // pools)
                    )
                )
                for size in sizes
            ],
        ),
        follow_redirects=True,
    )


class _PurposePools(httpx.AsyncBaseTransport):
    """Routes each request to the pool of its purpose (see make_http_client); a stream goes to
    the stream pool with the fewest open streams."""

    def __init__(
        self, calls: httpx.AsyncBaseTransport, streams: list[httpx.AsyncBaseTransport]
    ) -> None:
        self._calls = calls
        self._streams = streams
        self._open = [0] * len(streams)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if "text/event-stream" not in request.headers.get("Accept", ""):
            return await self._calls.handle_async_request(request)
        timeout = request.extensions.get("timeout")
        if isinstance(timeout, dict):
            request.extensions["timeout"] = {**timeout, "pool": None}
        index = min(range(len(self._streams)), key=self._open.__getitem__)
        self._open[index] += 1
        try:
            response = await self._streams[index].handle_async_request(request)
        except BaseException:
            self._open[index] -= 1
            raise
        response.stream = _Counted(response.stream, lambda: self._release(index))
        return response

    def _release(self, index: int) -> None:
        self._open[index] -= 1

    async def aclose(self) -> None:
        await self._calls.aclose()
        for pool in self._streams:
            await pool.aclose()


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its pool router once when it is closed."""

    def __init__(self, inner: Any, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._inner:
            yield part

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if self._release is not None:
                self._release()
                self._release = None


def _detail(raw: bytes) -> str:
    """A short reason from an error body (OpenAI `error.message` or GrsAI `msg`)."""
    try:
        body = jsonlib.loads(raw)
    except ValueError:
        return raw[:400].decode("utf-8", "replace")[:200]
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:200]
        if isinstance(err, str) and err:
            return err[:200]
        for key in ("msg", "message"):
            if body.get(key):
                return str(body[key])[:200]
    return ""


def error_detail(response: httpx.Response) -> str:
    """A short reason from a read error response's body, never a header."""
    return _detail(response.content)


def raise_for_status(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise errors.error_for_status(response.status_code, error_detail(response))


def translate_transport_error(exc: httpx.HTTPError) -> errors.ProviderError:
    """httpx exceptions → our hierarchy. The URL is left out on purpose (keeps logs clean).

    NotSent only where the request provably did not reach the provider: a pool wait or a
    connect that failed. Read/write timeouts and cut connections may follow a received request.
    """
    if isinstance(exc, _NOT_SENT):
        return errors.NotSent(type(exc).__name__)
    if isinstance(exc, httpx.TimeoutException):
        return errors.Timeout(type(exc).__name__)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return errors.StreamDropped(type(exc).__name__)
    return errors.Unreachable(type(exc).__name__)


class AnswerTooLarge(Exception):
    """A body over its cap (see read_capped); callers decide what it means."""


async def read_capped(response: httpx.Response, limit: int, *, truncate: bool = False) -> bytes:
    """The (decoded) body, read piece by piece; over `limit` raises AnswerTooLarge (or, with
    `truncate`, returns the first `limit` bytes)."""
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > limit:
        raise AnswerTooLarge
    buffer = bytearray()
    async for chunk in response.aiter_bytes():
        buffer += chunk
        if len(buffer) > limit:
            if truncate:
                return bytes(buffer[:limit])
            raise AnswerTooLarge
    return bytes(buffer)


class FailoverHosts:
    """Ordered base URLs of one provider. Which failures move on to the next host depends on
    whether the request may be repeated (see the module rules)."""

    def __init__(self, base_urls: list[str]) -> None:
        self._urls = [u.rstrip("/") for u in dict.fromkeys(base_urls) if u]
        self._failed_at: dict[str, float] = {}

    def ordered(self) -> list[str]:
        now = time.monotonic()
        healthy = [
            u for u in self._urls if now - self._failed_at.get(u, -1e9) > HOST_PENALTY_SECONDS
        ]
        return healthy + [u for u in self._urls if u not in healthy]

    def mark_failed(self, url: str) -> None:
        self._failed_at[url] = time.monotonic()

    def mark_ok(self, url: str) -> None:
        self._failed_at.pop(url, None)

    async def run(self, attempt: Callable[[str], Awaitable[T]], *, idempotent: bool = True) -> T:
        """Call `attempt(base_url)` on each host in turn until one does not fail over.
        `idempotent=False`: only a request that was never sent moves on."""
        moves_on: tuple[type[errors.ProviderError], ...] = (
            (errors.Unreachable, errors.ServerError) if idempotent else (errors.NotSent,)
        )
        last: errors.ProviderError | None = None
        for url in self.ordered():
            try:
                result = await attempt(url)
            except moves_on as exc:
                self.mark_failed(url)
                last = exc
                continue
            except (errors.Unreachable, errors.ServerError, errors.Timeout, errors.StreamDropped):
                self.mark_failed(url)  # sick for later requests; this one is not repeated
                raise
            self.mark_ok(url)
            return result
        assert last is not None
        raise last


class JsonApi:
    """Bearer-authenticated JSON calls against one provider's failover hosts."""

    def __init__(self, http: httpx.AsyncClient, api_key: str, hosts: FailoverHosts) -> None:
        self._http = http
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.hosts = hosts

    @property
    def headers(self) -> dict[str, str]:
        return self._headers

    @property
    def http(self) -> httpx.AsyncClient:
        return self._http

    async def post(
        self,
        path: str,
        payload: dict[str, Any],
        read_timeout: float | None = None,
        *,
        idempotent: bool = False,
        max_bytes: int = JSON_MAX_BYTES,
    ) -> Any:
        """A POST; by default it may create paid work, so it is never repeated unless it was
        never sent. Polls and other harmless POSTs pass `idempotent=True`."""
        return await self.request("POST", path, json=payload, read_timeout=read_timeout,
                                  idempotent=idempotent, max_bytes=max_bytes)  # fmt: skip

    async def get(self, path: str) -> Any:
        return await self.request("GET", path, idempotent=True)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, Any] | None = None,
        read_timeout: float | None = None,
        idempotent: bool | None = None,
        max_bytes: int = JSON_MAX_BYTES,
    ) -> Any:
        """One JSON-answering call; `read_timeout` overrides the client's for slow endpoints,
        `data`/`files` send multipart instead of JSON. `idempotent` defaults to GET only."""
        repeatable = method.upper() == "GET" if idempotent is None else idempotent
        headers = self._headers
        if files is not None or data is not None:
            # httpx sets the multipart boundary itself; our JSON content type must not win.
            headers = {k: v for k, v in headers.items() if k != "Content-Type"}
        extra: dict[str, Any] = {}
        if read_timeout is not None:
            extra["timeout"] = httpx.Timeout(self._http.timeout.connect, read=read_timeout,
                                             write=60.0, pool=10.0)  # fmt: skip

        def unreadable(why: str, status: int) -> errors.ProviderError:
            # A 2xx we cannot read: for a paid request the task may exist upstream.
            if repeatable:
                return errors.ServerError(why, status=status)
            return errors.AmbiguousSubmit(why, status=status)

        async def attempt(base: str) -> Any:
            request = self._http.build_request(
                method, base + path, json=json, data=data, files=files, headers=headers, **extra
            )
            try:
                response = await self._http.send(request, stream=True)
                try:
                    if response.status_code >= 400:
                        raw = await read_capped(response, ERROR_BODY_MAX_BYTES, truncate=True)
                        raise errors.error_for_status(response.status_code, _detail(raw))
                    raw = await read_capped(response, max_bytes)
                finally:
                    await response.aclose()
            except httpx.HTTPError as exc:
                raise translate_transport_error(exc) from None
            except AnswerTooLarge:
                raise unreadable("answer too large", response.status_code) from None
            try:
                return jsonlib.loads(raw)
            except ValueError:
                raise unreadable("invalid JSON", response.status_code) from None

        return await self.hosts.run(attempt, idempotent=repeatable)

    @asynccontextmanager
    async def stream(
        self,
        path: str,
        payload: dict[str, Any],
        read_timeout: float | None = None,
        *,
        idempotent: bool = True,
    ) -> AsyncIterator[httpx.Response]:
        """Open a streamed POST on the first host that answers 2xx; failover only before data.
        `read_timeout` overrides the client's gap allowed between two pieces of the stream.
        Chat turns are idempotent; a stream that creates paid work passes `idempotent=False`."""
        extra: dict[str, Any] = {}
        if read_timeout is not None:
            extra["timeout"] = httpx.Timeout(self._http.timeout.connect, read=read_timeout,
                                             write=60.0, pool=10.0)  # fmt: skip

        async def attempt(base: str) -> httpx.Response:
            request = self._http.build_request(
                "POST",
                base + path,
                json=payload,
                headers={**self._headers, "Accept": "text/event-stream"},
                **extra,
            )
            try:
                response = await self._http.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise translate_transport_error(exc) from None
            if response.status_code >= 400:
                try:
                    raw = await read_capped(response, ERROR_BODY_MAX_BYTES, truncate=True)
                except httpx.HTTPError:
                    raw = b""
                finally:
                    await response.aclose()
                raise errors.error_for_status(response.status_code, _detail(raw))
            return response

        response = await self.hosts.run(attempt, idempotent=idempotent)
        try:
            yield response
        finally:
            await response.aclose()
