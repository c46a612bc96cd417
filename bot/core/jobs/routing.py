"""Which provider a new job starts on (no Telegram types here).

The order in force for the job's kind (IMAGE_PROVIDERS / VIDEO_PROVIDERS, or what an
operator chose in the console's 设置: bot/core/usecases/provider_order.py), skipping providers that
cannot do this request (e.g. a storyboard or 25 s video only the unified aggregator
offers). A job that builds on an earlier result — a remix of a video, a character from a
video — must run where that result was made: its ids mean nothing elsewhere, so such jobs
are pinned and never moved.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.providers.base import GenerationRequest
from bot.core.providers.registry import ProviderSet
from bot.core.store.jobs import JobStore


async def choose_provider(
    providers: ProviderSet, jobs: JobStore, request: GenerationRequest
) -> tuple[str, GenerationRequest]:
    """(provider name, request — with `source_provider` set when pinned)."""
    pinned = request.params.get("source_provider")
    if not pinned:
        source_id = request.params.get("remix_target") or request.params.get("pid")
        pinned = await _provider_of_result(jobs, str(source_id)) if source_id else None
        if pinned:
            request = replace(request, params={**request.params, "source_provider": pinned})
    if pinned and pinned in providers.tasks:
        return str(pinned), request
    candidates = providers.candidates(request)
    if candidates:
        return candidates[0], request
    # Nobody claims it: the first configured provider answers with a clear refusal.
    route = providers.routes.get(request.kind) or list(providers.tasks)
    return route[0], request


async def _provider_of_result(jobs: JobStore, pid: str) -> str | None:
    async with jobs.db.conn.execute(
        "SELECT j.provider FROM result_messages r JOIN jobs j ON j.id = r.job_id "
        "WHERE r.pid = ? ORDER BY r.message_id DESC LIMIT 1",
        (pid,),
    ) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row else None
