"""Fetch a generated result from its (short-lived) upstream URL onto local disk, safely.

Upstream result URLs expire after about two hours, so results are copied at once. The body is
streamed to a `.part` file, fsynced and renamed into place, so `dest` either holds a complete,
validated file or does not exist. No Telegram types here.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import httpx
import imagesize
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from bot.providers import errors
from bot.providers.http import translate_transport_error

CHUNK_SIZE = 64 * 1024
HEAD_SIZE = 64  # enough for every signature sniffed below
DOWNLOAD_ATTEMPTS = 3

# Failures worth another try: the host or the connection hiccuped, not the URL itself.
_TRANSIENT = (errors.ServerError, errors.Unreachable, errors.Timeout, errors.StreamDropped)
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


async def download_result(
    http: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    kind: Literal["image", "video"],
    max_bytes: int,
) -> DownloadedMedia:
    """Download `url` to `dest` and check it really is an image/video of `kind`.

    Streams to `dest.with_suffix(".part")` in 64 KiB chunks (hashing as it goes), fsyncs and
    atomically renames. Connection errors, read errors, timeouts and 5xx are retried (3 attempts
    in all, short exponential backoff). Raises `ResultExpired` for 403/404/410,
    `BadRequest("result too large")` above `max_bytes`, `TaskFailed("invalid image" |
    "invalid video")` when the bytes are not what `kind` promises; the part file is removed on
    every failure and `dest` is only ever created complete.
    """
    part = dest.with_suffix(".part")
    await asyncio.to_thread(dest.parent.mkdir, parents=True, exist_ok=True)
    try:
        # tenacity rather than a hand-written loop: stop/wait/retry predicates are declarative,
        # jitter is built in, and `reraise` hands back our own error after the last attempt.
        retrying = AsyncRetrying(
            stop=stop_after_attempt(DOWNLOAD_ATTEMPTS),
            wait=wait_exponential(multiplier=0.5, max=4) + wait_random(0, 0.2),
            retry=retry_if_exception_type(_TRANSIENT),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                size, digest, head = await _fetch_once(http, url, part, max_bytes)
        mime, width, height = await _validate(part, head, kind)
        await asyncio.to_thread(_commit, part, dest)
    except BaseException:
        # Also on cancellation: never leave a half-written part file behind.
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise
    return DownloadedMedia(dest, size, digest, mime, width, height)


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
        mime, width, height = await _validate(part, data[:HEAD_SIZE], kind)
        await asyncio.to_thread(_commit, part, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise
    digest = hashlib.sha256(data).hexdigest()
    return DownloadedMedia(dest, len(data), digest, mime, width, height)


def _write_all(part: Path, data: bytes) -> None:
    part.parent.mkdir(parents=True, exist_ok=True)
    with part.open("wb") as f:
        f.write(data)
        _sync(f)


async def _fetch_once(
    http: httpx.AsyncClient, url: str, part: Path, max_bytes: int
) -> tuple[int, str, bytes]:
    """One GET into `part` (truncated first). Returns (size, sha256 hex, first bytes)."""
    hasher = hashlib.sha256()
    size = 0
    head = b""
    try:
        async with http.stream("GET", url) as response:
            _check_status(response.status_code)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
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
    except httpx.HTTPError as exc:
        raise translate_transport_error(exc) from None
    return size, hasher.hexdigest(), head


def _check_status(status: int) -> None:
    if status < 400:
        return
    if status in _EXPIRED_STATUSES:
        raise errors.ResultExpired(f"result URL answered HTTP {status}", status=status)
    if status == 429:
        raise errors.RateLimited(status=status)
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
