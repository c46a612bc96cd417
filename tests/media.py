"""Small real media files for tests."""

from __future__ import annotations

from tests.fakes.grsai import _png_bytes


def make_png(width: int, height: int, seed: str = "test") -> bytes:
    return _png_bytes(width, height, seed)


def make_mp4(width: int, height: int, seconds: float, payload: int = 4096) -> bytes:
    """A minimal MP4 whose moov says `width`×`height` and `seconds` (mvhd + one tkhd)."""
    import struct

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", 8 + len(body)) + kind + body

    timescale = 1000
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = box(b"mvhd", struct.pack(">B3xIIII", 0, 0, 0, timescale, int(seconds * timescale))
               + b"\0" * 80)  # fmt: skip
    tkhd = box(
        b"tkhd",
        struct.pack(">B3xIIIIIQhhhH", 0, 0, 0, 1, 0, int(seconds * timescale), 0, 0, 0, 0, 0)
        + matrix
        + struct.pack(">II", width << 16, height << 16),
    )
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41")
    moov = box(b"moov", mvhd + box(b"trak", tkhd))
    return ftyp + moov + box(b"mdat", bytes(payload))
