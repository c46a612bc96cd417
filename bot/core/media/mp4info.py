"""Width, height and duration of an MP4/MOV file, read from its `moov` header only.

Telegram shows a video with the right shape and length only if sendVideo is told them, so
they are read from the file: the top-level boxes are walked by seeking (the `mdat` payload,
which is almost all of the file, is never read) and `mvhd`/`tkhd` are decoded from `moov`.
Blocking file I/O: call through `asyncio.to_thread`. No Telegram types here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_MOOV_BYTES = 32 * 1024 * 1024  # a moov this big is not a Sora clip; give up instead
_CONTAINERS = {b"trak", b"mdia", b"minf", b"stbl", b"edts"}


@dataclass(frozen=True)
class VideoInfo:
    width: int | None
    height: int | None
    duration: float | None  # seconds


def mp4_info(path: Path | str) -> VideoInfo | None:
    """The video's size and length, or None when the file has no readable `moov` box."""
    try:
        with open(path, "rb") as f:
            moov = _find_moov(f)
    except OSError:
        return None
    if moov is None:
        return None
    try:
        return _parse_moov(moov)
    except (struct.error, IndexError):  # truncated or empty boxes (e.g. a 0-byte mvhd)
        return None


def _find_moov(f: BinaryIO) -> bytes | None:
    while True:
        header = f.read(8)
        if len(header) < 8:
            return None
        size, kind = struct.unpack(">I4s", header)
        header_len = 8
        if size == 1:
            large = f.read(8)
            if len(large) < 8:
                return None
            size = struct.unpack(">Q", large)[0]
            header_len = 16
        if kind == b"moov":
            length = (size - header_len) if size else MAX_MOOV_BYTES
            if length > MAX_MOOV_BYTES:
                return None
            return f.read(length)
        if size == 0:  # runs to the end of the file
            return None
        if size < header_len:
            return None
        f.seek(size - header_len, 1)


def _boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of the boxes directly inside `data`."""
    out: list[tuple[bytes, bytes]] = []
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        header_len = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header_len = 16
        elif size == 0:
            size = len(data) - pos
        if size < header_len:
            break
        out.append((kind, data[pos + header_len : pos + size]))
        pos += size
    return out


def _parse_moov(moov: bytes) -> VideoInfo:
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    for kind, payload in _boxes(moov):
        if kind == b"mvhd":
            duration = _mvhd_duration(payload)
        elif kind == b"trak" and width is None:
            size = _track_size(payload)
            if size is not None:
                width, height = size
    return VideoInfo(width, height, duration)


def _mvhd_duration(payload: bytes) -> float | None:
    version = payload[0]
    if version == 1:
        timescale, duration = struct.unpack_from(">IQ", payload, 20)
    else:
        timescale, duration = struct.unpack_from(">II", payload, 12)
    return duration / timescale if timescale else None


def _track_size(trak: bytes) -> tuple[int, int] | None:
    """The first visual track's display size (audio tracks have width 0)."""
    for kind, payload in _boxes(trak):
        if kind != b"tkhd":
            continue
        offset = 76 if payload[0] == 0 else 88  # width/height follow the matrix
        w, h = struct.unpack_from(">II", payload, offset)
        if w >> 16 and h >> 16:
            return w >> 16, h >> 16
    return None
