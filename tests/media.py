"""Small real media files for tests."""

from __future__ import annotations

from tests.fakes.grsai import _png_bytes


def make_png(width: int, height: int, seed: str = "test") -> bytes:
    return _png_bytes(width, height, seed)
