"""What users read about their quotas, the same on every platform (no platform types here)."""

from __future__ import annotations

from bot.core import texts
from bot.core.access import QUOTA_KINDS, AccessControl, QuotaExceeded
from bot.core.zone_names import zone_label


def quota_text(exceeded: QuotaExceeded, zone: str = "Asia/Shanghai") -> str:
    """The refusal; `zone` is QUOTA_TIMEZONE, where the day that resets starts."""
    if exceeded.kind == "jobs":
        return texts.QUOTA_EXCEEDED_JOBS.format(used=exceeded.used, limit=exceeded.limit)
    return texts.QUOTA_EXCEEDED_DAILY.format(
        name=texts.QUOTA_KIND_NAMES[exceeded.kind], used=exceeded.used, limit=exceeded.limit,
        zone=zone_label(zone),
    )  # fmt: skip


async def usage_report(control: AccessControl, user_id: int, zone: str) -> str:
    """/usage: what the user used today and what is left, per kind."""
    limits = await control.limits(user_id)
    used = await control.used_today(user_id)
    lines = [texts.USAGE_TITLE.format(day=control.today())]
    for kind in QUOTA_KINDS:
        name, count, limit = texts.QUOTA_KIND_NAMES[kind], used.get(kind, 0), limits.get(kind)
        if limit is None:
            lines.append(texts.USAGE_LINE_UNLIMITED.format(name=name, used=count))
        else:
            left = max(0, limit - count)
            lines.append(texts.USAGE_LINE.format(name=name, used=count, limit=limit, left=left))
    lines.append(texts.USAGE_FOOTER.format(zone=zone_label(zone)))
    return "\n".join(lines)
