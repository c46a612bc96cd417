"""Fetch a generated result from its (short-lived) upstream URL onto local disk, safely.

Upstream result URLs expire after about two hours, so results are copied at once. The body is
streamed to a `.part` file, fsynced and renamed into place, so `dest` either holds a complete,
validated file or does not exist. No Telegram types here.

The URL comes from the provider and is not trusted (see UrlPolicy): only http(s), every
redirect hop is checked before it is requested, link-local and cloud metadata addresses are
always refused, private and loopback ones only allowed for a provider that itself lives on
one; an IPv6 address carrying an IPv4 one (mapped, NAT64, 6to4, Teredo) is judged by that
IPv4 address too. Transient failures (5xx, 429, timeouts, resets) are retried with capped
backoff until shortly before the URL expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal
from urllib.parse import urljoin, urlsplit

import httpx
import imagesize
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_before_delay,
    wait_exponential,
    wait_random,
)

from bot.core.providers import errors
from bot.core.providers.http import translate_transport_error

CHUNK_SIZE = 64 * 1024
HEAD_SIZE = 64  # enough for every signature sniffed below
# Result URLs are valid this long after the task finished; retries stop this much earlier
# (a download that starts just before expiry would fail half-way anyway).
RESULT_URL_TTL = 2 * 3600.0
EXPIRY_MARGIN = 10 * 60.0
RETRY_WAIT_FIRST = 0.5  # seconds; doubles per attempt …
RETRY_WAIT_MAX = 60.0  # … up to this (Retry-After may ask for more, capped at 10 min)
MAX_REDIRECTS = 5

# Failures worth another try: the host or the connection hiccuped, not the URL itself.
_TRANSIENT = (errors.ServerError, errors.Unreachable, errors.Timeout, errors.StreamDropped,
              errors.RateLimited)  # fmt: skip
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Cloud metadata services (AWS/GCP/Azure, Alibaba, AWS IPv6): never a result's home.
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254")
)
REFUSED_DETAIL = "结果地址不安全，已拒绝下载"
# What an expired or revoked signed OSS/S3 URL answers.
_EXPIRED_STATUSES = frozenset({403, 404, 410})

IMAGE_MIMES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
VIDEO_MIMES = frozenset({"video/mp4", "video/quicktime", "video/webm"})


@dataclass(frozen=True)
class DownloadedMedia:
    """A result saved at `path`; `sha256` and `size` describe exactly the bytes on disk."""

    path: Path
    size: int
    sha256: str
    mime: str
    width: int | None = None
    height: int | None = None


def sniff_mime(head: bytes) -> str | None:
    """The MIME type recognised from a file's first bytes (≥ 16 suffice), or None.

    Images: PNG, JPEG, GIF, WebP. Videos: ISO-BMFF with an `ftyp` box at offset 4 (MOV when
    the brand is `qt  `, otherwise MP4) and EBML (WebM).
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


def image_info(path: Path) -> tuple[int, int, str] | None:
    """(width, height, mime) of a PNG/JPEG/GIF/WebP file, or None if it is not a readable one.

    Blocking (reads the file); call it through `asyncio.to_thread` from async code.
    """
    try:
        with path.open("rb") as f:
            head = f.read(HEAD_SIZE)
    except OSError:
        return None
    mime = sniff_mime(head)
    if mime not in IMAGE_MIMES:
        return None
    width, height = imagesize.get(path)  # (-1, -1) when the header cannot be parsed
    if width <= 0 or height <= 0:
        return None
    return width, height, mime


