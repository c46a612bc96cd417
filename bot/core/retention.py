"""Media retention: files in BOT_DATA_DIR older than MEDIA_RETENTION_DAYS are deleted.

Rules: only media is touched (BOT_DATA_DIR/media and the staging folder; never the database);
a file an unfinished job still needs (its saved results, references, staged answer) is never
deleted, whatever its age; 0 days keeps everything. Deleted results stay usable as
references: the handlers fall back to Telegram's copy (the stored file_id). No Telegram types.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from pathlib import Path

from bot.core import texts
from bot.core.store.jobs import Job, JobStore

log = logging.getLogger(__name__)

DAY = 86400.0
SWEEP_INTERVAL = 3600.0  # seconds between two sweeps (a full disk also triggers one)


class MediaRetention:
    def __init__(
        self, jobs: JobStore, roots: Iterable[Path], staging_root: Path, days: float
    ) -> None:
        self.jobs = jobs
        self.roots = list(roots)
        self.staging_root = staging_root
        self.days = days
        self._lock = asyncio.Lock()

    async def sweep(self, now: float | None = None) -> int:
        """Delete expired media files; returns how many were deleted."""
        if self.days <= 0:
            return 0
        async with self._lock:  # a timer and a full-disk alert may ask at the same moment
            cutoff = (now or time.time()) - self.days * DAY
            # Read before the walk: a job created meanwhile only has fresh files.
            keep_paths, keep_prefixes = _needed_by(await self.jobs.active())
            removed = await asyncio.to_thread(
                self._delete_older_than, cutoff, keep_paths, keep_prefixes
            )
        if removed:
            log.info(texts.LOG_RETENTION_DELETED_MEDIA_FILES_OLDER, removed, self.days)
        return removed

    def _delete_older_than(
        self, cutoff: float, keep_paths: set[Path], keep_prefixes: set[str]
    ) -> int:
        removed = 0
        for root in self.roots:
            if not root.is_dir():
                continue
            for path in root.rglob("*"):
                try:
                    if not path.is_file() or path.stat().st_mtime >= cutoff:
                        continue
                    resolved = path.resolve()
                    if resolved in keep_paths:
                        continue
                    if resolved.parent == self.staging_root.resolve() and any(
                        path.name == f"{stem}.json" or path.name.startswith(f"{stem}-")
                        for stem in keep_prefixes
                    ):
                        continue
                    path.unlink()
                    removed += 1
                except OSError:  # vanished meanwhile, or not ours to delete: next one
                    log.debug("retention: could not delete %s", path, exc_info=True)
        return removed


def _needed_by(jobs: list[Job]) -> tuple[set[Path], set[str]]:
    """Paths unfinished jobs use, and the staged-file name prefixes of their tasks."""
    from bot.core.providers.staging import FILE_SCHEME, safe_name

    paths: set[Path] = set()
    prefixes: set[str] = set()
    for job in jobs:
        named = [*job.request.references, *(f.path for f in job.files)]
        named += [r.url[len(FILE_SCHEME) :] for r in job.results
                  if r.url and r.url.startswith(FILE_SCHEME)]  # fmt: skip
        paths.update(Path(p).resolve() for p in named if p)
        if job.task_id:
            prefixes.add(safe_name(job.task_id))
    return paths, prefixes
