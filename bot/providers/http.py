"""HTTP plumbing shared by providers: one httpx client, JSON errors, host failover."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx

from bot.providers import errors

T = TypeVar("T")

# After a host fails, prefer the next one for this long before trying the first again.
HOST_PENALTY_SECONDS = 60.0


def make_http_client(
    connect_timeout: float,
    read_timeout: float,
    *,
    connections: int = 100,
    streams: int = 1000,
) -> httpx.AsyncClient:
    """The client providers share, with one connection pool per purpose: streamed answers
    (chat, 聚合API video streams: `Accept: text/event-stream`) have their own pool, so long
    streams never starve submits, polls and other JSON calls. A stream waits for a free
    connection of its pool as long as it takes (callers bound streams themselves)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=30.0, pool=10.0),
        transport=_PurposePools(
            calls=httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=connections, max_keepalive_connections=20)
            ),
            streams=httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=streams, max_keepalive_connections=20)
            ),
        ),
        follow_redirects=True,
    )


class _PurposePools(httpx.AsyncBaseTransport):
    """Routes each request to the pool of its purpose (see make_http_client)."""

    def __init__(self, calls: httpx.AsyncBaseTransport, streams: httpx.AsyncBaseTransport) -> None:
        self._calls = calls
        self._streams = streams

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if "text/event-stream" in request.headers.get("Accept", ""):
            timeout = request.extensions.get("timeout")
            if isinstance(timeout, dict):
                request.extensions["timeout"] = {**timeout, "pool": None}
            return await self._streams.handle_async_request(request)
        return await self._calls.handle_async_request(request)

    async def aclose(self) -> None:
        await self._calls.aclose()
        await self._streams.aclose()


def error_detail(response: httpx.Response) -> str:
    """A short reason from an error body (OpenAI `error.message` or GrsAI `msg`), never a header."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
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


def raise_for_status(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise errors.error_for_status(response.status_code, error_detail(response))


def translate_transport_error(exc: httpx.HTTPError) -> errors.ProviderError:
    """httpx exceptions → our hierarchy. The URL is left out on purpose (keeps logs clean)."""
    if isinstance(exc, httpx.TimeoutException):
        return errors.Timeout(type(exc).__name__)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return errors.StreamDropped(type(exc).__name__)
    return errors.Unreachable(type(exc).__name__)


class FailoverHosts:
    """Ordered base URLs of one provider. Connection errors and 5xx move on to the next host."""

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

    async def run(self, attempt: Callable[[str], Awaitable[T]]) -> T:
        """Call `attempt(base_url)` on each host in turn until one does not fail over."""
        last: errors.ProviderError | None = None
        for url in self.ordered():
            try:
                result = await attempt(url)
            except (errors.Unreachable, errors.ServerError) as exc:
                self.mark_failed(url)
                last = exc
                continue
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
        self, path: str, payload: dict[str, Any], read_timeout: float | None = None
    ) -> Any:
        return await self.request("POST", path, json=payload, read_timeout=read_timeout)

    async def get(self, path: str) -> Any:
        return await self.request("GET", path)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, Any] | None = None,
        read_timeout: float | None = None,
    ) -> Any:
        """One JSON-answering call; `read_timeout` overrides the client's for slow endpoints,
        `data`/`files` send multipart instead of JSON."""
        headers = self._headers
        if files is not None or data is not None:
            # httpx sets the multipart boundary itself; our JSON content type must not win.
            headers = {k: v for k, v in headers.items() if k != "Content-Type"}
        extra: dict[str, Any] = {}
        if read_timeout is not None:
            extra["timeout"] = httpx.Timeout(self._http.timeout.connect, read=read_timeout,
                                             write=60.0, pool=10.0)  # fmt: skip

        async def attempt(base: str) -> Any:
            try:
                response = await self._http.request(
                    method, base + path, json=json, data=data, files=files, headers=headers,
                    **extra,
                )  # fmt: skip
            except httpx.HTTPError as exc:
                raise translate_transport_error(exc) from None
            raise_for_status(response)
            try:
                return response.json()
            except ValueError:
                raise errors.ServerError("invalid JSON", status=response.status_code) from None

        return await self.hosts.run(attempt)

    @asynccontextmanager
    async def stream(
        self, path: str, payload: dict[str, Any], read_timeout: float | None = None
    ) -> AsyncIterator[httpx.Response]:
        """Open a streamed POST on the first host that answers 2xx; failover only before data.
        `read_timeout` overrides the client's gap allowed between two pieces of the stream."""
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
                    await response.aread()
                finally:
                    await response.aclose()
                raise_for_status(response)
            return response

        response = await self.hosts.run(attempt)
        try:
            yield response
        finally:
            await response.aclose()