@dataclass(frozen=True)
class UrlPolicy:
    """Where one provider's result URLs may point."""

    allow_private: bool = False  # loopback/private/shared addresses (the provider is on one)
    staging_root: Path | None = None  # file:// URLs are accepted only inside this folder
    # Private addresses accepted one by one (e.g. the host the OneBot implementation connected
    # from, which serves the pictures users send); every other private address stays refused.
    trusted: frozenset[ipaddress.IPv4Address | ipaddress.IPv6Address] = frozenset()

    def check_address(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        """True when a connection to `ip` is acceptable. An IPv6 address that carries an
        IPv4 one (mapped, compatible, NAT64, 6to4, Teredo) reaches that IPv4 address in the
        end, so the IPv4 address must be acceptable too."""
        if isinstance(ip, ipaddress.IPv6Address):
            translated = _translated_ipv4(ip)
            if translated is not None:  # the IPv6 form is only a way to spell it
                ip = translated
            elif not all(self._accepts(inner) for inner in _tunnelled_ipv4(ip)):
                return False
        return self._accepts(ip)

    def _accepts(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        if ip in self.trusted and ip not in _METADATA and not ip.is_link_local:
            return True
        if (ip in _METADATA or ip.is_link_local or ip.is_multicast or ip.is_unspecified
                or ip.is_reserved or ip in _THIS_NETWORK):  # fmt: skip
            return False
        return ip.is_global or self.allow_private

    def staged_file(self, url: str) -> Path | None:
        """The local file behind a `file://` URL inside the staging folder; None for other
        schemes; TaskFailed for a file URL anywhere else."""
        if not url.startswith("file://"):
            return None
        root = self.staging_root
        path = Path(url[len("file://") :])
        if root is None or not path.resolve().is_relative_to(root.resolve()):
            raise errors.TaskFailed(REFUSED_DETAIL)
        return path


# NAT64 prefixes (RFC 6052 well-known, RFC 8215 local-use): the last 32 bits are the IPv4 host.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_COMPATIBLE = ipaddress.ip_network("::/96")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # deprecated IPv4-compatible ::a.b.c.d


def _translated_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, -compatible or NAT64 address stands for."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if any(ip in net for net in _NAT64) or (ip in _COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _tunnelled_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses a 6to4 (2002::/16) or Teredo (2001::/32) address tunnels to."""
    found = [ip.sixtofour] if ip.sixtofour is not None else []
    if ip.teredo is not None:
        found += list(ip.teredo)  # (server, client)
    return found


async def policy_for_base_url(base_url: str, staging_root: Path | None) -> UrlPolicy:
    """A provider on a private or loopback address may hand out URLs on such addresses too."""
    private = False
    try:
        for ip in await _resolve(urlsplit(base_url).hostname or "", 443):
            private = private or not ip.is_global
    except errors.ProviderError:
        pass  # unknown: stay strict
    return UrlPolicy(allow_private=private, staging_root=staging_root)


async def policies_for(
    base_urls: dict[str, list[str]], staging_root: Path
) -> dict[str, UrlPolicy]:
    """One policy per provider name from its configured base URL(s): private addresses are
    allowed only when every one of its own hosts is private or loopback."""
    policies = {}
    for name, urls in base_urls.items():
        found = [await policy_for_base_url(u, staging_root) for u in urls if u]
        private = bool(found) and all(p.allow_private for p in found)
        policies[name] = UrlPolicy(allow_private=private, staging_root=staging_root)
    return policies


async def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise errors.Unreachable("result host not resolvable") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def check_url(url: str, policy: UrlPolicy) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """TaskFailed unless `url` is http(s) and every address its host resolves to is allowed;
    the address to dial. Callers connect to exactly that address (see `_pinned`), so a host
    cannot resolve to another address between the check and the connect (DNS rebinding)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.TaskFailed(REFUSED_DETAIL)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await _resolve(parts.hostname, port)
    if not addresses or not all(policy.check_address(ip) for ip in addresses):
        raise errors.TaskFailed(REFUSED_DETAIL)
    return addresses[0]


def _pinned(
    url: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> tuple[str, dict[str, str], dict[str, str]]:
    """(URL with the checked address as host, headers, httpx extensions): the name still goes
    in Host, and in SNI for https so the certificate is checked against it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return url, {}, {}  # already an address: nothing to resolve
    except ValueError:
        pass
    dial = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{dial}:{parts.port}" if parts.port else dial
    shown = f"{host}:{parts.port}" if parts.port else host
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"Host": shown}, extensions


class _Wait:
    """tenacity wait: capped exponential backoff with jitter, at least a 429's Retry-After,
    never past the deadline."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.backoff = wait_exponential(multiplier=RETRY_WAIT_FIRST, max=RETRY_WAIT_MAX)
        self.jitter = wait_random(0, 0.2)

    def __call__(self, state: RetryCallState) -> float:
        wait = self.backoff(state) + self.jitter(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            wait = max(wait, min(float(retry_after), 600.0))
        return max(0.0, min(wait, self.deadline - time.time()))


async def download_result(
    http: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    kind: Literal["image", "video"],
    max_bytes: int,
    policy: UrlPolicy | None = None,
    retry_until: float | None = None,
) -> DownloadedMedia:
    """Download `url` to `dest` and check it really is an image/video of `kind`.

    Streams to `dest.with_suffix(".part")` in 64 KiB chunks (hashing as it goes), fsyncs and
    atomically renames. `url` and each redirect hop must pass `policy` (default: public
    addresses only), else TaskFailed. Connection errors, read errors, timeouts, 5xx and 429
    (honouring Retry-After) are retried with capped exponential backoff until `retry_until`
    (a time.time(); default: the URL's lifetime from now minus a margin). Raises
    `ResultExpired` for 403/404/410, `BadRequest("result too large")` above `max_bytes`,
    `TaskFailed("invalid image" | "invalid video")` when the bytes are not what `kind`
    promises; the part file is removed on every failure and `dest` is only ever created
    complete.
    """
    policy = policy or UrlPolicy()
    if retry_until is None:
        retry_until = time.time() + RESULT_URL_TTL - EXPIRY_MARGIN
    part = dest.with_suffix(".part")
    await asyncio.to_thread(dest.parent.mkdir, parents=True, exist_ok=True)
    try:
        # tenacity rather than a hand-written loop: stop/wait/retry predicates are declarative,
        # jitter is built in, and `reraise` hands back our own error after the last attempt.
        retrying = AsyncRetrying(
            stop=stop_before_delay(max(0.0, retry_until - time.time())),
            wait=_Wait(retry_until),
            retry=retry_if_exception_type(_TRANSIENT),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                size, digest, head = await _fetch_once(http, url, part, max_bytes, policy)
    except BaseException:
        # Also on cancellation: never leave a half-written part file behind.
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise
    return await _keep(part, dest, size, digest, head, kind)


async def save_bytes(
    data: bytes, dest: Path, *, kind: Literal["image", "video"], max_bytes: int
) -> DownloadedMedia:
    """Store a result that arrived as bytes (synchronous providers) like `download_result`:
    same size limit, same validation, same `.part` + fsync + atomic rename, same errors."""
    if len(data) > max_bytes:
        raise errors.BadRequest("result too large")
    part = dest.with_suffix(".part")
    try:
        await asyncio.to_thread(_write_all, part, data)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise
    digest = hashlib.sha256(data).hexdigest()
    return await _keep(part, dest, len(data), digest, data[:HEAD_SIZE], kind)


async def copy_file(
    source: Path, dest: Path, *, kind: Literal["image", "video"], max_bytes: int
) -> DownloadedMedia:
    """Copy a local file (one another program reports, e.g. NapCat's cache) like
    `download_result` stores a download: size checked before reading (and counted while
    copying, the file may grow), 64 KiB chunks never the whole file in memory, the same
    validation, `.part` + fsync + atomic rename, the same errors (`BadRequest("result too
    large")`, `TaskFailed("invalid image" | "invalid video")`; an unreadable file is
    `TaskFailed("unreadable file")`)."""
    part = dest.with_suffix(".part")
    try:
        size, digest, head = await asyncio.to_thread(_copy_capped, source, part, max_bytes)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise
    return await _keep(part, dest, size, digest, head, kind)


async def _keep(
    part: Path, dest: Path, size: int, digest: str, head: bytes, kind: Literal["image", "video"]
) -> DownloadedMedia:
    """Validate a written `.part` file and move it into place (removed if it is refused)."""
    try:
        mime, width, height = await _validate(part, head, kind)
        await asyncio.to_thread(_commit, part, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise
    return DownloadedMedia(dest, size, digest, mime, width, height)


def _copy_capped(source: Path, part: Path, max_bytes: int) -> tuple[int, str, bytes]:
    try:
        if not source.is_file():  # not a directory, a device or a pipe (which could block)
            raise errors.TaskFailed("unreadable file")
        if source.stat().st_size > max_bytes:
            raise errors.BadRequest("result too large")
        part.parent.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        size, head = 0, b""
        with source.open("rb") as src, part.open("wb") as out:
            while chunk := src.read(CHUNK_SIZE):
                size += len(chunk)
                if size > max_bytes:  # it grew since the check
                    raise errors.BadRequest("result too large")
                hasher.update(chunk)
                head += chunk[: max(0, HEAD_SIZE - len(head))]
                out.write(chunk)
            _sync(out)
    except OSError:
        raise errors.TaskFailed("unreadable file") from None
    return size, hasher.hexdigest(), head


def _write_all(part: Path, data: bytes) -> None:
    part.parent.mkdir(parents=True, exist_ok=True)
    with part.open("wb") as f:
        f.write(data)
        _sync(f)


async def _fetch_once(
    http: httpx.AsyncClient, url: str, part: Path, max_bytes: int, policy: UrlPolicy
) -> tuple[int, str, bytes]:
    """One GET into `part` (truncated first), following at most MAX_REDIRECTS redirects, each
    checked before it is requested. Returns (size, sha256 hex, first bytes)."""
    for _ in range(MAX_REDIRECTS + 1):
        target, headers, extensions = _pinned(url, await check_url(url, policy))
        try:
            async with http.stream(
                "GET", target, headers=headers, extensions=extensions, follow_redirects=False
            ) as response:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    url = urljoin(url, location)
                    continue
                return await _read_body(response, part, max_bytes)
        except httpx.HTTPError as exc:
            raise translate_transport_error(exc) from None
    raise errors.TaskFailed("too many redirects")


async def _read_body(
    response: httpx.Response, part: Path, max_bytes: int
) -> tuple[int, str, bytes]:
    hasher = hashlib.sha256()
    size = 0
    head = b""
    _check_status(response.status_code, response.headers.get("retry-after"))
    declared = response.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > max_bytes:
        raise errors.BadRequest("result too large")
    f = await asyncio.to_thread(part.open, "wb")
    try:
        async for chunk in response.aiter_bytes(CHUNK_SIZE):
            size += len(chunk)
            # Counted too: Content-Length may be absent or wrong (chunked, gzip).
            if size > max_bytes:
                raise errors.BadRequest("result too large")
            hasher.update(chunk)
            if len(head) < HEAD_SIZE:
                head += chunk[: HEAD_SIZE - len(head)]
            # Plain blocking write on purpose: measured 15-70 µs per 64 KiB chunk
            # (worst ~200 µs) versus 130-210 µs through asyncio.to_thread, and the
            # loop stall it costs is far below anything a user could notice.
            f.write(chunk)
        await asyncio.to_thread(_sync, f)
    finally:
        await asyncio.to_thread(f.close)
    return size, hasher.hexdigest(), head


class _RateLimited(errors.RateLimited):
    """429 with the server's Retry-After (seconds), which the retry wait honours."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__("result download HTTP 429", status=429)
        self.retry_after = retry_after


def _check_status(status: int, retry_after: str | None = None) -> None:
    if status < 400:
        return
    if status in _EXPIRED_STATUSES:
        raise errors.ResultExpired(f"result URL answered HTTP {status}", status=status)
    if status == 429:
        seconds = retry_after.strip() if retry_after else ""
        raise _RateLimited(float(seconds) if seconds.isdecimal() else None)
    if status >= 500:
        raise errors.ServerError(f"result download HTTP {status}", status=status)
    raise errors.BadRequest(f"result download HTTP {status}", status=status)


def _sync(f: BinaryIO) -> None:
    f.flush()
    os.fsync(f.fileno())


async def _validate(
    part: Path, head: bytes, kind: Literal["image", "video"]
) -> tuple[str, int | None, int | None]:
    """(mime, width, height) of the downloaded file, or TaskFailed if it is not of `kind`."""
    if kind == "image":
        info = await asyncio.to_thread(image_info, part)
        if info is None:
            raise errors.TaskFailed("invalid image")
        width, height, mime = info
        return mime, width, height
    mime = sniff_mime(head)
    if mime not in VIDEO_MIMES:
        raise errors.TaskFailed("invalid video")
    return mime, None, None


def _commit(part: Path, dest: Path) -> None:
    """Rename into place and persist the directory entry, so a crash keeps whole files only."""
    os.replace(part, dest)
    with contextlib.suppress(OSError):  # some filesystems refuse fsync on directories
        fd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
