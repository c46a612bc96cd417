"""Gallery thumbnails: made once per result file with Pillow, cached on disk, never the full file.

Cached by the file's SHA-256 (stored with the job), so a file is shrunk once whatever page
shows it; a reference image (no hash stored) by the SHA-256 of its path: references are
written once under a fresh name and never changed. A thumbnail of a file retention removed is
removed too (the pages say so).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from pathlib import Path

from PIL import Image, ImageOps

SIZE = 320
QUALITY = 78


def path_key(path: str) -> str:
    """The cache key of a file known by its path only (a reference image)."""
    return hashlib.sha256(("ref:" + path).encode()).hexdigest()


def thumb_path(cache: Path, sha256: str) -> Path:
    safe = "".join(ch for ch in sha256 if ch in "0123456789abcdef")[:64] or "unknown"
    return cache / f"{safe}-{SIZE}.jpg"


async def thumbnail(source: Path, cache: Path, sha256: str) -> Path | None:
    """The cached thumbnail of an image file (made now if needed); None if it cannot be."""
    target = thumb_path(cache, sha256)
    if not source.is_file():
        with contextlib.suppress(OSError):
            target.unlink()  # retention removed the picture: its copy goes too
        return None
    if target.is_file():
        return target
    try:
        await asyncio.to_thread(_make, source, target)
    except (OSError, Image.DecompressionBombError, ValueError):
        return None
    return target


def _make(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image:
        image = ImageOps.exif_transpose(image)
        image.thumbnail((SIZE, SIZE))
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        part = target.with_suffix(".part")
        image.save(part, "JPEG", quality=QUALITY, optimize=True)
    part.replace(target)  # whole or nothing: a crash never leaves half a thumbnail
