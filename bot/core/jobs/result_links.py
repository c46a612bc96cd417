"""How long a provider's result URL still works, for "too big to send, here is the link" texts.

Rules: a result URL stays valid RESULT_URL_TTL after the task completed; the download starts
the moment it completes, so the saved file's modification time is a close (slightly late)
stand-in for that moment. No URL, no file or an expired URL → None: offer no link at all.
Blocking (a stat): call through asyncio.to_thread.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.core.media.download import RESULT_URL_TTL
from bot.core.store.jobs import SavedFile


def minutes_left(file: SavedFile, now: float | None = None) -> int | None:
    """Whole minutes the file's provider URL still works (at least 1), or None."""
    if not file.url:
        return None
    try:
        saved_at = Path(file.path).stat().st_mtime
    except OSError:
        return None
    left = saved_at + RESULT_URL_TTL - (time.time() if now is None else now)
    return max(1, int(left // 60)) if left > 0 else None
