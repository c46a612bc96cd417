"""What admins read from /stats and /providers, the same on every platform (no platform types).

Rules: pure text from core data (DayStats, provider probes); the adapters only send it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.core import texts
from bot.core.provider_status import ProviderStatus, StatusCheck
from bot.core.store.usage import DayStats


def stats_text(stats: DayStats) -> str:
    def joined(parts: list[str]) -> str:
        return "，".join(parts) if parts else texts.STATS_NONE

    usage = joined(
        [f"{texts.QUOTA_KIND_NAMES.get(k, k)} {n}" for k, n in sorted(stats.by_capability.items())]
    )
    jobs = joined(
        [f"{texts.JOB_STATE_NAMES.get(s, s)} {n}" for s, n in sorted(stats.jobs_by_state.items())]
    )
    failures = joined([f"{texts.FAILURE_NAMES.get(reason, reason)} {n}"
                       for reason, n in sorted(stats.failures_by_reason.items())])  # fmt: skip
    spend_parts = [
        f"{texts.PRICE_UNIT_NAMES.get(unit, unit)} {amount:g}"
        for unit, amount in sorted(stats.spend.items())
    ]
    if stats.unpriced:
        spend_parts.append(texts.STATS_UNPRICED.format(count=stats.unpriced))
    text = texts.STATS_TEXT.format(
        day=stats.day, users_today=stats.users_today, users_ever=stats.users_ever,
        allowed=stats.allowed_ids, usage=usage, jobs=jobs, failures=failures,
        spend=joined(spend_parts),
    )  # fmt: skip
    if stats.undeliverable:
        ids = "、".join(str(job_id) for job_id in stats.undeliverable)
        text += "\n" + texts.STATS_UNDELIVERABLE.format(ids=ids)
    return text


async def providers_text(checks: Sequence[StatusCheck]) -> str:
    """Probe every provider's key at once (nothing is generated, nothing is paid)."""
    results: list[ProviderStatus] = await asyncio.gather(*(check() for check in checks))
    lines = [texts.PROVIDERS_TITLE]
    for status in results:
        lines.append(
            texts.PROVIDER_LINE.format(
                name=status.name,
                state=texts.PROVIDER_STATE_NAMES.get(status.state, status.state),
                balance=status.balance or texts.PROVIDER_NO_BALANCE,
            )
        )
    return "\n".join(lines)
