"""download_result against the fake GrsAI's result files and a tiny scripted aiohttp server."""

from __future__ import annotations

import hashlib
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.core.media import download
from bot.core.media.download import UrlPolicy, image_info, save_bytes, sniff_mime
from bot.core.providers import errors
from bot.core.providers.base import GenerationRequest, JobKind
from bot.core.providers.grsai_tasks import GrsAITasks
from bot.core.providers.http import FailoverHosts, JsonApi
from tests.fakes.grsai import FakeGrsAI, TaskScript

MB = 1024 * 1024
# The fakes listen on 127.0.0.1: like a provider whose own base URL is loopback.
LOCAL = UrlPolicy(allow_private=True)


async def download_result(*args: Any, **kwargs: Any) -> download.DownloadedMedia:
    kwargs.setdefault("policy", LOCAL)
    return await download.download_result(*args, **kwargs)
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomavc1"


async def finished(fake: FakeGrsAI, http: httpx.AsyncClient, script: TaskScript) -> tuple[str, str]:
    """Run a scripted task to its end on the fake; (task id, result URL)."""
    fake.script_task(script)
    tasks = GrsAITasks(JsonApi(http, fake.api_key, FailoverHosts([fake.base_url])))
    task_id = await tasks.submit(GenerationRequest(kind=cast(JobKind, script.kind), prompt="x"))
    state = await tasks.poll(task_id)
    while state.status == "running":
        state = await tasks.poll(task_id)
    assert state.status == "succeeded" and state.results[0].url
    return task_id, state.results[0].url


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Start a one-route server (GET /f) for behaviours the fake does not offer; its URL."""
    servers: list[TestServer] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_get("/f", handler)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("/f"))

    yield start
    for server in servers:
        await server.close()


# -- success ----------------------------------------------------------------------------------


async def test_image_bytes_and_sha256_are_identical(
    fake: FakeGrsAI, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    task_id, url = await finished(fake, http, TaskScript(kind="image", width=320, height=200))
    dest = tmp_path / "out" / "result.png"

    media = await download_result(http, url, dest, kind="image", max_bytes=10 * MB)

    expected = b"".join(fake.expected_bytes(task_id))
    assert dest.read_bytes() == expected
    assert media.path == dest
    assert media.size == len(expected) == fake.result_size(task_id)
    assert media.sha256 == hashlib.sha256(expected).hexdigest() == fake.result_sha256(task_id)
    assert (media.mime, media.width, media.height) == ("image/png", 320, 200)
    assert leftovers(dest.parent) == ["result.png"]


async def test_video_download(fake: FakeGrsAI, http: httpx.AsyncClient, tmp_path: Path) -> None:
    task_id, url = await finished(fake, http, TaskScript(kind="video", result_size=300_000))
    media = await download_result(http, url, tmp_path / "v.mp4", kind="video", max_bytes=MB)
    assert media.sha256 == fake.result_sha256(task_id)
    assert (media.mime, media.width, media.height, media.size) == ("video/mp4", None, None, 300_000)


async def test_large_video_streams_with_bounded_memory(
    fake: FakeGrsAI, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    size = 12 * MB
    task_id, url = await finished(fake, http, TaskScript(kind="video", result_size=size))
    tracemalloc.start()
    try:
        media = await download_result(http, url, tmp_path / "big.mp4", kind="video", max_bytes=size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert media.size == size
    assert media.sha256 == fake.result_sha256(task_id)
    # Peak covers the fake server too (same process); still far below the file's size.
    assert peak < size / 8, peak


# -- failures ---------------------------------------------------------------------------------


async def test_expired_url_is_result_expired_without_retry(
    fake: FakeGrsAI, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    _, url = await finished(fake, http, TaskScript(kind="image", width=8, height=8, url_ttl=0))
    with pytest.raises(errors.ResultExpired):
        await download_result(http, url, tmp_path / "x.png", kind="image", max_bytes=MB)
    assert len(fake.requests_to(urlsplit(url).path)) == 1
    assert leftovers(tmp_path) == []


async def test_unknown_file_is_result_expired(
    fake: FakeGrsAI, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    url = f"{fake.base_url}/files/gone.png"
    with pytest.raises(errors.ResultExpired) as info:
        await download_result(http, url, tmp_path / "x.png", kind="image", max_bytes=MB)
    assert info.value.status == 404


async def test_500_then_success_is_retried(
    fake: FakeGrsAI, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    task_id, url = await finished(fake, http, TaskScript(kind="image", width=16, height=16))
    path = urlsplit(url).path
    fake.fail_next(path, 500)
    media = await download_result(http, url, tmp_path / "x.png", kind="image", max_bytes=MB)
    assert media.sha256 == fake.result_sha256(task_id)
    assert len(fake.requests_to(path)) == 2


async def test_persistent_500_gives_server_error_once_the_url_is_near_expiry(
    fake: FakeGrsAI, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    _, url = await finished(fake, http, TaskScript(kind="image", width=16, height=16))
    path = urlsplit(url).path
    fake.fail_next(path, 503, times=50)
    with pytest.raises(errors.ServerError):
        await download_result(http, url, tmp_path / "x.png", kind="image", max_bytes=MB,
                              retry_until=time.time() + 1.2)  # fmt: skip
    assert 2 <= len(fake.requests_to(path)) < 50
    assert leftovers(tmp_path) == []


async def test_read_error_mid_body_is_retried(
    http: httpx.AsyncClient, tmp_path: Path, serve: Callable[[Handler], Awaitable[str]]
) -> None:
    body = MP4_HEAD + bytes(range(256)) * 2000
    calls = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal calls
        calls += 1
        resp = web.StreamResponse(headers={"Content-Length": str(len(body))})
        await resp.prepare(request)
        if calls == 1:
            await resp.write(body[:100_000])
            assert request.transport is not None
            request.transport.abort()  # the connection breaks mid-body
            return resp
        await resp.write(body)
        return resp

    url = await serve(handler)
    media = await download_result(http, url, tmp_path / "v.mp4", kind="video", max_bytes=MB)
    assert calls == 2
    assert (tmp_path / "v.mp4").read_bytes() == body
    assert media.sha256 == hashlib.sha256(body).hexdigest()


async def test_too_large_by_content_length(
    fake: FakeGrsAI, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    _, url = await finished(fake, http, TaskScript(kind="video", result_size=2 * MB))
    with pytest.raises(errors.BadRequest, match="result too large"):
        await download_result(http, url, tmp_path / "v.mp4", kind="video", max_bytes=MB)
    assert leftovers(tmp_path) == []


async def test_too_large_by_count_without_content_length(
    http: httpx.AsyncClient, tmp_path: Path, serve: Callable[[Handler], Awaitable[str]]
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()  # no Content-Length: the size must be counted
        await resp.prepare(request)
        await resp.write(MP4_HEAD)
        for _ in range(40):
            await resp.write(b"\x00" * 65536)
        await resp.write_eof()
        return resp

    url = await serve(handler)
    with pytest.raises(errors.BadRequest, match="result too large"):
        await download_result(http, url, tmp_path / "v.mp4", kind="video", max_bytes=MB)
    assert leftovers(tmp_path) == []


async def test_not_an_image_is_task_failed(
    fake: FakeGrsAI, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    html = b"<html><body>Access denied</body></html>"
    _, url = await finished(fake, http, TaskScript(kind="image", result_bytes=html))
    with pytest.raises(errors.TaskFailed, match="invalid image"):
        await download_result(http, url, tmp_path / "x.png", kind="image", max_bytes=MB)
    assert leftovers(tmp_path) == []


async def test_truncated_png_header_is_task_failed(
    fake: FakeGrsAI, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    _, url = await finished(
        fake, http, TaskScript(kind="image", result_bytes=b"\x89PNG\r\n\x1a\n\x00\x00")
    )
    with pytest.raises(errors.TaskFailed, match="invalid image"):
        await download_result(http, url, tmp_path / "x.png", kind="image", max_bytes=MB)


async def test_not_a_video_is_task_failed(
    fake: FakeGrsAI, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    _, url = await finished(fake, http, TaskScript(kind="video", result_bytes=b"\x00" * 5000))
    with pytest.raises(errors.TaskFailed, match="invalid video"):
        await download_result(http, url, tmp_path / "v.mp4", kind="video", max_bytes=MB)
    assert leftovers(tmp_path) == []


# -- sniffing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (MP4_HEAD, "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm", "video/webm"),
        (b"<html>", None),
        (b"", None),
    ],
)
def test_sniff_mime(head: bytes, mime: str | None) -> None:
    assert sniff_mime(head) == mime


def test_image_info(tmp_path: Path) -> None:
    gif = tmp_path / "a.gif"
    gif.write_bytes(b"GIF89a\x03\x00\x02\x00\x00\x00\x00;")
    assert image_info(gif) == (3, 2, "image/gif")
    other = tmp_path / "b.bin"
    other.write_bytes(MP4_HEAD)
    assert image_info(other) is None
    assert image_info(tmp_path / "missing") is None


# -- bytes from synchronous providers ---------------------------------------------------------


async def test_save_bytes_validates_and_writes_atomically(tmp_path: Path) -> None:
    gif = b"GIF89a\x03\x00\x02\x00\x00\x00\x00;"
    media = await save_bytes(gif, tmp_path / "d" / "a.img", kind="image", max_bytes=MB)
    assert (media.mime, media.width, media.height, media.size) == ("image/gif", 3, 2, len(gif))
    assert media.sha256 == hashlib.sha256(gif).hexdigest()
    assert (tmp_path / "d" / "a.img").read_bytes() == gif

    with pytest.raises(errors.TaskFailed, match="invalid image"):
        await save_bytes(b"nope", tmp_path / "b.img", kind="image", max_bytes=MB)
    with pytest.raises(errors.BadRequest, match="result too large"):
        await save_bytes(MP4_HEAD * 10, tmp_path / "c.mp4", kind="video", max_bytes=100)
    assert leftovers(tmp_path) == ["d"]


# -- retries until the URL is near expiry ----------------------------------------------------


async def test_429_with_retry_after_is_waited_out_and_retried(
    http: httpx.AsyncClient, tmp_path: Path, serve: Callable[[Handler], Awaitable[str]]
) -> None:
    body = MP4_HEAD + b"x" * 1000
    calls: list[float] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return web.Response(status=429, headers={"Retry-After": "1"})
        return web.Response(body=body)

    url = await serve(handler)
    await download_result(http, url, tmp_path / "v.mp4", kind="video", max_bytes=MB)
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.9
    assert (tmp_path / "v.mp4").read_bytes() == body


async def test_transient_failures_are_retried_for_longer_than_a_few_seconds(
    http: httpx.AsyncClient, tmp_path: Path, serve: Callable[[Handler], Awaitable[str]]
) -> None:
    body = MP4_HEAD + b"y" * 1000
    started = time.monotonic()

    async def handler(request: web.Request) -> web.StreamResponse:
        if time.monotonic() - started < 3.5:  # a hiccup longer than the old ~2 s of retries
            return web.Response(status=503)
        return web.Response(body=body)

    url = await serve(handler)
    await download_result(http, url, tmp_path / "v.mp4", kind="video", max_bytes=MB)
    assert (tmp_path / "v.mp4").read_bytes() == body


# -- untrusted URLs --------------------------------------------------------------------------


async def test_loopback_url_is_refused_for_a_provider_on_a_public_host(
    http: httpx.AsyncClient, tmp_path: Path, serve: Callable[[Handler], Awaitable[str]]
) -> None:
    calls = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal calls
        calls += 1
        return web.Response(body=MP4_HEAD)

    url = await serve(handler)
    with pytest.raises(errors.TaskFailed):
        await download_result(http, url, tmp_path / "v.mp4", kind="video", max_bytes=MB,
                              policy=UrlPolicy())  # fmt: skip
    assert calls == 0 and leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "ftp://x.example/a",
     "file:///etc/passwd", "http://100.100.100.200/latest/meta-data/", "http://0.0.0.0/"],
)  # fmt: skip
async def test_redirect_hops_are_checked_before_they_are_requested(
    http: httpx.AsyncClient, tmp_path: Path, serve: Callable[[Handler], Awaitable[str]],
    target: str,
) -> None:  # fmt: skip
    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(target)

    url = await serve(handler)
    with pytest.raises(errors.TaskFailed):
        await download_result(http, url, tmp_path / "v.mp4", kind="video", max_bytes=MB)
    assert leftovers(tmp_path) == []


async def test_allowed_redirects_are_followed_up_to_a_limit(
    http: httpx.AsyncClient, tmp_path: Path, serve: Callable[[Handler], Awaitable[str]]
) -> None:
    hops = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal hops
        hops += 1
        left = int(request.query.get("n", "0"))
        if left:
            raise web.HTTPFound(f"/f?n={left - 1}")
        return web.Response(body=MP4_HEAD)

    url = await serve(handler)
    await download_result(http, url + "?n=3", tmp_path / "v.mp4", kind="video", max_bytes=MB)
    assert hops == 4
    with pytest.raises(errors.TaskFailed):
        await download_result(http, url + "?n=50", tmp_path / "w.mp4", kind="video",
                              max_bytes=MB)  # fmt: skip


async def test_the_download_connects_to_the_address_that_was_checked(
    http: httpx.AsyncClient, tmp_path: Path, serve: Callable[[Handler], Awaitable[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """No second DNS lookup between the check and the connect (DNS rebinding): the checked
    address is dialled, the name goes in Host (and SNI for https)."""
    hosts: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        hosts.append(request.headers["Host"])
        return web.Response(body=MP4_HEAD)

    port = urlsplit(await serve(handler)).port
    real_resolve = download._resolve

    async def resolve(host: str, port: int) -> list[Any]:
        if host == "results.rebind.invalid":  # resolvable only through the checked lookup
            return await real_resolve("127.0.0.1", port)
        return await real_resolve(host, port)

    monkeypatch.setattr(download, "_resolve", resolve)
    url = f"http://results.rebind.invalid:{port}/f"
    await download_result(http, url, tmp_path / "v.mp4", kind="video", max_bytes=MB,
                          retry_until=time.time() + 1)  # fmt: skip
    assert hosts == [f"results.rebind.invalid:{port}"]


def test_file_urls_are_accepted_only_inside_the_staging_folder(tmp_path: Path) -> None:
    root = tmp_path / "staged"
    root.mkdir()
    inside = root / "sync-x-0.bin"
    policy = UrlPolicy(staging_root=root)
    assert policy.staged_file(f"file://{inside}") == inside
    assert policy.staged_file("https://example.com/a.png") is None
    for outside in (tmp_path / "media" / "a.png", root / ".." / "media" / "a.png"):
        with pytest.raises(errors.TaskFailed):
            policy.staged_file(f"file://{outside}")
    with pytest.raises(errors.TaskFailed):
        UrlPolicy().staged_file(f"file://{inside}")


@pytest.mark.parametrize(
    "address",
    ["2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
     "2002:6464:64c8::1",  # 6to4 of 100.100.100.200 (Alibaba metadata)
     "64:ff9b::a9fe:a9fe",  # NAT64 (well-known prefix) of 169.254.169.254
     "64:ff9b:1::a9fe:a9fe",  # NAT64 (local-use prefix)
     "::ffff:169.254.169.254",  # IPv4-mapped
     "::169.254.169.254",  # IPv4-compatible (deprecated)
     "2001:0:4136:e378:8000:63bf:5601:5601"],  # Teredo, client 169.254.169.254
)  # fmt: skip
@pytest.mark.parametrize("allow_private", [False, True])
def test_ipv6_addresses_embedding_a_refused_ipv4_address_are_refused(
    address: str, allow_private: bool
) -> None:
    import ipaddress

    assert not UrlPolicy(allow_private=allow_private).check_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["2002:a9fe:a9fe::1", "64:ff9b::a9fe:a9fe"])
async def test_redirect_to_an_address_embedding_the_metadata_address_is_refused(
    http: httpx.AsyncClient, tmp_path: Path, serve: Callable[[Handler], Awaitable[str]],
    address: str,
) -> None:  # fmt: skip
    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"http://[{address}]/latest/meta-data/")

    url = await serve(handler)
    with pytest.raises(errors.TaskFailed):
        await download_result(http, url, tmp_path / "v.mp4", kind="video", max_bytes=MB,
                              retry_until=time.time() + 2)  # fmt: skip
    assert leftovers(tmp_path) == []


def test_nat64_and_6to4_of_a_public_address_are_judged_by_that_address() -> None:
    import ipaddress

    policy = UrlPolicy()
    assert policy.check_address(ipaddress.ip_address("2002:0808:0808::1"))  # 8.8.8.8
    assert policy.check_address(ipaddress.ip_address("64:ff9b::808:808"))
    assert not policy.check_address(ipaddress.ip_address("2002:7f00:0001::1"))  # 127.0.0.1
