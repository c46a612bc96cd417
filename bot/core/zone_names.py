"""How a configured time zone is named to users: "北京时间" for China's zones, a Chinese name for
a few neighbours, otherwise its UTC offset ("UTC+9", "UTC-3:30"); never a tz database name."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core import texts

BEIJING = dt.timezone(dt.timedelta(hours=8))  # China has no DST: a fixed offset is exact


def zone_of(name: str) -> dt.tzinfo:
    """The zone named `name`, or Beijing time when the name is unknown (as the quotas do)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return BEIJING


def zone_label(name: str, at: dt.datetime | None = None) -> str:
    if name in texts.ZONE_NAMES:
        return texts.ZONE_NAMES[name]
    offset = (at or dt.datetime.now(dt.UTC)).astimezone(zone_of(name)).utcoffset()
    minutes = int((offset or dt.timedelta()).total_seconds() // 60)
    if minutes == 8 * 60 and zone_of(name) is BEIJING:
        return texts.ZONE_NAMES["Asia/Shanghai"]
    hours, rest = divmod(abs(minutes), 60)
    return texts.ZONE_OFFSET.format(
        sign="-" if minutes < 0 else "+", hours=hours, minutes=f":{rest:02d}" if rest else ""
    )
